/**
 * Attacks on building the report, found in review: a whitespace run that made escaping
 * quadratic on the server's main thread, unbounded check annotations, base64 forms of generator secrets in kustomize errors,
 * and `_www.` links.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import { MAX_ANNOTATIONS, planChecks } from '../../src/report/checks.js';
import { fitPlanComment } from '../../src/report/fit.js';
import { inline, MAX_TEXT } from '../../src/report/markdown.js';
import type { Finding, Plan } from '../../src/types.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const ZWJ = '\u200D';
const cleanups: Array<() => void> = [];
const cacheDir = tempDir('ferry-cache-');
cleanups.push(() => rmSync(cacheDir, { recursive: true, force: true }));
afterAll(() => cleanups.forEach((c) => c()));

function repo(files: Record<string, string>): TestRepo {
  const r = new TestRepo().write({ '.github/ferry.yml': 'environments:\n  - name: staging\n    path: envs/staging\n', ...files });
  cleanups.push(() => r.cleanup());
  return r;
}

function planWith(findings: Finding[]): Plan {
  return {
    base: 'a'.repeat(40),
    head: 'b'.repeat(40),
    environments: [{ name: 'staging', apps: [{ name: 'app', path: 'envs/staging/app', renderer: 'plain', status: 'rendered', changes: [], findings }] }],
    findings: [],
    summary: { added: 0, changed: 0, removed: 0, errors: findings.filter((f) => f.severity === 'error').length, warnings: findings.filter((f) => f.severity === 'warning').length },
  };
}

describe('building the report from hostile text', () => {
  it('a kind of 100,000 spaces is planned and reported (escaping was quadratic: over a minute on the main thread)', async () => {
    const r = repo({ 'README.md': 'x\n' });
    const base = r.commit('base');
    r.write({ 'envs/staging/app/x.yaml': `apiVersion: v1\nkind: "X${' '.repeat(100_000)}Y"\nmetadata: {name: n}\n` });
    const head = r.commit('spaces');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    const parts = fitPlanComment(p, { limit: 65_536 });
    const checks = planChecks(p);
    expect(parts.join('').length).toBeLessThan(65_536 * 5);
    expect(checks.map((c) => c.name)).toEqual(['ferry/plan', 'ferry/validate']);
    // The text is clipped where it is shown.
    expect(inline(`X${' '.repeat(100_000)}Y`).length).toBeLessThan(MAX_TEXT + 100);
  });

  it('check annotations are capped, errors first, and the summary says how many were left out', () => {
    const findings: Finding[] = [];
    for (let i = 0; i < 100_000; i++) findings.push({ severity: 'warning', rule: 'unknown-kind', file: 'envs/staging/app/x.yaml', line: i + 1, resource: null, message: `w${i}` });
    findings.push({ severity: 'error', rule: 'schema', file: 'envs/staging/app/x.yaml', line: 100_001, resource: null, message: 'the error' });
    const validate = planChecks(planWith(findings)).find((c) => c.name === 'ferry/validate')!;
    expect(validate.annotations).toHaveLength(MAX_ANNOTATIONS);
    expect(validate.annotations[0]).toMatchObject({ level: 'failure', message: 'the error' });
    expect(validate.summary).toContain(`${100_001 - MAX_ANNOTATIONS} more findings are not annotated`);
  });

  it('a secretGenerator value that kustomize prints base64-encoded in an error is masked', async () => {
    const k = (extra: string) => `secretGenerator:\n  - name: db-creds\n    literals: [password=SuperSecretValue123]\n${extra}`;
    const r = repo({ 'envs/staging/db/kustomization.yaml': k('') });
    const base = r.commit('base');
    r.write({
      'envs/staging/db/kustomization.yaml': k('replacements:\n  - source: {kind: Secret, name: db-creds, fieldPath: data.password}\n    targets:\n      - select: {kind: Secret, name: db-creds}\n        fieldPaths: [data.password.x]\n'),
    });
    const head = r.commit('replacements');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    const text = JSON.stringify(p) + fitPlanComment(p, { limit: 65_536 }).join('') + JSON.stringify(planChecks(p));
    const db = p.environments[0]!.apps.find((a) => a.name === 'db')!;
    expect(db.status).toBe('error');
    expect(text).not.toContain('SuperSecretValue123');
    expect(text).not.toContain(Buffer.from('SuperSecretValue123').toString('base64'));
  });

  it('`www.` after an underscore does not become a link', () => {
    expect(inline('_www.evil-example.com/login')).toContain(`www${ZWJ}.evil-example.com`);
    expect(inline('see www.example.com')).toContain(`www${ZWJ}.example.com`);
  });
});
