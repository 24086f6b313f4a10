import { describe, expect, it } from 'vitest';
import { loadSchemas, schemaVersionFindings, validateResources } from '../../src/validate/index.js';
import { NEWER_APIS, SCHEMA_MINOR } from '../../src/validate/newer-apis.js';
import { builtinValidator } from '../../src/validate/schemas.js';
import { OPTS, cleanDeployment, edit, res } from './helpers.js';

const at = (version: string) => ({ ...OPTS, kubernetesVersion: version });

function findings(obj: Record<string, unknown>, opts = OPTS) {
  return validateResources([res(obj)], opts).map((f) => [f.rule, f.severity, f.message]);
}

describe('wrong apiVersion or kind of a built-in API group', () => {
  it('a version the group does not have is an error naming the served version', () => {
    const d = edit(cleanDeployment(), (o) => (o.apiVersion = 'apps/v1beta3'));
    expect(findings(d)).toEqual([['unknown-api-version', 'error', 'apps/v1beta3 Deployment: apps/v1beta3 is not a Kubernetes API version (did you mean apps/v1?)']]);
  });

  it('a kind put in the wrong group is an error naming its group', () => {
    const d = edit(cleanDeployment(), (o) => (o.apiVersion = 'v1'));
    expect(findings(d)).toEqual([['unknown-api-version', 'error', 'v1 Deployment: Deployment is not in the core API group (did you mean apps/v1?)']]);
    const ing = { apiVersion: 'apps/v1', kind: 'Ingress', metadata: { name: 'i' } };
    expect(findings(ing)).toEqual([['unknown-api-version', 'error', 'apps/v1 Ingress: Ingress is not in the apps API group (did you mean networking.k8s.io/v1?)']]);
  });

  it('an existing version without that kind names the version that has it', () => {
    const job = { apiVersion: 'batch/v1beta1', kind: 'Job', metadata: { name: 'j' } };
    expect(findings(job)).toEqual([['unknown-api-version', 'error', 'batch/v1beta1 Job: batch/v1beta1 has no Job (did you mean batch/v1?)']]);
  });

  it('a misspelt kind is an error with the kind that was meant', () => {
    const d = edit(cleanDeployment(), (o) => (o.kind = 'Deploymnet'));
    expect(findings(d)).toEqual([['unknown-api-version', 'error', 'apps/v1 Deploymnet: unknown kind (did you mean "Deployment"?)']]);
    const cm = { apiVersion: 'v1', kind: 'Configmap', metadata: { name: 'c' } };
    expect(findings(cm)).toEqual([['unknown-api-version', 'error', 'v1 Configmap: unknown kind (did you mean "ConfigMap"?)']]);
    const nothing = { apiVersion: 'apps/v1', kind: 'Frobnicator', metadata: { name: 'f' } };
    expect(findings(nothing)).toEqual([['unknown-api-version', 'error', 'apps/v1 Frobnicator: the built-in API group apps has no kind Frobnicator']]);
  });

  it('kinds of groups that are not built in stay unknown-kind warnings', () => {
    // (Flux's ArtifactGenerator was this example until Ferry carried its schema: see bundled.test.ts.)
    const hr = { apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: 'r' } };
    expect(findings(hr).map((f) => f.slice(0, 2))).toEqual([['unknown-kind', 'warning']]);
    // A custom group that borrows a built-in kind name is still a custom resource.
    const mine = { apiVersion: 'example.com/v1', kind: 'Deployment', metadata: { name: 'd' } };
    expect(findings(mine).map((f) => f.slice(0, 2))).toEqual([['unknown-kind', 'warning']]);
  });

  it('a kind naming a nested type of the schemas (v1 PodSpec, apps/v1 DeploymentSpec) is a finding, not a crash', async () => {
    const objs = [
      { apiVersion: 'v1', kind: 'PodSpec', metadata: { name: 'p' } },
      { apiVersion: 'apps/v1', kind: 'DeploymentSpec', metadata: { name: 'd' } },
      { apiVersion: 'v1', kind: 'ObjectMeta', metadata: { name: 'o' } },
    ];
    await loadSchemas(objs.map((o) => res(o).id));
    expect(validateResources(objs.map((o) => res(o)), OPTS).map((f) => [f.rule, f.resource])).toEqual([
      ['unknown-api-version', 'PodSpec/p'],
      ['unknown-api-version', 'DeploymentSpec/d'],
      ['unknown-api-version', 'ObjectMeta/o'],
    ]);
  });

  it('the rule can be lowered or turned off like any other', () => {
    const d = edit(cleanDeployment(), (o) => (o.apiVersion = 'apps/v1beta3'));
    expect(validateResources([res(d)], { ...OPTS, rules: { 'unknown-api-version': 'warning' } }).map((f) => f.severity)).toEqual(['warning']);
    expect(validateResources([res(d)], { ...OPTS, rules: { 'unknown-api-version': 'off' } })).toEqual([]);
  });
});

