import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import type { Plan } from '../../src/types.js';
import { configMap } from '../helpers/fixtures.js';
import { appFailureFinding } from '../../src/plan/app-failure.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

/**
 * Ferry's own failure on one app (a bug, an input the engine did not expect) must be
 * that app's error, not the whole plan's. The failure is injected at the module
 * boundary: validation throws for one resource, by name, as a bug in it would. The
 * message of the injected error quotes manifest-like text, which must not be shown.
 */
vi.mock('../../src/validate/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/validate/index.js')>();
  return {
    ...real,
    validateResources: (resources: Parameters<typeof real.validateResources>[0], opts: Parameters<typeof real.validateResources>[1]) => {
      if (resources.some((r) => r.id.name === 'crash-me')) {
        throw new TypeError(`Unexpected token in "password: hunter2-secret" for 'spec' at ghp_abcdefghijklmnop1234`);
      }
      return real.validateResources(resources, opts);
    },
  };
});

const cacheDir = tempDir('ferry-cache-');
const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

describe('one app failing inside Ferry', () => {
  it('is an error on that app; the other apps are planned and the plan is complete', async () => {
    const r = new TestRepo().write({
      'ferry.yml': 'environments:\n  - name: prod\n    path: apps\n',
      'apps/good/cm.yaml': configMap('good'),
      'apps/bad/cm.yaml': configMap('fine'),
      'apps/other/cm.yaml': configMap('other'),
    });
    repos.push(r);
    const base = r.commit('base');
    r.write({
      'apps/good/cm.yaml': configMap('good').replace('k: v', 'k: changed'),
      'apps/bad/cm.yaml': configMap('crash-me'),
      'apps/other/cm.yaml': configMap('other').replace('k: v', 'k: w'),
    });
    const head = r.commit('head');
    let out = '';
    let err = '';
    const code = await main(['plan', '--repo', r.dir, '--base', base, '--head', head, '--format', 'json', '--cache-dir', cacheDir], {
      out: (s) => (out += s),
      err: (s) => (err += s),
    });
    expect(err).not.toContain('Internal error');
    const plan = JSON.parse(out) as Plan;
    const apps = Object.fromEntries(plan.environments[0]!.apps.map((a) => [a.name.replace('apps/', ''), a]));
    expect(Object.keys(apps).sort()).toEqual(['bad', 'good', 'other']);
    expect(apps.good!.status).toBe('rendered');
    expect(apps.good!.changes.map((c) => c.action)).toEqual(['changed']);
    expect(apps.other!.changes.map((c) => c.action)).toEqual(['changed']);
    const bad = apps.bad!;
    expect(bad.status).toBe('error');
    expect(bad.findings).toHaveLength(1);
    expect(bad.findings[0]).toMatchObject({ severity: 'error', rule: 'internal-error' });
    const msg = bad.findings[0]!.message;
    // The kind of error and where in Ferry it was raised: enough to report it.
    expect(msg).toMatch(/^Ferry failed on this app \(TypeError at (\S+ )?\(engine\.ts:\d+\)\); the other apps are planned\./);
    // What the error quoted from the input, and a token, are not repeated.
    expect(msg).not.toContain('hunter2');
    expect(msg).not.toContain('ghp_abcdefghijklmnop1234');
    expect(out).not.toContain('hunter2');
    // An app in error fails the plan, as any error does.
    expect(code).toBe(1);
    expect(plan.summary.errors).toBeGreaterThan(0);
  });
});

describe('the internal-error message', () => {
  const thrown = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (e) {
      return e;
    }
    throw new Error('did not throw');
  };
  it('repeats nothing an error quotes from its input, quoted or not', () => {
    // JSON.parse quotes its whole input; BigInt names the value without quotes.
    for (const err of [thrown(() => JSON.parse('Hunter2Passw0rd')), thrown(() => BigInt('s3cretToken'))]) {
      const f = appFailureFinding(err);
      expect(f.message).toMatch(/^Ferry failed on this app \(SyntaxError\)/);
      expect(f.message).not.toMatch(/Hunter2|s3cret/);
    }
  });
});
