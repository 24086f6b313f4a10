/**
 * One manifest file of 30 MB holding 100,000 resources is validated, not refused (issue 9).
 * The last document carries the only mistake: finding it at its line shows that every
 * document before it was read and validated.
 */
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const cacheDir = tempDir('ferry-cache-');

function doc(i: number): string {
  return [
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    `  name: svc-${i}`,
    `  namespace: team-${i % 50}`,
    '  annotations:',
    `    example.com/runbook: https://runbooks.example.com/services/svc-${i}`,
    '  labels:',
    `    app: svc-${i}`,
    '    app.kubernetes.io/part-of: a-large-system',
    'spec:',
    '  selector:',
    `    app: svc-${i}`,
    '  ports:',
    '    - name: http',
    '      port: 80',
    '      targetPort: 8080',
    '',
  ].join('\n');
}

describe('a 30 MB manifest file of 100,000 resources', () => {
  it('is parsed and validated to its last document', async () => {
    const docs: string[] = [];
    for (let i = 0; i < 99_999; i++) docs.push(doc(i));
    docs.push(doc(99_999).replace('      port: 80', '      port: eighty'));
    const text = docs.join('---\n');
    expect(text.length).toBeGreaterThan(30_000_000);
    const r = new TestRepo().write({ 'apps/big/all.yaml': text });
    const head = r.commit('big');
    const p = await plan({ repo: r.dir, base: head, head, cacheDir }, true);
    const app = p.environments[0]!.apps[0]!;
    expect(app.status).toBe('rendered');
    const lines = text.split('\n').length;
    expect(app.findings.map((f) => [f.rule, f.resource, f.line])).toEqual([['schema', 'Service/team-49/svc-99999', lines - 2]]);
  }, 120_000);
});
