import { describe, expect, it } from 'vitest';
import { validateResources } from '../../src/validate/index.js';
import { OPTS, cleanDeployment, edit, only, res, rules } from './helpers.js';

/** Breaks several rules at once: latest tag, privileged, missing limits, unknown field. */
function messy(annotations?: Record<string, string>) {
  return edit(cleanDeployment(), (o) => {
    const c = o.spec.template.spec.containers[0];
    c.image = 'nginx:latest';
    c.securityContext = { privileged: true };
    delete c.resources.limits;
    o.spec.replica = 1;
    if (annotations) o.metadata.annotations = annotations;
  });
}

describe('rule levels', () => {
  it('uses default levels for unlisted rules', () => {
    const f = validateResources([res(messy())], OPTS);
    expect(Object.fromEntries(f.map((x) => [x.rule, x.severity]))).toEqual({
      'no-latest-tag': 'error',
      privileged: 'error',
      'resource-limits': 'warning',
      'unknown-field': 'error',
    });
  });

  it('overrides severities and turns rules off', () => {
    const f = validateResources([res(messy())], { ...OPTS, rules: { 'no-latest-tag': 'warning', 'resource-limits': 'error', privileged: 'off', 'unknown-field': 'info' } });
    expect(Object.fromEntries(f.map((x) => [x.rule, x.severity]))).toEqual({
      'no-latest-tag': 'warning',
      'resource-limits': 'error',
      'unknown-field': 'info',
    });
  });

  it('turns off schema, unknown-kind and duplicate-resource', () => {
    const bad = edit(cleanDeployment(), (o) => (o.spec.replicas = 'x'));
    const cr = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    const off = { ...OPTS, rules: { schema: 'off', 'unknown-kind': 'off', 'duplicate-resource': 'off' } as const };
    expect(validateResources([res(bad), res(bad), res(cr)], off)).toEqual([]);
    expect(rules(validateResources([res(bad), res(bad), res(cr)], OPTS)).sort()).toEqual(['duplicate-resource', 'schema', 'schema', 'unknown-kind']);
  });

  it('ignores unknown rule ids in the configuration', () => {
    expect(validateResources([res(cleanDeployment())], { ...OPTS, rules: { 'no-such-rule': 'error' } })).toEqual([]);
  });
});

describe('suppression', () => {
  it('the ferry.dev/ignore annotation silences the listed rules for that resource only', () => {
    const quiet = messy({ 'ferry.dev/ignore': 'no-latest-tag, privileged' });
    const loud = edit(messy(), (o) => (o.metadata.name = 'other'));
    const f = validateResources([res(quiet), res(loud)], OPTS);
    expect(rules(f.filter((x) => x.resource === 'Deployment/prod/web')).sort()).toEqual(['resource-limits', 'unknown-field']);
    expect(rules(f.filter((x) => x.resource === 'Deployment/prod/other')).sort()).toEqual(['no-latest-tag', 'privileged', 'resource-limits', 'unknown-field']);
  });

  it('the annotation accepts all', () => {
    expect(validateResources([res(messy({ 'ferry.dev/ignore': 'all' }))], OPTS)).toEqual([]);
  });

  it('source.ignoredRules from a # ferry:ignore comment does the same', () => {
    const f = validateResources([res(messy(), { file: 'd.yaml', line: 1, ignoredRules: ['resource-limits', 'unknown-field'] })], OPTS);
    expect(rules(f).sort()).toEqual(['no-latest-tag', 'privileged']);
    expect(validateResources([res(messy(), { file: 'd.yaml', line: 1, ignoredRules: ['all'] })], OPTS)).toEqual([]);
  });

  it('combines the annotation with ignoredRules', () => {
    const r = res(messy({ 'ferry.dev/ignore': 'privileged' }), { file: 'd.yaml', line: 1, ignoredRules: ['no-latest-tag'] });
    expect(rules(validateResources([r], OPTS)).sort()).toEqual(['resource-limits', 'unknown-field']);
  });
});

describe('duplicate-resource', () => {
  it('reports the second definition and where the first one is', () => {
    const a = res(cleanDeployment(), { file: 'apps/web/a.yaml', line: 4 });
    const b = res(cleanDeployment(), { file: 'apps/web/b.yaml', line: 9 });
    const f = only(validateResources([a, b], OPTS), 'duplicate-resource');
    expect(f).toEqual([
      {
        severity: 'error',
        rule: 'duplicate-resource',
        message: 'Deployment/prod/web is defined more than once (first at apps/web/a.yaml:4)',
        file: 'apps/web/b.yaml',
        line: 9,
        resource: 'Deployment/prod/web',
      },
    ]);
  });

  it('compares the API group, not the version', () => {
    const v1 = edit(cleanDeployment(), (o) => (o.metadata.name = 'x'));
    const beta = edit(v1, (o) => (o.apiVersion = 'apps/v1beta2'));
    expect(only(validateResources([res(v1), res(beta)], OPTS), 'duplicate-resource')).toHaveLength(1);
  });

  it('does not fire for different names, namespaces, kinds or groups', () => {
    const base = cleanDeployment();
    const objs = [
      base,
      edit(base, (o) => (o.metadata.name = 'api')),
      edit(base, (o) => (o.metadata.namespace = 'staging')),
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'prod' }, spec: { ports: [{ port: 80 }] } },
      { apiVersion: 'example.com/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'prod' } },
    ];
    expect(rules(validateResources(objs.map((o) => res(o)), OPTS))).not.toContain('duplicate-resource');
  });
});