describe('built-in kinds newer than the schemas', () => {
  const claim = {
    apiVersion: 'resource.k8s.io/v1',
    kind: 'ResourceClaimTemplate',
    metadata: { name: 'gpu', namespace: 'n' },
    spec: { spec: { devices: { requests: [{ name: 'gpu', exactly: { deviceClassName: 'gpu.example.com' } }] } } },
  };

  it('resource.k8s.io/v1, MutatingAdmissionPolicy and VolumeAttributesClass are built in at 1.36', () => {
    const objs = [
      claim,
      { apiVersion: 'resource.k8s.io/v1', kind: 'DeviceClass', metadata: { name: 'gpu.example.com' }, spec: {} },
      { apiVersion: 'resource.k8s.io/v1', kind: 'ResourceClaim', metadata: { name: 'c', namespace: 'n' }, spec: {} },
      { apiVersion: 'resource.k8s.io/v1', kind: 'ResourceSlice', metadata: { name: 's' }, spec: { driver: 'gpu.example.com', pool: { name: 'p', generation: 1, resourceSliceCount: 1 }, allNodes: true } },
      { apiVersion: 'admissionregistration.k8s.io/v1beta1', kind: 'MutatingAdmissionPolicy', metadata: { name: 'p' }, spec: {} },
      { apiVersion: 'admissionregistration.k8s.io/v1alpha1', kind: 'MutatingAdmissionPolicyBinding', metadata: { name: 'b' }, spec: {} },
      { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingAdmissionPolicy', metadata: { name: 'p1' }, spec: {} },
      { apiVersion: 'storage.k8s.io/v1', kind: 'VolumeAttributesClass', metadata: { name: 'v' }, driverName: 'csi.example.com' },
      { apiVersion: 'storagemigration.k8s.io/v1beta1', kind: 'StorageVersionMigration', metadata: { name: 'm' }, spec: {} },
    ];
    expect(validateResources(objs.map((o) => res(o)), at('1.36'))).toEqual([]);
  });

  it('1.36 kinds are checked field by field', () => {
    const bad = edit(claim, (o) => {
      o.spec.spec.devices.requests[0].exactly.count = 'two';
      o.spec.spec.devices.requets = [];
    });
    expect(findings(bad, at('1.36'))).toEqual([
      ['schema', 'error', 'spec.spec.devices.requests[0].exactly.count: expected integer, got string'],
      ['unknown-field', 'error', 'spec.spec.devices.requets: unknown field (did you mean "requests"?)'],
    ]);
    const map = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingAdmissionPolicy', metadata: { name: 'p' }, spec: { failurePolicy: 'Sometimes' } };
    expect(findings(map, at('1.36')).map((f) => f.slice(0, 2))).toEqual([['schema', 'error']]);
  });

  it('their metadata is still checked', () => {
    const bad = edit(claim, (o) => {
      o.metadata.labels = { a: 1 };
      o.metadata.lables = {};
    });
    expect(findings(bad, at('1.36'))).toEqual([
      ['schema', 'error', 'metadata.labels.a: expected string, got integer'],
      ['unknown-field', 'error', 'metadata.lables: unknown field (did you mean "labels"?)'],
    ]);
  });

  it('a newer kind used with an older target version is an error', () => {
    expect(findings(claim, at('1.31'))).toEqual([
      ['unknown-api-version', 'error', 'resource.k8s.io/v1 ResourceClaimTemplate is served from Kubernetes 1.34 on; the target version is 1.31'],
    ]);
  });

  it('an alpha version Kubernetes dropped is removed-api, naming the version to use', () => {
    const old = { ...claim, apiVersion: 'resource.k8s.io/v1alpha3' };
    expect(findings(old, at('1.31'))).toEqual([]);
    expect(findings(old, at('1.34'))).toEqual([['removed-api', 'error', 'resource.k8s.io/v1alpha3 ResourceClaimTemplate was removed in Kubernetes 1.34; use resource.k8s.io/v1']]);
  });

  it('a wrong version of a newer group is suggested too', () => {
    const wrong = { ...claim, apiVersion: 'resource.k8s.io/v2' };
    expect(findings(wrong, at('1.36'))).toEqual([
      ['unknown-api-version', 'error', 'resource.k8s.io/v2 ResourceClaimTemplate: resource.k8s.io/v2 is not a Kubernetes API version (did you mean resource.k8s.io/v1?)'],
    ]);
  });
});

describe('the table of newer kinds', () => {
  it('a row is a kind kubernetes-models has no schema for, or dates one it has; SCHEMA_MINOR matches its schemas', () => {
    // When kubernetes-models is upgraded, rows and SCHEMA_MINOR must follow it.
    for (const row of NEWER_APIS) {
      for (const kind of row.kinds) {
        // A kind with a schema is served by the schemas' release, and not removed.
        if (builtinValidator(row.apiVersion, kind)) expect(row.since <= SCHEMA_MINOR && row.removedIn === undefined, `${row.apiVersion} ${kind}`).toBe(true);
        else expect(row.since > SCHEMA_MINOR || row.apiVersion.includes('alpha') || row.apiVersion.includes('beta') || row.removedIn !== undefined, `${row.apiVersion} ${kind}`).toBe(true);
      }
    }
    expect(SCHEMA_MINOR).toBe(36);
    expect(builtinValidator('admissionregistration.k8s.io/v1', 'MutatingAdmissionPolicy')).not.toBeNull(); // GA in 1.36
    expect(builtinValidator('certificates.k8s.io/v1', 'ClusterTrustBundle')).toBeNull(); // GA in 1.37
  });
});

describe('schemaVersionFindings', () => {
  it('warns once when the target is newer than the built-in schemas (Kubernetes 1.36)', () => {
    expect(schemaVersionFindings(at('1.36'))).toEqual([]);
    expect(schemaVersionFindings(at('1.31'))).toEqual([]);
    const f = schemaVersionFindings(at('1.37'));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ rule: 'schema-version', severity: 'warning', file: null, resource: null });
    expect(f[0]!.message).toMatch(/kubernetesVersion is 1\.37 but Ferry's built-in schemas are those of Kubernetes 1\.36/);
    expect(schemaVersionFindings({ ...at('1.37'), rules: { 'schema-version': 'off' } })).toEqual([]);
    expect(schemaVersionFindings({ ...at('1.37'), rules: { 'schema-version': 'info' } })[0]!.severity).toBe('info');
  });
});
