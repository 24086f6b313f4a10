/**
 * Which files hold manifests is decided by parsing, not by a line pattern: JSON
 * manifests and YAML that does not start a line with `apiVersion:` are found, and a
 * document that is not a Kubernetes object in a plain app is reported at its line.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import type { AppPlan, Plan } from '../../src/types.js';
import { configMap } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const cacheDir = tempDir('ferry-cache-');
const appOf = (p: Plan, name: string): AppPlan | undefined => p.environments[0]!.apps.find((a) => a.name === name);

const svcJson = JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'api' }, spec: { ports: [{ port: 80 }] } }, null, 2);

describe('manifest files found by parsing', () => {
  it('plans JSON manifests and indented or quoted-key YAML; a package.json beside them is not a manifest', async () => {
    const r = new TestRepo().write({
      'apps/api/svc.json': svcJson,
      'apps/api/package.json': JSON.stringify({ name: 'tooling', version: '1.0.0' }),
      'apps/quoted/cm.yaml': '"apiVersion": v1\n"kind": ConfigMap\n"metadata":\n  "name": quoted\n',
      'apps/flow/cm.yaml': '{apiVersion: v1, kind: ConfigMap, metadata: {name: flow}}\n',
    });
    const base = r.commit('base');
    r.write({
      'apps/api/svc.json': svcJson.replace('"port": 80', '"port": "eighty"'),
      'apps/quoted/cm.yaml': '"apiVersion": v1\n"kind": ConfigMap\n"metadata":\n  "name": quoted\n"data":\n  "k": v\n',
      'apps/flow/cm.yaml': '{apiVersion: v1, kind: ConfigMap, metadata: {name: flow}, data: {k: v}}\n',
    });
    const head = r.commit('head');
    const p = await plan({ repo: r.dir, base, head, cacheDir });
    const names = p.environments[0]!.apps.map((a) => a.name).sort();
    expect(names).toEqual(['apps/api', 'apps/flow', 'apps/quoted']);
    const api = appOf(p, 'apps/api')!;
    expect(api.changes.map((c) => `${c.action} ${c.kind}/${c.name}`)).toEqual(['changed Service/api']);
    // The bad value is found in the JSON file, at its line.
    const bad = api.findings.find((f) => f.rule === 'schema');
    expect(bad).toMatchObject({ file: 'apps/api/svc.json', line: 10 });
    expect(api.findings.some((f) => f.file === 'apps/api/package.json')).toBe(false);
    expect(appOf(p, 'apps/quoted')!.changes.map((c) => c.action)).toEqual(['changed']);
    expect(appOf(p, 'apps/flow')!.changes.map((c) => c.action)).toEqual(['changed']);
  });

  it('reports a document without kind next to valid ones, at its line, and still plans the rest', async () => {
    const r = new TestRepo().write({ 'apps/web/cm.yaml': configMap('a') });
    const base = r.commit('base');
    r.write({ 'apps/web/cm.yaml': `${configMap('a').replace('k: v', 'k: w')}---\napiVersion: v1\nmetadata:\n  name: b\n` });
    const head = r.commit('head');
    const web = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'apps/web')!;
    expect(web.changes.map((c) => `${c.action} ${c.kind}/${c.name}`)).toEqual(['changed ConfigMap/a']);
    const line = configMap('a').split('\n').length + 1;
    expect(web.findings.filter((f) => f.rule === 'missing-kind').map((f) => [f.file, f.line, f.severity])).toEqual([['apps/web/cm.yaml', line, 'error']]);
  });

  it('a duplicate key is a warning naming both lines, and an error under strict', async () => {
    const dup = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\ndata:\n  k: a\n  k: b\n';
    for (const strict of [false, true]) {
      const r = new TestRepo().write({
        '.github/ferry.yml': `environments:\n  - name: staging\n    path: apps\nvalidate:\n  strict: ${strict}\n`,
        'apps/web/cm.yaml': configMap('d'),
      });
      const base = r.commit('base');
      r.write({ 'apps/web/cm.yaml': dup });
      const head = r.commit('head');
      const web = appOf(await plan({ repo: r.dir, base, head, cacheDir }), 'web')!;
      const f = web.findings.find((x) => x.rule === 'duplicate-key');
      expect(f).toMatchObject({ file: 'apps/web/cm.yaml', line: 7, severity: strict ? 'error' : 'warning' });
      expect(f!.message).toContain('lines 6 and 7');
      // Still diffed with the last value, as kubectl applies it.
      expect(web.changes.map((c) => c.action)).toEqual(['changed']);
      expect(web.changes[0]!.diff).toMatch(/^\+\s+k: b$/m);
    }
  });

  it('a plain app reads a symlinked manifest through its link', async () => {
    const r = new TestRepo().write({ 'shared/cm.yaml': configMap('linked'), 'apps/web/own.yaml': configMap('own') });
    mkdirSync(path.join(r.dir, 'apps/web'), { recursive: true });
    symlinkSync('../../shared/cm.yaml', path.join(r.dir, 'apps/web/cm.yaml'));
    const head = r.commit('head');
    const web = appOf(await plan({ repo: r.dir, base: head, head, cacheDir }, true), 'apps/web')!;
    // The link's target is parsed, not the link's own text (a path, which is no object).
    expect(web.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(web.resources).toBe(2);
  });
});

