import type { Resource } from '../types.js';
import { builtinApi } from '../validate/catalog.js';
import { crdKey, type CrdSchemas } from '../validate/crd.js';

/**
 * Whether a kind is namespaced, as the API server would say, from what the repository
 * holds: Argo CD's destination namespace and Helm's release namespace both go on the
 * namespaced objects that have none, never on cluster-scoped ones.
 */

/** Built-in kinds that are not namespaced (anything else built in is). */
const CLUSTER_KINDS = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'ComponentStatus', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'StorageClass',
  'PriorityClass', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
  'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding', 'APIService', 'IngressClass', 'RuntimeClass', 'CSIDriver', 'CSINode', 'VolumeAttachment',
  'CertificateSigningRequest', 'PodSecurityPolicy', 'FlowSchema', 'PriorityLevelConfiguration', 'ClusterTrustBundle', 'DeviceClass', 'SelfSubjectReview',
  'TokenReview', 'SubjectAccessReview', 'SelfSubjectAccessReview', 'SelfSubjectRulesReview', 'IPAddress', 'ServiceCIDR',
  'VolumeAttributesClass', 'ResourceSlice', 'DeviceTaintRule', 'ResourceClass', 'StorageVersion', 'StorageVersionMigration', 'ClusterCIDR',
]);

/** Namespaced, cluster-scoped, or not known (a custom kind without its CRD in the repository). */
export function scopeOf(apiVersion: string, kind: string, crds: CrdSchemas | undefined): 'Namespaced' | 'Cluster' | null {
  // Built in: a kind Kubernetes serves (kubernetes-models' and NEWER_APIS'), not any `*.k8s.io`
  // group — Gateway API and volume snapshots are custom resources there.
  if (builtinApi(apiVersion, kind)) return CLUSTER_KINDS.has(kind) ? 'Cluster' : 'Namespaced';
  return crds?.versions.get(crdKey(apiVersion, kind))?.scope ?? null;
}

/**
 * Puts `namespace` on the namespaced resources that have none (object and identity).
 * Returns the `apiVersion kind` of those left as they are because nothing says their scope.
 */
export function defaultNamespace(resources: Resource[], namespace: string, crds: CrdSchemas | undefined): string[] {
  const unknown = new Set<string>();
  for (const r of resources) {
    if (r.id.namespace) continue;
    const scope = scopeOf(r.id.apiVersion, r.id.kind, crds);
    if (scope === 'Cluster') continue;
    if (scope === null) {
      unknown.add(`${r.id.apiVersion} ${r.id.kind}`);
      continue;
    }
    const meta = { ...((r.object.metadata as Record<string, unknown> | undefined) ?? {}), namespace };
    r.object = { ...r.object, metadata: meta };
    r.id = { ...r.id, namespace };
  }
  return [...unknown].sort();
}
