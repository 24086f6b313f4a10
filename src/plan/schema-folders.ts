// `validate.schemas`: folders of JSON Schemas in the kubeconform / CRDs-catalog layout,
// `{group}/{kind}_{version}.json` with the kind in lower case
// (`helm.toolkit.fluxcd.io/helmrelease_v2.json`), read from the commit being validated.
//
// A folder is resolved by its real path in the commit: a symlink on the way (the folder
// itself, a parent, or a schema file) is followed inside the repository and refused when
// it leaves it. Only the listing is read up front; a schema is read and parsed when a
// resource of its kind is validated.
import type { Finding } from '../types.js';
import type { CrdVersion, SchemaFiles } from '../validate/index.js';
import { escapeMessage, resolveInTree, type Resolved } from '../workspace/links.js';
import { ReadLimitError } from '../workspace/limits.js';
import type { Tree } from '../workspace/workspace.js';
import { isRecord } from '../util/is-record.js';

const FILE_RE = /^([a-z0-9-]+(?:\.[a-z0-9-]+)+)\/([a-z0-9]+)_(v\d+(?:(?:alpha|beta)\d+)?)\.json$/;

export interface SchemaFolderResult {
  files: SchemaFiles;
  findings: Finding[];
}

export function schemaFolders(tree: Tree, folders: readonly string[], configFile: string | null): SchemaFolderResult {
  const findings: Finding[] = [];
  const byKey = new Map<string, CrdVersion>();
  if (folders.length === 0) return { files: { get: () => null }, findings };

  const dirs = new Set<string>();
  for (const f of tree.index.keys()) for (let i = f.indexOf('/'); i >= 0; i = f.indexOf('/', i + 1)) dirs.add(f.slice(0, i));
  const resolve = (p: string): Resolved => {
    try {
      return resolveInTree(tree.index, (d) => dirs.has(d), (l) => tree.read(l).toString('utf8'), p);
    } catch {
      return { kind: 'missing' };
    }
  };
  const problem = (rule: string, file: string | null, message: string) => findings.push({ severity: 'error', rule, file, line: null, resource: null, message });

  // Folders listed first win: a team's own schemas before a vendored catalog.
  for (const folder of folders) {
    const clean = folder.replace(/^\.\/+/, '').replace(/\/+$/, '');
    const r = resolve(clean);
    if (r.kind === 'escape') {
      problem('path-escape', configFile, `validate.schemas: ${JSON.stringify(folder)}: ${escapeMessage(r.target)}`);
      continue;
    }
    if (r.kind !== 'dir') {
      problem('config', configFile, `validate.schemas: ${JSON.stringify(folder)} is not a folder at ${tree.sha.slice(0, 12)}`);
      continue;
    }
    const prefix = r.path === '' ? '' : `${r.path}/`;
    for (const p of tree.index.keys()) {
      if (!p.startsWith(prefix)) continue;
      const m = FILE_RE.exec(p.slice(prefix.length));
      if (!m) continue;
      const [, group, kind, version] = m as unknown as [string, string, string, string];
      const key = `${group}/${version} ${kind}`;
      if (byKey.has(key)) continue;
      const target = resolve(p);
      if (target.kind === 'escape') {
        problem('path-escape', p, escapeMessage(target.target));
        continue;
      }
      if (target.kind !== 'file') continue;
      byKey.set(key, lazyVersion(tree, target.path, p, group, version, kind, (message) => problem('config', p, message)));
    }
  }
  return {
    files: { get: (apiVersion, kind) => byKey.get(`${apiVersion} ${kind.toLowerCase()}`) ?? null },
    findings,
  };
}

function lazyVersion(tree: Tree, real: string, file: string, group: string, version: string, kind: string, report: (m: string) => void): CrdVersion {
  let schema: Record<string, unknown> | null | undefined;
  const out = { group, version, kind, crd: file, scope: 'Namespaced', served: true, deprecated: false, deprecationWarning: null, preserveUnknownFields: false } as CrdVersion;
  Object.defineProperty(out, 'schema', {
    enumerable: true,
    get() {
      if (schema === undefined) {
        schema = null;
        try {
          const parsed: unknown = JSON.parse(tree.read(real).toString('utf8'));
          if (isRecord(parsed)) schema = parsed;
          else report('not a JSON Schema object; resources of this kind are not validated');
        } catch (err) {
          report(err instanceof ReadLimitError ? err.message : `not valid JSON (${(err as Error).message}); resources of this kind are not validated`);
        }
      }
      return schema;
    },
  });
  return out;
}
