/**
 * A chart's own CRDs told from helm template's output by the chart's crds/ files: only a
 * leading run of blocks whose bytes are such a file, never a block a template printed.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { chartCrdFiles, splitChartCrds } from '../../src/plan/chart-crds.js';
import { tarEntry } from '../helpers/tar.js';

const CRD = (kind: string) => `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ${kind}s.example.com\n`;
const block = (source: string, text: string) => `---\n# Source: ${source}\n${text}\n`;

describe('splitChartCrds', () => {
  const files = chartCrdFiles(new Map([
    ['crds/w.yaml', Buffer.from(CRD('widget'))],
    ['crds/pair.yaml', Buffer.from(`${CRD('apple')}---\n${CRD('pear')}`)],
    ['charts/sub/crds/b.yaml', Buffer.from(`\uFEFF${CRD('bolt')}`)],
    ['templates/crds/t.yaml', Buffer.from(CRD('gadget'))],
  ]));
  if ('problem' in files) throw new Error(files.problem);

  it('takes the leading crds/ blocks (multi-document ones whole, a subchart\'s too) and nothing after', () => {
    const tpl = block('op/templates/cm.yaml', 'kind: ConfigMap');
    const text = block('op/crds/pair.yaml', `${CRD('apple')}---\n${CRD('pear')}`) + block('op/crds/w.yaml', CRD('widget')) + block('op/charts/sub/crds/b.yaml', CRD('bolt')) + tpl;
    const got = splitChartCrds(text, files);
    expect(got.crds.map((c) => c.source)).toEqual(['op/crds/pair.yaml', 'op/crds/w.yaml', 'op/charts/sub/crds/b.yaml']);
    expect(got.templates).toBe(tpl);
  });

  it('the attack: a crds/ Source with bytes no crds/ file holds, or any block after a template, is a template\'s', () => {
    // Forged first: the header says crds/w.yaml, the bytes are another CRD.
    const forged = block('op/crds/w.yaml', CRD('evil'));
    expect(splitChartCrds(forged + block('op/crds/w.yaml', CRD('widget')), files)).toEqual({ crds: [], templates: forged + block('op/crds/w.yaml', CRD('widget')) });
    // The exact bytes of a real crds/ file, after a template's block: a template's copy.
    const tpl = block('op/templates/cm.yaml', 'kind: ConfigMap');
    const copy = block('op/crds/w.yaml', CRD('widget'));
    const got = splitChartCrds(block('op/crds/w.yaml', CRD('widget')) + tpl + copy, files);
    expect(got.crds.map((c) => c.source)).toEqual(['op/crds/w.yaml']);
    expect(got.templates).toBe(tpl + copy);
    // A real file's bytes as the start of a longer forged block: not a match (the block goes on).
    const longer = block('op/crds/w.yaml', `${CRD('widget')}extra: field`);
    expect(splitChartCrds(longer, files).crds).toEqual([]);
    // A templates/crds/ file is not a crds/ folder's.
    const t = block('op/templates/crds/t.yaml', CRD('gadget'));
    expect(splitChartCrds(t, files).crds).toEqual([]);
  });
});

describe('splitChartCrds with many files of one name', () => {
  it('takes each subchart\'s own file, the shorter of two where one is the other plus more, and stops at a forged one', () => {
    const files = Array.from({ length: 300 }, (_, i) => ({ name: 'crds/crd.yaml', text: CRD(`w${i}`) }));
    files.push({ name: 'crds/crd.yaml', text: `${CRD('w7')}---\n${CRD('extra')}` });
    const blocks = files.slice(0, 300).map((f, i) => block(`op/charts/s${i}/crds/crd.yaml`, f.text)).join('');
    const tpl = block('op/templates/cm.yaml', 'kind: ConfigMap');
    const got = splitChartCrds(blocks + tpl, files);
    expect(got.crds.length).toBe(300);
    expect(got.crds[7]!.text).toBe(CRD('w7'));
    expect(got.templates).toBe(tpl);
    // A block with a name no file has, or bytes no file holds, ends the run.
    expect(splitChartCrds(block('op/crds/crd.yaml', CRD('evil')) + tpl, files).crds).toEqual([]);
    expect(splitChartCrds(block('op/crds/other.yaml', CRD('w1')) + tpl, files).crds).toEqual([]);
  });
});

describe('packed subcharts', () => {
  const entry = tarEntry;
  const tgz = (...names: string[]) => gzipSync(Buffer.concat([...names.map((n) => entry(n, CRD('bolt'))), Buffer.alloc(1024)]));

  it('names are cleaned as helm\'s loader cleans them (`a//b`, `a/./b`, `a/x/../b`)', () => {
    const got = chartCrdFiles(new Map([['charts/sub.tgz', tgz('sub/crds//a.yaml', 'sub/./crds/b.yaml', 'sub/x/../crds/c.yaml')]]));
    if ('problem' in got) throw new Error(got.problem);
    expect(got.map((f) => f.name).sort()).toEqual(['crds/a.yaml', 'crds/b.yaml', 'crds/c.yaml']);
  });

  it('a name leaving the chart is still refused', () => {
    for (const name of ['sub/../../evil.yaml', '/sub/crds/a.yaml', 'sub/..', '../crds/a.yaml']) {
      const got = chartCrdFiles(new Map([['charts/sub.tgz', tgz(name)]]));
      expect(got, name).toEqual({ problem: expect.stringMatching(/outside the chart/) });
    }
  });
});
