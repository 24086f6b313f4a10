// When built-in API kinds are served: the kinds kubernetes-models has no schema for (added
// after the Kubernetes release its schemas come from, and alpha/beta versions it leaves out),
// and the kinds it has that became GA in a release Ferry still targets, so that a 1.33 kind
// is not taken as served at 1.32. Read from the `addKnownTypes` registrations of k8s.io/api
// at each release tag (v0.27.0 … v0.37.0-beta.0). Data, not logic: add rows when a
// Kubernetes release adds or drops an API version.
//
// Kinds without a schema are real APIs, so they are not `unknown-kind`; Ferry checks their
// metadata only.

/** The Kubernetes minor version whose schemas kubernetes-models 5.1 carries (it has 1.36's
 *  GA `admissionregistration.k8s.io/v1 MutatingAdmissionPolicy`, and none of 1.37's APIs). */
export const SCHEMA_MINOR = 36;

export interface NewerApi {
  apiVersion: string;
  kinds: readonly string[];
  /** Minor version from which the API exists (alpha versions still need a feature gate). */
  since: number;
  /** Minor version in which it stopped being served, if it did. */
  removedIn?: number;
}

export const NEWER_APIS: ReadonlyArray<NewerApi> = [
  { apiVersion: 'admissionregistration.k8s.io/v1', kinds: ['MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding'], since: 36 },
  { apiVersion: 'admissionregistration.k8s.io/v1', kinds: ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'], since: 30 },
  { apiVersion: 'admissionregistration.k8s.io/v1alpha1', kinds: ['MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding'], since: 32 },
  { apiVersion: 'admissionregistration.k8s.io/v1alpha1', kinds: ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'], since: 26 },
  { apiVersion: 'admissionregistration.k8s.io/v1beta1', kinds: ['MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding'], since: 34 },
  { apiVersion: 'admissionregistration.k8s.io/v1beta1', kinds: ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'], since: 28 },
  { apiVersion: 'authentication.k8s.io/v1', kinds: ['SelfSubjectReview'], since: 28 },
  { apiVersion: 'authentication.k8s.io/v1alpha1', kinds: ['SelfSubjectReview'], since: 26 },
  { apiVersion: 'authentication.k8s.io/v1beta1', kinds: ['SelfSubjectReview'], since: 27 },
  { apiVersion: 'certificates.k8s.io/v1', kinds: ['ClusterTrustBundle'], since: 37 },
  { apiVersion: 'certificates.k8s.io/v1alpha1', kinds: ['ClusterTrustBundle'], since: 27 },
  { apiVersion: 'certificates.k8s.io/v1alpha1', kinds: ['PodCertificateRequest'], since: 34, removedIn: 35 },
  { apiVersion: 'certificates.k8s.io/v1beta1', kinds: ['ClusterTrustBundle'], since: 33 },
  { apiVersion: 'certificates.k8s.io/v1beta1', kinds: ['PodCertificateRequest'], since: 35 },
  { apiVersion: 'coordination.k8s.io/v1alpha1', kinds: ['LeaseCandidate'], since: 31, removedIn: 32 },
  { apiVersion: 'coordination.k8s.io/v1alpha2', kinds: ['LeaseCandidate'], since: 32 },
  { apiVersion: 'coordination.k8s.io/v1beta1', kinds: ['LeaseCandidate'], since: 33 },
  { apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kinds: ['FlowSchema', 'PriorityLevelConfiguration'], since: 29 },
  { apiVersion: 'internal.apiserver.k8s.io/v1alpha1', kinds: ['StorageVersion'], since: 20 },
  { apiVersion: 'networking.k8s.io/v1', kinds: ['IPAddress', 'ServiceCIDR'], since: 33 },
  { apiVersion: 'networking.k8s.io/v1alpha1', kinds: ['ClusterCIDR'], since: 25, removedIn: 29 },
  { apiVersion: 'networking.k8s.io/v1alpha1', kinds: ['IPAddress'], since: 27, removedIn: 34 },
  { apiVersion: 'networking.k8s.io/v1alpha1', kinds: ['ServiceCIDR'], since: 29, removedIn: 34 },
  { apiVersion: 'networking.k8s.io/v1beta1', kinds: ['IPAddress', 'ServiceCIDR'], since: 31 },
  { apiVersion: 'resource.k8s.io/v1', kinds: ['DeviceClass', 'ResourceClaim', 'ResourceClaimTemplate', 'ResourceSlice'], since: 34 },
  { apiVersion: 'resource.k8s.io/v1', kinds: ['DeviceTaintRule'], since: 37 },
  { apiVersion: 'resource.k8s.io/v1alpha2', kinds: ['PodSchedulingContext', 'ResourceClaim', 'ResourceClaimTemplate', 'ResourceClass'], since: 27, removedIn: 31 },
  { apiVersion: 'resource.k8s.io/v1alpha2', kinds: ['ResourceClaimParameters', 'ResourceClassParameters', 'ResourceSlice'], since: 30, removedIn: 31 },
  { apiVersion: 'resource.k8s.io/v1alpha3', kinds: ['DeviceClass', 'ResourceClaim', 'ResourceClaimTemplate', 'ResourceSlice'], since: 31, removedIn: 34 },
  { apiVersion: 'resource.k8s.io/v1alpha3', kinds: ['DeviceTaintRule'], since: 33 },
  { apiVersion: 'resource.k8s.io/v1alpha3', kinds: ['PodSchedulingContext'], since: 31, removedIn: 32 },
  { apiVersion: 'resource.k8s.io/v1alpha3', kinds: ['ResourcePoolStatusRequest'], since: 36 },
  { apiVersion: 'resource.k8s.io/v1beta1', kinds: ['DeviceClass', 'ResourceClaim', 'ResourceClaimTemplate', 'ResourceSlice'], since: 32 },
  { apiVersion: 'resource.k8s.io/v1beta2', kinds: ['DeviceClass', 'ResourceClaim', 'ResourceClaimTemplate', 'ResourceSlice'], since: 33 },
  { apiVersion: 'resource.k8s.io/v1beta2', kinds: ['DeviceTaintRule'], since: 36 },
  { apiVersion: 'scheduling.k8s.io/v1alpha1', kinds: ['Workload'], since: 35, removedIn: 36 },
  { apiVersion: 'scheduling.k8s.io/v1alpha2', kinds: ['PodGroup', 'Workload'], since: 36, removedIn: 37 },
  { apiVersion: 'scheduling.k8s.io/v1alpha3', kinds: ['CompositePodGroup', 'PodGroup', 'Workload'], since: 37 },
  { apiVersion: 'storage.k8s.io/v1', kinds: ['VolumeAttributesClass'], since: 34 },
  { apiVersion: 'storage.k8s.io/v1alpha1', kinds: ['VolumeAttachment'], since: 9 },
  { apiVersion: 'storage.k8s.io/v1alpha1', kinds: ['VolumeAttributesClass'], since: 29 },
  { apiVersion: 'storage.k8s.io/v1beta1', kinds: ['VolumeAttributesClass'], since: 31 },
  { apiVersion: 'storagemigration.k8s.io/v1', kinds: ['StorageVersionMigration'], since: 37 },
  { apiVersion: 'storagemigration.k8s.io/v1alpha1', kinds: ['StorageVersionMigration'], since: 30, removedIn: 35 },
  { apiVersion: 'storagemigration.k8s.io/v1beta1', kinds: ['StorageVersionMigration'], since: 35 },
];
