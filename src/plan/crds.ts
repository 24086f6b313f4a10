import { createHash } from 'node:crypto';
import { decodeManifest, parseSourceManifests } from '../render/manifests.js';
import { crdSchemasFromObjects, type CrdSchemas, type CrdVersion } from '../validate/index.js';
import type { Tree } from '../workspace/workspace.js';
import type { Resource } from '../types.js';
import { elideSchemas, markElided, withLazySchema } from './crd-skeleton.js';

const YAML_RE = /\.ya?ml$/i;
/** Vendored and tooling folders hold no CRDs the repository deploys. */
const SKIP_RE = /(^|\/)(\.[^/]+|node_modules|vendor)\//;
const MAX_CRD_FILE_BYTES = 5 * 1024 * 1024;
/** Blob id → whether it mentions CustomResourceDefinition; blobs never change, so this never goes stale. */
const mentionsCrd = new Map<string, boolean>();
const compiled = new Map<string, CrdSchemas>();

/**
 * Custom resource schemas from every CustomResourceDefinition committed in the
 * repository at this commit. Each blob is scanned once per process and compiled schemas
 * are reused while the CRD files are unchanged, so a re-plan costs a listing lookup.
 */
export async function crdsInTree(tree: Tree): Promise<CrdSchemas> {
  const yaml = [...tree.index.entries()].filter(([p, e]) => YAML_RE.test(p) && !SKIP_RE.test(p) && e.mode !== '120000');
  // Sizes come with the listing: a file too large to hold CRDs Ferry would read is never loaded.
  const sizes = await tree.sizes(yaml.filter(([, e]) => !mentionsCrd.has(e.oid)).map(([p]) => p));
  const candidates = yaml.filter(([p, e]) => mentionsCrd.has(e.oid) || (sizes.get(p) ?? 0) <= MAX_CRD_FILE_BYTES);
  // Read, looked at, dropped: the commit is never held whole.
  await tree.scan(candidates.filter(([, e]) => !mentionsCrd.has(e.oid)).map(([p]) => p), (p, data) => noteCrdMention(tree.index.get(p)!.oid, data));
  const crdFiles = candidates.filter(([, e]) => mentionsCrd.get(e.oid) === true).map(([p]) => p);
  const key = createHash('sha256')
    .update(crdFiles.map((p) => `${p}:${tree.index.get(p)!.oid}`).join('\n'))
    .digest('hex');
  let schemas = compiled.get(key);
  if (!schemas) {
    // Built file by file: a repository with many copies of big CRDs (an install.yaml per
    // cluster) never holds them all parsed at once; the last definition of a version wins.
    const winners = new Map<string, { at: number; first: [number, number]; version: CrdVersion }>();
    // Copies of one file (vendored twice, or per environment) define the same CRDs.
    const once: string[] = [];
    const oids = new Set<string>();
    for (const p of crdFiles) {
      const oid = tree.index.get(p)!.oid;
      if (!oids.has(oid)) once.push(p);
      oids.add(oid);
    }
    const order = new Map(once.map((p, i) => [p, i]));
    await tree.scan(once, (p, data) => {
      const decoded = decodeManifest(data, p);
      if (!('text' in decoded)) return;
      const objects = crdObjects(decoded.text, p);
      // The definition in the file listed last wins, whatever order the files are read in.
      const at = order.get(p)!;
      let i = 0;
      for (const [k, version] of crdSchemasFromObjects(objects).versions) {
        const prev = winners.get(k);
        const here: [number, number] = [at, i++];
        const first = prev && (prev.first[0] < at || (prev.first[0] === at && prev.first[1] < here[1])) ? prev.first : here;
        if (!prev || prev.at <= at) winners.set(k, { at, first, version });
        else prev.first = first;
      }
    });
    // Kept across plans: copies, so the CRD files' texts are not (see util/detach.ts).
    const versions = new Map<string, CrdVersion>();
    // Listed in the order the files first define them (messages list versions in this order).
    const ordered = [...winners].sort(([, a], [, b]) => a.first[0] - b.first[0] || a.first[1] - b.first[1]);
    for (const [k, w] of ordered) versions.set(k, withLazySchema(w.version) ?? (JSON.parse(JSON.stringify(w.version)) as CrdVersion));
    schemas = { versions };
    if (compiled.size > 50) compiled.clear();
    compiled.set(key, schemas);
  }
  return schemas;
}

/**
 * The CRD objects of a file, their schemas left as text (crd-skeleton.ts); the whole
 * file is parsed when its skeleton does not parse cleanly. An install.yaml is mostly
 * other kinds: only its CRD documents are parsed here.
 */
function crdObjects(text: string, file: string): Record<string, unknown>[] {
  const only = { onlyContaining: 'CustomResourceDefinition' };
  const crds = (r: { resources: Resource[] }) => r.resources.filter((x) => x.id.kind === 'CustomResourceDefinition').map((x) => x.object);
  const skeleton = elideSchemas(text);
  if (skeleton.blocks.length) {
    const parsed = parseSourceManifests(skeleton.text, file, only);
    if (!parsed.findings.some((f) => f.rule === 'yaml-error')) {
      const objects = crds(parsed);
      for (const o of objects) markElided(o, skeleton.blocks);
      return objects;
    }
  }
  return crds(parseSourceManifests(text, file, only));
}

/** Remembers whether a blob mentions CustomResourceDefinition (any reader of the blob may say). */
export function noteCrdMention(oid: string, data: Buffer): void {
  if (mentionsCrd.has(oid)) return;
  if (mentionsCrd.size > 200_000) mentionsCrd.clear();
  mentionsCrd.set(oid, data.length <= MAX_CRD_FILE_BYTES && data.includes('CustomResourceDefinition'));
}
