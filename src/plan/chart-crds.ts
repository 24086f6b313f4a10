import { createHash } from 'node:crypto';
import { chartArchiveFiles, DEFAULT_ARCHIVE_LIMITS } from '../render/charts/archive.js';

/**
 * A chart's own CustomResourceDefinitions: the files of its `crds/` folder and its
 * subcharts' (folders, or .tgz packed in `charts/`). helm-controller applies these itself
 * (install.crds / upgrade.crds), so Ferry must tell them from what templates print.
 *
 * They are told by content, never by a `# Source:` comment alone: `helm template
 * --include-crds` prints each crds/ file first, whole, as `---\n# Source: <chart
 * path>/crds/<file>\n<bytes>\n`, then the templates. Only a leading run of such blocks whose
 * bytes are a crds/ file of this chart is taken as its CRDs; the first block that is not one
 * ends the run. A template's output comes after every CRD and is never one, whatever
 * comments it prints; and every document of a multi-document crds/ file is one.
 */

export interface ChartCrdFile {
  /** Path inside its own (sub)chart: `crds/widgets.yaml`. */
  name: string;
  text: string;
}

/** Subcharts nested deeper than this are not read (helm has no limit; no real chart comes near). */
const MAX_DEPTH = 10;
const MANIFEST_RE = /\.(ya?ml|json)$/i;

/**
 * The crds/ files of a chart given as its files (path inside the chart → bytes), its
 * subcharts' too, or why they cannot be read (a packed subchart that is not a chart
 * archive). Unpacked bytes of packed subcharts count against one budget.
 */
export function chartCrdFiles(files: Map<string, Buffer>, budget = { bytes: DEFAULT_ARCHIVE_LIMITS.maxBytes }, depth = 0): ChartCrdFile[] | { problem: string } {
  const out: ChartCrdFile[] = [];
  const subcharts = new Map<string, Map<string, Buffer>>();
  for (const [name, data] of files) {
    // helm's loader: every file under crds/ with a manifest extension, as read (no BOM).
    if (name.startsWith('crds/') && MANIFEST_RE.test(name)) out.push({ name, text: data.toString('utf8').replace(/^\uFEFF/, '') });
    const sub = /^charts\/([^/]+)\/(.+)$/.exec(name);
    if (sub) {
      let m = subcharts.get(sub[1]!);
      if (!m) subcharts.set(sub[1]!, (m = new Map()));
      m.set(sub[2]!, data);
    } else if (/^charts\/[^/]+\.tgz$/.test(name)) {
      if (depth >= MAX_DEPTH) continue;
      if (data.length > budget.bytes) return { problem: 'its packed subcharts are larger than Ferry reads' };
      const unpacked = chartArchiveFiles(data, { maxBytes: budget.bytes, maxFiles: DEFAULT_ARCHIVE_LIMITS.maxFiles });
      if ('problem' in unpacked) return { problem: `subchart ${name}: ${unpacked.problem}` };
      for (const d of unpacked.files.values()) budget.bytes -= d.length;
      const inner = chartCrdFiles(unpacked.files, budget, depth + 1);
      if ('problem' in inner) return inner;
      out.push(...inner);
    }
  }
  if (depth < MAX_DEPTH) {
    for (const m of subcharts.values()) {
      const inner = chartCrdFiles(m, budget, depth + 1);
      if ('problem' in inner) return inner;
      out.push(...inner);
    }
  }
  return out;
}

const HEADER = '---\n# Source: ';
/** A crds/ file's Source: `<chart>[/charts/<subchart>…]/crds/<file>`; group 1 is its path in its chart. */
const CRDS_SOURCE_RE = /^[^/\n]+(?:\/charts\/[^/\n]+)*\/(crds\/.+)$/;

export interface SplitOutput {
  /** The chart's crds/ files as helm printed them, in order: the Source path and the file's text. */
  crds: { source: string; text: string }[];
  /** Everything after them: the templates' documents. */
  templates: string;
}

/** helm template's output split into the chart's crds/ files (see above) and the rest. */
export function splitChartCrds(text: string, files: ChartCrdFile[]): SplitOutput {
  // By name, the files' lengths (ascending) and their texts by content hash: a block is
  // tested only where one of its name's files could end, never against every file in turn
  // (many subcharts may each hold a crds/ file of the same name).
  const byName = new Map<string, { lengths: number[]; texts: Map<string, string> }>();
  for (const f of files) {
    let entry = byName.get(f.name);
    if (!entry) byName.set(f.name, (entry = { lengths: [], texts: new Map() }));
    const h = digest(f.text);
    if (entry.texts.has(h)) continue;
    entry.texts.set(h, f.text);
    entry.lengths.push(f.text.length);
  }
  for (const e of byName.values()) e.lengths = [...new Set(e.lengths)].sort((a, b) => a - b);
  const crds: SplitOutput['crds'] = [];
  let at = 0;
  while (byName.size && text.startsWith(HEADER, at)) {
    const end = text.indexOf('\n', at + HEADER.length);
    if (end < 0) break;
    const source = text.slice(at + HEADER.length, end);
    const m = CRDS_SOURCE_RE.exec(source);
    if (!m) break;
    const entry = byName.get(m[1]!);
    if (!entry) break;
    const body = end + 1;
    // The file's bytes, a newline, then the next block or the end. Of two files where one
    // is the other plus more, the shorter: the rest then reads as templates (shown, not hidden).
    let fit: string | null = null;
    for (const len of entry.lengths) {
      const stop = body + len;
      if (stop >= text.length || text[stop] !== '\n') continue;
      if (stop + 1 !== text.length && !text.startsWith('---\n', stop + 1)) continue;
      const got = entry.texts.get(digest(text.slice(body, stop)));
      if (got !== undefined && text.startsWith(got, body)) {
        fit = got;
        break;
      }
    }
    if (fit === null) break;
    crds.push({ source, text: fit });
    at = body + fit.length + 1;
  }
  return { crds, templates: text.slice(at) };
}

function digest(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
