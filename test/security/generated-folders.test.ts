import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import { TEST_HELM } from '../helpers/bin.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';
import { addedObjects, appOf, argoApp, CHART } from '../helpers/argo.js';

/**
 * Renders write generated files into the tree, named by content (.ferry-helm, .ferry-flux,
 * .ferry-argo). A pull request that commits a file at such a name must not have it read in
 * place of what Ferry writes: the diff would show values other than the ones deployed.
 */

const CONFIG = `environments:\n  - name: prod\n    path: argocd\nrender:\n  helm: ${TEST_HELM}\nvalidate:\n  kubernetesVersion: "1.31"\n`;

describe('files committed where renders write their own', () => {
  it('a committed .ferry-helm/values/<sha>.yaml never stands in for the inline values it is named after', async () => {
    const inline = JSON.stringify({ greeting: 'evil-greeting' });
    const forged = `.ferry-helm/values/${createHash('sha256').update(inline).digest('hex')}.yaml`;
    const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, ...CHART });
    const base = r.commit('base');
    r.write({
      // Listed as a values file so the render materializes it; Argo CD applies it first, then valuesObject.
      [forged]: 'greeting: hello\n',
      'argocd/web.yaml': argoApp('web', `  source:
    repoURL: https://git.example.com/org/gitops.git
    path: charts/web
    helm:
      valueFiles: [../../${forged}]
      valuesObject:
        greeting: evil-greeting
  destination:
    namespace: web
`),
    });
    const head = r.commit('application');
    const p = await plan({ repo: r.dir, base, head, cacheDir: tempDir('ferry-cache-') });
    const app = appOf(p, 'argocd/web')!;
    // Not rendered (Ferry cannot read that file as the repository has it), and says why: never "hello".
    expect(addedObjects(app).find((o) => o.kind === 'ConfigMap')).toBeUndefined();
    expect(app.findings.map((f) => f.message)).toContain(`helm template refused: values file ${forged} is in a folder Ferry writes renders into`);
  });

  it('a chart at the repository root reads the inline values, not a file committed at their name', async () => {
    const inline = JSON.stringify({ greeting: 'evil-greeting' });
    const forged = `.ferry-helm/values/${createHash('sha256').update(inline).digest('hex')}.yaml`;
    const root = Object.fromEntries(Object.entries(CHART).map(([k, v]) => [k.replace(/^charts\/web\//, ''), v]));
    const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, ...root });
    const base = r.commit('base');
    r.write({
      [forged]: 'greeting: hello\n',
      'argocd/web.yaml': argoApp('web', `  source:
    repoURL: https://git.example.com/org/gitops.git
    path: .
    helm:
      valuesObject:
        greeting: evil-greeting
  destination:
    namespace: web
`),
    });
    const head = r.commit('application');
    const p = await plan({ repo: r.dir, base, head, cacheDir: tempDir('ferry-cache-') });
    const app = appOf(p, 'argocd/web')!;
    const cm = addedObjects(app).find((o) => o.kind === 'ConfigMap') as { data: Record<string, string> } | undefined;
    expect(app.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(cm?.data.greeting).toBe('evil-greeting');
  });
});
