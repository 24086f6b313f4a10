import { describe, expect, it } from 'vitest';
import { validateResources } from '../../src/validate/index.js';
import { cleanDeployment, OPTS, res, rules } from './helpers.js';

/** What docs/config.md#what-kubernetesversion-changes says, held to it. */
describe('what kubernetesVersion changes', () => {
  const at = (v: string) => ({ ...OPTS, kubernetesVersion: v });

  it('decides whether an apiVersion is deprecated or removed', () => {
    const pdb = { apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: { name: 'p' }, spec: { minAvailable: 1 } };
    expect(validateResources([res(pdb)], at('1.24')).map((f) => [f.rule, f.severity])).toEqual([['deprecated-api', 'warning']]);
    expect(validateResources([res(pdb)], at('1.25')).map((f) => [f.rule, f.severity])).toEqual([['removed-api', 'error']]);
  });

  it('decides whether a kind missing from the schemas is served yet', () => {
    const vac = { apiVersion: 'storage.k8s.io/v1', kind: 'VolumeAttributesClass', metadata: { name: 'v' }, driverName: 'd' };
    expect(rules(validateResources([res(vac)], at('1.33')))).toEqual(['unknown-api-version']);
    expect(validateResources([res(vac)], at('1.34'))).toEqual([]);
  });

  it('does not change the fields checked: a field newer than the target passes, as documented', () => {
    const d = cleanDeployment();
    const pod = ((d.spec as Record<string, unknown>).template as Record<string, Record<string, unknown>>).spec!;
    pod.resources = { requests: { cpu: '100m' } };
    expect(validateResources([res(d)], at('1.25'))).toEqual([]);
  });

  it('dates kinds the schemas have too: a GA kind of 1.33 is not served at 1.32', () => {
    const cidr = { apiVersion: 'networking.k8s.io/v1', kind: 'ServiceCIDR', metadata: { name: 'c' }, spec: { cidrs: ['10.0.0.0/16'] } };
    expect(validateResources([res(cidr)], at('1.33'))).toEqual([]);
    const early = validateResources([res(cidr)], at('1.32'));
    expect(early.map((f) => [f.rule, f.severity, f.message])).toEqual([
      ['unknown-api-version', 'error', 'networking.k8s.io/v1 ServiceCIDR is served from Kubernetes 1.33 on; the target version is 1.32'],
    ]);
    // One finding: the kind's fields are not judged against a release the target is not.
    const bad = { ...cidr, spec: { cidrs: 'not-a-list', extra: 1 } };
    expect(rules(validateResources([res(bad)], at('1.32')))).toEqual(['unknown-api-version']);
    expect(rules(validateResources([res(bad)], at('1.33')))).toEqual(['schema', 'unknown-field']);
  });
});
