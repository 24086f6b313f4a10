// Deprecated and removed built-in APIs, after the Kubernetes deprecated API migration guide
// (https://kubernetes.io/docs/reference/using-api/deprecation-guide/). Data, not logic:
// add a row when a Kubernetes release announces a removal.

export interface ApiDeprecation {
  apiVersion: string;
  kinds: readonly string[];
  /** Minor version ("1.21") from which the API server warns; null when never announced. */
  deprecatedIn: string | null;
  /** Minor version in which the apiVersion stopped being served; null when still served. */
  removedIn: string | null;
  /** What to migrate to, each with the minor version it is served from; newest last. */
  replacements: ReadonlyArray<{ use: string; since: string }>;
  /** Said instead of a replacement when there is none. */
  note?: string;
}

const apps = [{ use: 'apps/v1', since: '1.9' }];
const flowcontrol = [
  { use: 'flowcontrol.apiserver.k8s.io/v1beta2', since: '1.23' },
  { use: 'flowcontrol.apiserver.k8s.io/v1beta3', since: '1.26' },
  { use: 'flowcontrol.apiserver.k8s.io/v1', since: '1.29' },
];
const flowKinds = ['FlowSchema', 'PriorityLevelConfiguration'];

export const DEPRECATIONS: ReadonlyArray<ApiDeprecation> = [
  // Removed in 1.16
  { apiVersion: 'extensions/v1beta1', kinds: ['Deployment', 'DaemonSet', 'ReplicaSet'], deprecatedIn: '1.9', removedIn: '1.16', replacements: apps },
  { apiVersion: 'extensions/v1beta1', kinds: ['NetworkPolicy'], deprecatedIn: '1.9', removedIn: '1.16', replacements: [{ use: 'networking.k8s.io/v1', since: '1.8' }] },
  { apiVersion: 'extensions/v1beta1', kinds: ['PodSecurityPolicy'], deprecatedIn: '1.10', removedIn: '1.16', replacements: [{ use: 'policy/v1beta1', since: '1.10' }] },
  { apiVersion: 'apps/v1beta1', kinds: ['Deployment', 'StatefulSet', 'ReplicaSet', 'ControllerRevision'], deprecatedIn: '1.9', removedIn: '1.16', replacements: apps },
  { apiVersion: 'apps/v1beta2', kinds: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ControllerRevision'], deprecatedIn: '1.9', removedIn: '1.16', replacements: apps },

  // Removed in 1.22
  { apiVersion: 'extensions/v1beta1', kinds: ['Ingress'], deprecatedIn: '1.14', removedIn: '1.22', replacements: [{ use: 'networking.k8s.io/v1', since: '1.19' }] },
  { apiVersion: 'networking.k8s.io/v1beta1', kinds: ['Ingress', 'IngressClass'], deprecatedIn: '1.19', removedIn: '1.22', replacements: [{ use: 'networking.k8s.io/v1', since: '1.19' }] },
  {
    apiVersion: 'admissionregistration.k8s.io/v1beta1',
    kinds: ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'],
    deprecatedIn: '1.16',
    removedIn: '1.22',
    replacements: [{ use: 'admissionregistration.k8s.io/v1', since: '1.16' }],
  },
  { apiVersion: 'apiextensions.k8s.io/v1beta1', kinds: ['CustomResourceDefinition'], deprecatedIn: '1.16', removedIn: '1.22', replacements: [{ use: 'apiextensions.k8s.io/v1', since: '1.16' }] },
  { apiVersion: 'apiregistration.k8s.io/v1beta1', kinds: ['APIService'], deprecatedIn: '1.19', removedIn: '1.22', replacements: [{ use: 'apiregistration.k8s.io/v1', since: '1.10' }] },
  { apiVersion: 'authentication.k8s.io/v1beta1', kinds: ['TokenReview'], deprecatedIn: '1.19', removedIn: '1.22', replacements: [{ use: 'authentication.k8s.io/v1', since: '1.6' }] },
  {
    apiVersion: 'authorization.k8s.io/v1beta1',
    kinds: ['SubjectAccessReview', 'LocalSubjectAccessReview', 'SelfSubjectAccessReview', 'SelfSubjectRulesReview'],
    deprecatedIn: '1.19',
    removedIn: '1.22',
    replacements: [{ use: 'authorization.k8s.io/v1', since: '1.6' }],
  },
  { apiVersion: 'certificates.k8s.io/v1beta1', kinds: ['CertificateSigningRequest'], deprecatedIn: '1.19', removedIn: '1.22', replacements: [{ use: 'certificates.k8s.io/v1', since: '1.19' }] },
  { apiVersion: 'coordination.k8s.io/v1beta1', kinds: ['Lease'], deprecatedIn: '1.19', removedIn: '1.22', replacements: [{ use: 'coordination.k8s.io/v1', since: '1.14' }] },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1beta1',
    kinds: ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'],
    deprecatedIn: '1.17',
    removedIn: '1.22',
    replacements: [{ use: 'rbac.authorization.k8s.io/v1', since: '1.8' }],
  },
  { apiVersion: 'scheduling.k8s.io/v1beta1', kinds: ['PriorityClass'], deprecatedIn: '1.14', removedIn: '1.22', replacements: [{ use: 'scheduling.k8s.io/v1', since: '1.14' }] },
  {
    apiVersion: 'storage.k8s.io/v1beta1',
    kinds: ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'],
    deprecatedIn: '1.19',
    removedIn: '1.22',
    replacements: [{ use: 'storage.k8s.io/v1', since: '1.19' }],
  },

  // Removed in 1.25
  { apiVersion: 'batch/v1beta1', kinds: ['CronJob'], deprecatedIn: '1.21', removedIn: '1.25', replacements: [{ use: 'batch/v1', since: '1.21' }] },
  { apiVersion: 'discovery.k8s.io/v1beta1', kinds: ['EndpointSlice'], deprecatedIn: '1.21', removedIn: '1.25', replacements: [{ use: 'discovery.k8s.io/v1', since: '1.21' }] },
  { apiVersion: 'events.k8s.io/v1beta1', kinds: ['Event'], deprecatedIn: '1.19', removedIn: '1.25', replacements: [{ use: 'events.k8s.io/v1', since: '1.19' }] },
  {
    apiVersion: 'autoscaling/v2beta1',
    kinds: ['HorizontalPodAutoscaler'],
    deprecatedIn: '1.22',
    removedIn: '1.25',
    replacements: [
      { use: 'autoscaling/v2beta2', since: '1.12' },
      { use: 'autoscaling/v2', since: '1.23' },
    ],
  },
  { apiVersion: 'policy/v1beta1', kinds: ['PodDisruptionBudget'], deprecatedIn: '1.21', removedIn: '1.25', replacements: [{ use: 'policy/v1', since: '1.21' }] },
  {
    apiVersion: 'policy/v1beta1',
    kinds: ['PodSecurityPolicy'],
    deprecatedIn: '1.21',
    removedIn: '1.25',
    replacements: [],
    note: 'it has no replacement; use Pod Security Admission or a policy engine',
  },
  { apiVersion: 'node.k8s.io/v1beta1', kinds: ['RuntimeClass'], deprecatedIn: '1.22', removedIn: '1.25', replacements: [{ use: 'node.k8s.io/v1', since: '1.20' }] },

  // Removed in 1.26
  { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta1', kinds: flowKinds, deprecatedIn: '1.23', removedIn: '1.26', replacements: flowcontrol },
  { apiVersion: 'autoscaling/v2beta2', kinds: ['HorizontalPodAutoscaler'], deprecatedIn: '1.23', removedIn: '1.26', replacements: [{ use: 'autoscaling/v2', since: '1.23' }] },

  // Removed in 1.27
  { apiVersion: 'storage.k8s.io/v1beta1', kinds: ['CSIStorageCapacity'], deprecatedIn: '1.24', removedIn: '1.27', replacements: [{ use: 'storage.k8s.io/v1', since: '1.24' }] },

  // Removed in 1.29 and 1.32
  { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta2', kinds: flowKinds, deprecatedIn: '1.26', removedIn: '1.29', replacements: flowcontrol },
  { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3', kinds: flowKinds, deprecatedIn: '1.29', removedIn: '1.32', replacements: flowcontrol },

  // Deprecated, still served
  { apiVersion: 'v1', kinds: ['Endpoints'], deprecatedIn: '1.33', removedIn: null, replacements: [{ use: 'discovery.k8s.io/v1 EndpointSlice', since: '1.21' }] },
];

/** "1.31", "v1.31.2" → 31 (minor); major versions other than 1 do not exist yet. */
export function minorOf(version: string): number | null {
  const m = /^v?1\.(\d+)/.exec(version.trim());
  return m ? Number(m[1]) : null;
}

let index: Map<string, ApiDeprecation> | null = null;

export function deprecationOf(apiVersion: string, kind: string): ApiDeprecation | null {
  if (!index) {
    index = new Map();
    for (const d of DEPRECATIONS) for (const k of d.kinds) index.set(`${d.apiVersion} ${k}`, d);
  }
  return index.get(`${apiVersion} ${kind}`) ?? null;
}

export interface ApiStatus {
  rule: 'deprecated-api' | 'removed-api';
  message: string;
}

function replacementFor(d: ApiDeprecation, target: number): string {
  if (d.replacements.length === 0) return d.note ?? 'it has no replacement';
  const usable = d.replacements.filter((r) => (minorOf(r.since) ?? 0) <= target);
  return `use ${(usable[usable.length - 1] ?? d.replacements[0]!).use}`;
}

/** Whether the apiVersion/kind is deprecated or removed at the target minor version. */
export function apiStatus(apiVersion: string, kind: string, kubernetesVersion: string): ApiStatus | null {
  const d = deprecationOf(apiVersion, kind);
  const target = minorOf(kubernetesVersion);
  if (!d || target === null) return null;
  const removed = d.removedIn ? minorOf(d.removedIn) : null;
  const deprecated = d.deprecatedIn ? minorOf(d.deprecatedIn) : null;
  if (removed !== null && target >= removed) {
    return { rule: 'removed-api', message: `${apiVersion} ${kind} was removed in Kubernetes ${d.removedIn}; ${replacementFor(d, target)}` };
  }
  if (deprecated !== null && target >= deprecated) {
    const until = d.removedIn ? ` and will be removed in ${d.removedIn}` : '';
    return {
      rule: 'deprecated-api',
      message: `${apiVersion} ${kind} is deprecated since Kubernetes ${d.deprecatedIn}${until}; ${replacementFor(d, target)}`,
    };
  }
  return null;
}
