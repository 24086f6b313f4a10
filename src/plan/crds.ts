import { createHash } from 'node:crypto';
import { decodeManifest, parseSourceManifests } from '../render/manifests.js';
import { crdSchemasFromObjects, type CrdSchemas, type CrdVersion } from '../validate/index.js';
import { ReadLimitError } from '../workspace/limits.js';
import type { Tree } from '../workspace/workspace.js';

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
  // Sizes first: a file too large to hold CRDs Ferry would read is never loaded.
  const sizes = await tree.sizes(yaml.filter(([, e]) => !mentionsCrd.has(e.oid)).map(([p]) => p));
  const candidates = yaml.filter(([p]) => (sizes.get(p) ?? 0) <= MAX_CRD_FILE_BYTES);
  await tree.preload(candidates.filter(([, e]) => !mentionsCrd.has(e.oid)).map(([p]) => p));
  const crdFiles: string[] = [];
  for (const [p, e] of candidates) {
    let hit = mentionsCrd.get(e.oid);
    if (hit === undefined) {
      let data: Buffer | null = null;
      try {
        data = tree.read(p);
      } catch (err) {
        // Over a read limit: not a CRD source; the file's own app reports the size.
        if (!(err instanceof ReadLimitError)) throw err;
      }
      hit = !!data && data.length <= MAX_CRD_FILE_BYTES && data.includes('CustomResourceDefinition');
      if (mentionsCrd.size > 200_000) mentionsCrd.clear();
      // A read refused by this plan's budget may succeed in the next one: not remembered.
      if (data) mentionsCrd.set(e.oid, hit);
    }
    if (hit) crdFiles.push(p);
  }
  const key = createHash('sha256')
    .update(crdFiles.map((p) => `${p}:${tree.index.get(p)!.oid}`).join('\n'))
    .digest('hex');
  let schemas = compiled.get(key);
  if (!schemas) {
    // Built file by file: a repository with many copies of big CRDs (an install.yaml per
    // cluster) never holds them all parsed at once; the last definition of a version wins.
    const versions = new Map<string, CrdVersion>();
    const parsed = new Set<string>();
    for (const p of crdFiles) {
      // Copies of one file (vendored twice, or per environment) define the same CRDs.
      const oid = tree.index.get(p)!.oid;
      if (parsed.has(oid)) continue;
      parsed.add(oid);
      const decoded = decodeManifest(tree.read(p), p);
      if (!('text' in decoded)) continue;
      // An install.yaml is mostly other kinds: only its CRD documents are parsed here.
      const objects = parseSourceManifests(decoded.text, p, { onlyContaining: 'CustomResourceDefinition' })
        .resources.filter((r) => r.id.kind === 'CustomResourceDefinition')
        .map((r) => r.object);
      for (const [k, v] of crdSchemasFromObjects(objects).versions) versions.set(k, v);
    }
    // Kept across plans: copies, so the CRD files' texts are not (see util/detach.ts).
    const kept = new Map<string, CrdVersion>();
    for (const [k, v] of versions) kept.set(k, JSON.parse(JSON.stringify(v)) as CrdVersion);
    schemas = { versions: kept };
    if (compiled.size > 50) compiled.clear();
    compiled.set(key, schemas);
  }
  return schemas;
}
