import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The installed folder of an ESM-only package. Resolving the bare name needs an export
 * condition these packages may not have (and they export no package.json), so the folder is
 * found where Node looks for packages.
 */
export function packageDir(pkg: string): string {
  for (const base of require.resolve.paths(pkg) ?? []) {
    const dir = path.join(base, pkg);
    if (existsSync(path.join(dir, 'package.json'))) return dir;
  }
  throw new Error(`${pkg} is not installed`);
}
