// Issue 8, item 17: the hash suffix of a generated Secret's name must not be shown.
import { afterAll, describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import { planChecks } from '../../src/report/checks.js';
import { renderJson, renderMarkdown, renderText } from '../../src/report/plan.js';
import { deployment, kustomization } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const cacheDir = tempDir('ferry-cache-');
const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

const HASHED = /db-creds-[bcdfghkmt2-9]{10}/;

const refs = `          env:
            - name: PASSWORD
              valueFrom:
                secretKeyRef: { name: db-creds, key: password }
          envFrom:
            - secretRef: { name: db-creds }
          volumeMounts:
            - { name: creds, mountPath: /creds }
      volumes:
        - name: creds
          secret: { secretName: db-creds }
`;

describe('Kustomize hash suffix of Secret names', () => {
  it('is masked in the Secret, every reference to it, findings, comment, checks and JSON', async () => {
    const r = new TestRepo();
    repos.push(r);
    const app = (pw: string) => ({
      '.github/ferry.yml': 'environments:\n  - name: staging\n    path: envs/staging\n',
      'envs/staging/api/kustomization.yaml': kustomization(
        // The patch gives the Secret a finding (unknown field), so its label reaches the check.
        `resources:\n  - deployment.yaml\nsecretGenerator:\n  - name: db-creds\n    literals:\n      - password=${pw}\npatches:\n  - target: { kind: Secret }\n    patch: |-\n      - { op: add, path: /extra, value: x }\n`,
      ),
      'envs/staging/api/deployment.yaml': deployment('api', { extra: refs }),
    });
    r.write(app('pw1'));
    const base = r.commit('initial');
    r.write(app('pw2'));
    const head = r.commit('rotate');
    const p = await plan({ repo: r.dir, base, head, cacheDir });

    const a = p.environments[0]!.apps[0]!;
    expect(a.status).toBe('rendered');
    const secret = a.changes.find((c) => c.kind === 'Secret')!;
    expect(secret).toMatchObject({ action: 'changed', name: 'db-creds-*****' });
    expect(secret.diff).toContain('name: db-creds-*****');
    const dep = a.changes.find((c) => c.kind === 'Deployment')!;
    // The Deployment still reads as changed (it rolls out), with its references masked.
    expect(dep.diff).toMatch(/^-\s+name: db-creds-\*\*\*\*\*$/m);
    expect(dep.diff).toMatch(/^\+\s+secretName: db-creds-\*\*\*\*\*$/m);
    const finding = a.findings.find((f) => f.rule === 'unknown-field')!;
    expect(finding.resource).toBe('Secret/db-creds-*****');

    const checks = planChecks(p);
    // Markdown escapes the asterisks; they still read as `db-creds-*****`.
    expect(checks[1]!.summary).toContain('Secret/db-creds-\\*\\*\\*\\*\\*');
    const out = [renderMarkdown(p), renderText(p), renderJson(p), JSON.stringify(checks)].join('\n');
    expect(out).toContain('db-creds-*****');
    expect(out).not.toMatch(HASHED);
  });
});
