import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { planChecks } from '../../src/report/checks.js';
import { renderMarkdown, renderText } from '../../src/report/plan.js';
import type { Finding, Plan } from '../../src/types.js';
import { configMap, deployment, kustomization, service, twoEnvConfig } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const cacheDir = tempDir('ferry-cache-');
const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

const WIDGETS = 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: a\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: b\n';

/** base/web (shared by both environments) is already wrong: an unpinned image and a kind nobody defines. */
function baseRepo(): TestRepo {
  const r = new TestRepo().write({
    '.github/ferry.yml': twoEnvConfig(),
    'base/web/kustomization.yaml': kustomization('resources:\n  - web.yaml\n  - api.yaml\n  - service.yaml\n  - widgets.yaml\n'),
    'base/web/web.yaml': deployment('web', { image: 'nginx:latest' }),
    'base/web/api.yaml': deployment('api', { image: 'busybox:1.36' }),
    'base/web/service.yaml': service('web'),
    'base/web/widgets.yaml': WIDGETS,
    'envs/staging/web/kustomization.yaml': kustomization('resources:\n  - ../../../base/web\n'),
    'envs/production/web/kustomization.yaml': kustomization('resources:\n  - ../../../base/web\n'),
  });
  repos.push(r);
  return r;
}

async function plan(r: TestRepo, base: string, head: string): Promise<Plan> {
  let out = '';
  let err = '';
  const code = await main(['plan', '--repo', r.dir, '--base', base, '--head', head, '--format', 'json', '--cache-dir', cacheDir], { out: (s) => (out += s), err: (s) => (err += s) });
  if (code === 2) throw new Error(err);
  return JSON.parse(out) as Plan;
}

const brief = (fs: Finding[]) => fs.map((f) => `${f.inBase ? 'base' : 'own '} ${f.rule} ${f.file}:${f.line} ${f.resource}`);

describe('findings the base already had', () => {
  it('are marked inBase on untouched files, apart from the change\'s own; an unknown kind is reported once per file', async () => {
    const r = baseRepo();
    const base = r.commit('base');
    r.write({
      // Touches the shared base (both environments plan), not the files with findings.
      'base/web/service.yaml': service('web').replace('port: 80', 'port: 8080'),
      // The change's own error, in a new file.
      'envs/staging/web/kustomization.yaml': kustomization('resources:\n  - ../../../base/web\n  - extra.yaml\n'),
      'envs/staging/web/extra.yaml': configMap('extra').replace('  name: extra', '  name: extra\n  lables: { a: b }'),
      // Its own error reported at an untouched file's line: `images:` unpins the api image.
      'envs/production/web/kustomization.yaml': kustomization('resources:\n  - ../../../base/web\nimages:\n  - name: busybox\n    newTag: latest\n'),
    });
    const head = r.commit('change');
    const p = await plan(r, base, head);
    const [staging, production] = p.environments.map((e) => e.apps.find((a) => a.name === 'web')!);
    expect(brief(staging!.findings)).toEqual([
      'base no-latest-tag base/web/web.yaml:17 Deployment/web',
      'own  unknown-field envs/staging/web/extra.yaml:5 ConfigMap/extra',
      'base unknown-kind base/web/widgets.yaml:2 Widget/a',
    ]);
    // The Widget warning was said in staging, for the file: not again per object or environment.
    expect(brief(production!.findings)).toEqual([
      'own  no-latest-tag base/web/api.yaml:17 Deployment/api',
      'base no-latest-tag base/web/web.yaml:17 Deployment/web',
    ]);

    const md = renderMarkdown(p);
    expect(md).toMatch(/<summary><b>staging \/ web<\/b> <code>[^<]*<\/code> ❌ 1 error \(\+2 in base\)<\/summary>/);
    expect(md).toMatch(/<summary><b>production \/ web<\/b> <code>[^<]*<\/code> ❌ 1 error \(\+1 in base\)<\/summary>/);
    const stagingSection = md.slice(md.indexOf('<b>staging / web</b>'), md.indexOf('<b>production / web</b>'));
    const folded = stagingSection.slice(stagingSection.indexOf('<details><summary>Already in base'));
    expect(folded).toMatch(/^<details><summary>Already in base: 2 findings on files this change does not touch<\/summary>/);
    expect(folded).toContain('base/web/web.yaml:17');
    expect(folded).not.toContain('extra.yaml');
    expect(stagingSection.indexOf('extra.yaml:5')).toBeLessThan(stagingSection.indexOf('<details><summary>Already in base'));
    expect(renderText(p)).toContain('  already in base (2, on files this change does not touch):\n    error [no-latest-tag] base/web/web.yaml:17');

    const validate = planChecks(p).find((c) => c.name === 'ferry/validate')!;
    expect(validate.title).toBe('4 errors (2 already in base), 1 warning');
    expect(validate.annotations.map((a) => `${a.level} ${a.path}`)).toEqual([
      'failure envs/staging/web/extra.yaml',
      'failure base/web/api.yaml',
      'failure base/web/web.yaml',
      'failure base/web/web.yaml',
      'warning base/web/widgets.yaml',
    ]);
  });

  it('a finding on a file the change touches is the change\'s, even when the base had it', async () => {
    const r = baseRepo();
    const base = r.commit('base');
    r.write({ 'base/web/web.yaml': deployment('web', { image: 'nginx:latest', replicas: 3 }) });
    const head = r.commit('scale');
    const p = await plan(r, base, head);
    const staging = p.environments[0]!.apps.find((a) => a.name === 'web')!;
    expect(brief(staging.findings)).toEqual(['own  no-latest-tag base/web/web.yaml:17 Deployment/web', 'base unknown-kind base/web/widgets.yaml:2 Widget/a']);
  });
});
