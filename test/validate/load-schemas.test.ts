import { beforeEach, describe, expect, it, vi } from 'vitest';
import { OPTS, res } from './helpers.js';

type Validate = typeof import('../../src/validate/index.js');

/** A fresh copy of the validate modules: which bundled schemas are loaded is module state. */
async function freshValidate(): Promise<Validate> {
  vi.resetModules();
  return import('../../src/validate/index.js');
}

const route = {
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'web', namespace: 'apps' },
  spec: { parentRefs: [{ name: 'gw' }], hostnames: 'not-a-list' },
};

/** The repository's own CRD for HTTPRoute, a kind Ferry also bundles (@kubernetes-models/gateway-api). */
function routeCrd(version: string) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'httproutes.gateway.networking.k8s.io' },
    spec: {
      group: 'gateway.networking.k8s.io', scope: 'Namespaced', names: { kind: 'HTTPRoute', plural: 'httproutes' },
      versions: [{ name: version, served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { hostnames: { type: 'array', items: { type: 'string' } } } } } } } }],
    },
  };
}

describe('loadSchemas with the repository’s CRDs', () => {
  beforeEach(() => {
    vi.resetModules();
  });

  it('does not load the bundled schema of a kind the repository’s CRDs define, and validates against the CRD', async () => {
    const v = await freshValidate();
    const crds = v.crdSchemasFromObjects([routeCrd('v1')]);
    await v.loadSchemas([res(route).id], crds);
    const f = v.validateResources([res(route)], { ...OPTS, crds });
    // The CRD's schema, not the bundled one: that one knows parentRefs.
    expect(f.map((x) => [x.rule, x.message]).sort()).toEqual([
      ['schema', 'spec.hostnames: expected array, got string'],
      ['unknown-field', 'spec.parentRefs: unknown field'],
    ]);
    // Without the CRDs the bundled schema would be needed, and it was not loaded.
    expect(() => v.validateResources([res(route)], OPTS)).toThrow(/loadBundledSchemas/);
  });

  it('skips it too when the CRDs define the kind in another version only (the repository owns the kind)', async () => {
    const v = await freshValidate();
    const crds = v.crdSchemasFromObjects([routeCrd('v1beta1')]);
    await v.loadSchemas([res(route).id], crds);
    const f = v.validateResources([res(route)], { ...OPTS, crds });
    expect(f.map((x) => x.rule)).toEqual(['unknown-kind']);
    expect(() => v.validateResources([res(route)], OPTS)).toThrow(/loadBundledSchemas/);
  });

  it('loads it when the CRDs are of other kinds', async () => {
    const v = await freshValidate();
    const other = routeCrd('v1');
    other.spec.names = { kind: 'GRPCRoute', plural: 'grpcroutes' };
    other.metadata.name = 'grpcroutes.gateway.networking.k8s.io';
    const crds = v.crdSchemasFromObjects([other]);
    await v.loadSchemas([res(route).id], crds);
    const f = v.validateResources([res(route)], { ...OPTS, crds });
    expect(f.some((x) => x.rule === 'schema' && /hostnames/.test(x.message))).toBe(true);
  });
});
