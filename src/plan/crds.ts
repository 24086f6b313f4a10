import { createHash } from 'node:crypto';
import { decodeManifest, parseSourceManifests } from '../render/manifests.js';
import type { Resource } from '../types.js';
import { crdSchemasFromResources, type CrdSchemas } from '../validate/index.js';
import type { Tree } from '../workspace/workspace.js';

const YAML_RE = /\.ya?ml$/i;
const MAX_CRD_FILE_BYTES = 5 * 1024 * 1024;
const memo = new Map<string, CrdSchemas>();

/**
 * Custom resource schemas from every CustomResourceDefinition committed anywhere in the
 * repository at this commit. Compiled schemas are reused while the CRD files are
 * unchanged (keyed by their blob ids), so a re-plan does not recompile them.
 */
export async function crdsInTree(tree: Tree): Promise<CrdSchemas> {
  const candidates = [...tree.index.entries()].filter(([p, e]) => YAML_RE.test(p) && e.mode !== '120000');
  await tree.preload(candidates.map(([p]) => p));
  const crdFiles: Array<[string, Buffer]> = [];
  for (const [p] of candidates) {
    const data = tree.read(p);
    if (data.length <= MAX_CRD_FILE_BYTES && data.includes('CustomResourceDefinition')) crdFiles.push([p, data]);
  }
  const key = createHash('sha256')
    .update(crdFiles.map(([p]) => `${p}:${tree.index.get(p)!.oid}`).join('\n'))
    .digest('hex');
  let schemas = memo.get(key);
  if (!schemas) {
    const crds: Resource[] = [];
    for (const [p, data] of crdFiles) {
      const decoded = decodeManifest(data, p);
      if (!('text' in decoded)) continue;
      for (const r of parseSourceManifests(decoded.text, p).resources) {
        if (r.id.kind === 'CustomResourceDefinition') crds.push(r);
      }
    }
    schemas = crdSchemasFromResources(crds);
    if (memo.size > 50) memo.clear();
    memo.set(key, schemas);
  }
  return schemas;
}
