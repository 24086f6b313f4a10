import { describe, expect, it } from 'vitest';
import { scopeOf } from '../../src/plan/scope.js';
import { crdSchemasFromObjects } from '../../src/validate/index.js';

const crd = (group: string, kind: string, scope: 'Cluster' | 'Namespaced') => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${kind.toLowerCase()}s.${group}` },
  spec: {
    group, scope, names: { kind, plural: `${kind.toLowerCase()}s` },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
});

describe('scopeOf', () => {
  it('built-in kinds: namespaced unless listed cluster-scoped, 1.34+ kinds included', () => {
    expect(scopeOf('apps/v1', 'Deployment', undefined)).toBe('Namespaced');
    expect(scopeOf('rbac.authorization.k8s.io/v1', 'ClusterRole', undefined)).toBe('Cluster');
    expect(scopeOf('storage.k8s.io/v1', 'VolumeAttributesClass', undefined)).toBe('Cluster');
    expect(scopeOf('resource.k8s.io/v1', 'ResourceSlice', undefined)).toBe('Cluster');
    expect(scopeOf('resource.k8s.io/v1', 'ResourceClaim', undefined)).toBe('Namespaced');
  });

  it('custom resources of *.k8s.io groups are judged by their CRD, not taken as built in', () => {
    expect(scopeOf('gateway.networking.k8s.io/v1', 'GatewayClass', undefined)).toBeNull();
    expect(scopeOf('snapshot.storage.k8s.io/v1', 'VolumeSnapshotClass', undefined)).toBeNull();
    const crds = crdSchemasFromObjects([crd('gateway.networking.k8s.io', 'GatewayClass', 'Cluster'), crd('gateway.networking.k8s.io', 'HTTPRoute', 'Namespaced')]);
    expect(scopeOf('gateway.networking.k8s.io/v1', 'GatewayClass', crds)).toBe('Cluster');
    expect(scopeOf('gateway.networking.k8s.io/v1', 'HTTPRoute', crds)).toBe('Namespaced');
  });
});
