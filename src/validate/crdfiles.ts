// Finds CRDs anywhere in a checked-out tree. Runs once per plan over the whole repository,
// so it reads only YAML files that can contain a CRD and never fails on a bad one: a
// broken or templated file here is reported by the renderer, if at all, not by us.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { crdSchemasFromObjects, type CrdSchemas } from './crd.js';

const MAX_FILE_BYTES = 5 * 1024 * 1024;
const SKIP_DIRS = new Set(['.git', 'node_modules']);
const CONCURRENCY = 16;

async function yamlFiles(rootDir: string): Promise<string[]> {
  const files: string[] = [];
  const pending = [rootDir];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      // Dirents do not follow symlinks, so a link cannot lead the walk out of the tree.
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) pending.push(path.join(dir, e.name));
      } else if (e.isFile() && (e.name.endsWith('.yaml') || e.name.endsWith('.yml'))) {
        files.push(path.join(dir, e.name));
      }
    }
  }
  return files.sort();
}

async function crdObjectsIn(file: string): Promise<unknown[]> {
  try {
    if ((await stat(file)).size > MAX_FILE_BYTES) return [];
    const text = await readFile(file, 'utf8');
    if (!text.includes('CustomResourceDefinition')) return [];
    const out: unknown[] = [];
    for (const doc of parseAllDocuments(text, { logLevel: 'error' })) {
      if (doc.errors.length > 0) continue;
      try {
        out.push(doc.toJS({ maxAliasCount: 100 }));
      } catch {
        // An alias bomb or a bad merge key in one document does not spoil the others.
      }
    }
    return out;
  } catch {
    return [];
  }
}

export async function findCrdsInTree(rootDir: string): Promise<CrdSchemas> {
  const files = await yamlFiles(rootDir);
  const perFile: unknown[][] = new Array(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      perFile[i] = await crdObjectsIn(files[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, files.length) }, worker));
  // Files are sorted, so when two files define the same version the later path wins every time.
  return crdSchemasFromObjects(perFile.flat());
}
