import { describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import { TEST_HELM } from '../helpers/bin.js';
import { deployment } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';
import { appOf, argoApp } from '../helpers/argo.js';

/**
 * A directory source's include/exclude is matched against every file under its folder, once
 * per brace alternative: a 50 KB glob costs over a millisecond a file, seconds for a large
 * folder, on the event loop. Globs written by hand are short; a long one is refused.
 */

const CONFIG = `environments:\n  - name: prod\n    path: argocd\nrender:\n  helm: ${TEST_HELM}\n`;

describe('Argo CD directory globs from a pull request', () => {
  it('an include or exclude longer than 1024 characters is refused with a finding, a short one still applies', async () => {
    const long = `*${'a*'.repeat(600)}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}`;
    const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, 'manifests/web/deployment.yaml': deployment('web'), 'manifests/web/skip.yaml': deployment('skip') });
    const base = r.commit('base');
    const source = (field: string, glob: string) => `  source:\n    repoURL: https://git.example.com/org/gitops.git\n    path: manifests/web\n    directory:\n      ${field}: '${glob}'\n  destination:\n    namespace: web\n`;
    r.write({ 'argocd/a.yaml': argoApp('a', source('include', long)), 'argocd/b.yaml': argoApp('b', source('exclude', long)), 'argocd/c.yaml': argoApp('c', source('exclude', 'skip*')) });
    const head = r.commit('applications');
    const p = await plan({ repo: r.dir, base, head, cacheDir: tempDir('ferry-cache-') });
    for (const [name, field] of [['argocd/a', 'include'], ['argocd/b', 'exclude']] as const) {
      const app = appOf(p, name)!;
      expect(app.findings.map((f) => f.message)).toContain(`directory.${field} is longer than 1024 characters; not rendered`);
      expect(app.changes).toEqual([]);
    }
    expect(appOf(p, 'argocd/c')!.changes.map((c) => c.name)).toEqual(['web']);
  });
});
