// Issue 8, item 10: a Secret's values must not reach a finding (comment, check, annotation).
import { afterAll, describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import { planChecks } from '../../src/report/checks.js';
import { renderJson, renderMarkdown, renderText } from '../../src/report/plan.js';
import type { Plan } from '../../src/types.js';
import { kustomization } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const cacheDir = tempDir('ferry-cache-');
const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

const CONFIG = 'environments:\n  - name: staging\n    path: envs/staging\n';

async function planOf(files: Record<string, string | Buffer>): Promise<Plan> {
  const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, 'README.md': 'x\n' });
  repos.push(r);
  const base = r.commit('initial');
  r.write(files);
  const head = r.commit('change');
  return plan({ repo: r.dir, base, head, cacheDir });
}

/** Everything a reader of the PR or of the CLI sees. */
function everyOutput(p: Plan): string {
  const checks = planChecks(p);
  return [renderMarkdown(p), renderText(p), renderJson(p), JSON.stringify(checks)].join('\n');
}

const allFindings = (p: Plan) => [...p.findings, ...p.environments.flatMap((e) => e.apps.flatMap((a) => a.findings))];

describe('Secret values in findings', () => {
  it('a Secret whose data is not base64: the schema finding names the key, never the value', async () => {
    const short = 'Sup3r$ecret!';
    const long = `a-long-password-that-is-not-base64-${'x'.repeat(40)}-and-ends-here!`;
    const p = await planOf({
      'envs/staging/db/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  password: "${short}"\n  long: "${long}"\n`,
    });
    const findings = allFindings(p).filter((f) => f.rule === 'schema');
    expect(findings.map((f) => f.message).sort()).toEqual(['data.long: "***" is not a valid byte', 'data.password: "***" is not a valid byte']);
    expect(findings.every((f) => f.file === 'envs/staging/db/secret.yaml' && f.line !== null)).toBe(true);
    const out = everyOutput(p);
    expect(out).toContain('is not a valid byte');
    for (const leak of [short, long, long.slice(0, 30), JSON.stringify(short)]) expect(out).not.toContain(leak);
  });

  it('a secretGenerator literal that Kustomize echoes in its error is masked in the render finding', async () => {
    const literal = 'Sup3rSecretWithoutEquals';
    const p = await planOf({
      'envs/staging/api/kustomization.yaml': kustomization(`secretGenerator:\n  - name: db\n    literals:\n      - user=admin\n      - ${literal}\n`),
    });
    const app = p.environments[0]!.apps[0]!;
    expect(app.status).toBe('error');
    const render = app.findings.find((f) => f.rule === 'render-error')!;
    // Kustomize's own words survive, so the author can still tell what is wrong.
    expect(render.message).toMatch(/kustomize failed for envs\/staging\/api: .*invalid literal source \*\*\*, expected key=value/);
    expect(everyOutput(p)).not.toContain(literal);
  });

  it('an envs file line Kustomize cannot decode is masked, in its decimal byte dump too', async () => {
    const value = 'env-file-S3cret';
    const line = Buffer.concat([Buffer.from(`PASSWORD=${value}`), Buffer.from([0xff])]);
    const p = await planOf({
      'envs/staging/api/kustomization.yaml': kustomization('secretGenerator:\n  - name: app\n    envs: [app.env]\n'),
      'envs/staging/api/app.env': Buffer.concat([Buffer.from('USER=admin\n'), line, Buffer.from('\n')]),
    });
    const out = everyOutput(p);
    expect(out).toMatch(/has invalid utf8 bytes/);
    expect(out).not.toContain(value);
    expect(out).not.toContain(Array.from(line).join(' '));
    expect(out).not.toContain(Array.from(Buffer.from(value)).join(' '));
  });

  it('a Secret manifest value Kustomize prints as "node contents" is masked', async () => {
    const value = 'manifest-S3cret';
    const p = await planOf({
      'envs/staging/api/kustomization.yaml': kustomization(
        'resources:\n  - secret.yaml\nreplacements:\n  - source: { kind: Secret, name: manual, fieldPath: stringData.token }\n    targets:\n      - select: { kind: Secret }\n        fieldPaths: [stringData.token.x]\n',
      ),
      'envs/staging/api/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: manual\nstringData:\n  token: ${value}\n`,
    });
    const out = everyOutput(p);
    expect(out).toMatch(/node contents/);
    expect(out).not.toContain(value);
  });
});
