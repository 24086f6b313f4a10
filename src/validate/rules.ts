// The rule catalogue (ids are a contract with config, docs and reports) and the pod policies.
import type { RuleLevel } from '../types.js';
import type { Problem } from './errors.js';
import { containersOf, type PodSpecRef } from './podspec.js';
import { isRecord } from '../util/is-record.js';

export interface RuleInfo {
  id: string;
  defaultLevel: RuleLevel;
  description: string;
}

export const RULES: ReadonlyArray<RuleInfo> = [
  { id: 'schema', defaultLevel: 'error', description: 'Fields have the types, formats and values the Kubernetes or CRD schema requires.' },
  { id: 'unknown-field', defaultLevel: 'error', description: 'No field the schema does not know, such as `replica:` for `replicas:` (only when `strict` is on).' },
  { id: 'unknown-kind', defaultLevel: 'warning', description: 'The apiVersion/kind is neither built into Kubernetes nor defined by a CRD in the repository.' },
  {
    id: 'unknown-api-version',
    defaultLevel: 'error',
    description:
      'The apiVersion/kind names a built-in API group or a CRD but nothing the API server serves: a misspelt kind, a version that does not exist, a kind in the wrong group, a CRD version with `served: false`, or an API newer than the target version.',
  },
  { id: 'schema-version', defaultLevel: 'warning', description: "The target Kubernetes version is newer than Ferry's built-in schemas, so fields added since are not checked." },
  { id: 'flux-unsubstituted', defaultLevel: 'info', description: 'A Flux `${VAR}` placeholder stands where the schema wants a number, boolean or object; the field is checked after substitution only.' },
  { id: 'deprecated-api', defaultLevel: 'warning', description: 'The apiVersion is deprecated in the target Kubernetes version but still served.' },
  { id: 'removed-api', defaultLevel: 'error', description: 'The apiVersion is no longer served by the target Kubernetes version.' },
  { id: 'duplicate-resource', defaultLevel: 'error', description: 'The same group, kind, namespace and name appear more than once in one app.' },
  { id: 'no-latest-tag', defaultLevel: 'error', description: 'Container images are pinned: not `:latest` and not untagged (a digest is fine).' },
  { id: 'resource-requests', defaultLevel: 'warning', description: 'Containers request cpu and memory.' },
  { id: 'resource-limits', defaultLevel: 'warning', description: 'Containers set cpu and memory limits.' },
  { id: 'privileged', defaultLevel: 'error', description: 'No container runs with `securityContext.privileged: true`.' },
  { id: 'privilege-escalation', defaultLevel: 'warning', description: 'No container sets `securityContext.allowPrivilegeEscalation: true`.' },
  { id: 'host-network', defaultLevel: 'error', description: 'Pods do not use the host network (`hostNetwork: true`).' },
  { id: 'host-pid', defaultLevel: 'error', description: "Pods do not share the host's process namespace (`hostPID: true`)." },
  { id: 'host-ipc', defaultLevel: 'error', description: "Pods do not share the host's IPC namespace (`hostIPC: true`)." },
  { id: 'host-path', defaultLevel: 'error', description: 'Pods do not mount `hostPath` volumes.' },
];

/** Why an image reference is not pinned, or null when it is. */
export function unpinnedImage(image: string): 'latest' | 'untagged' | null {
  // A digest pins the image whatever the tag says.
  if (image.includes('@')) return null;
  // A colon before the last slash belongs to a registry port (`registry:5000/app`).
  const colon = image.indexOf(':', image.lastIndexOf('/') + 1);
  if (colon < 0) return 'untagged';
  return image.slice(colon + 1) === 'latest' ? 'latest' : null;
}

function missingResources(resources: unknown, kind: 'requests' | 'limits'): string[] {
  const set = isRecord(resources) ? resources[kind] : undefined;
  const missing: string[] = [];
  for (const r of ['cpu', 'memory']) {
    const v = isRecord(set) ? set[r] : undefined;
    if (v === undefined || v === null || v === '') missing.push(r);
  }
  return missing;
}

const HOST_NAMESPACES = [
  ['hostNetwork', 'host-network', 'the host network'],
  ['hostPID', 'host-pid', "the host's process namespace"],
  ['hostIPC', 'host-ipc', "the host's IPC namespace"],
] as const;

/** Appends the pod-policy problems of one pod spec; `on(rule)` says whether a rule is enabled. */
export function checkPodSpec(pod: PodSpecRef, on: (rule: string) => boolean, out: Problem[]): void {
  for (const [field, rule, what] of HOST_NAMESPACES) {
    if (pod.spec[field] === true && on(rule)) {
      out.push({ rule, pointer: `${pod.pointer}/${field}`, message: `pod shares ${what} (${field}: true)` });
    }
  }
  if (on('host-path') && Array.isArray(pod.spec.volumes)) {
    pod.spec.volumes.forEach((v: unknown, i) => {
      if (!isRecord(v) || !isRecord(v.hostPath)) return;
      const name = typeof v.name === 'string' ? v.name : `#${i}`;
      const hostPath = typeof v.hostPath.path === 'string' ? ` ${JSON.stringify(v.hostPath.path)}` : '';
      out.push({ rule: 'host-path', pointer: `${pod.pointer}/volumes/${i}/hostPath`, message: `volume ${JSON.stringify(name)} mounts host path${hostPath}` });
    });
  }

  for (const c of containersOf(pod)) {
    const { container, pointer, label } = c;
    if (typeof container.image === 'string' && container.image !== '' && on('no-latest-tag')) {
      const why = unpinnedImage(container.image);
      if (why) {
        const image = JSON.stringify(container.image);
        out.push({
          rule: 'no-latest-tag',
          pointer: `${pointer}/image`,
          message: why === 'latest' ? `${label} image ${image} uses the :latest tag` : `${label} image ${image} has no tag, so it means :latest`,
        });
      }
    }
    // Ephemeral containers cannot declare resources.
    if (c.list !== 'ephemeralContainers') {
      for (const [rule, kind, noun] of [['resource-requests', 'requests', 'request'], ['resource-limits', 'limits', 'limit']] as const) {
        if (!on(rule)) continue;
        const missing = missingResources(container.resources, kind);
        if (missing.length === 0) continue;
        const resources = container.resources;
        const at = isRecord(resources) ? (isRecord(resources[kind]) ? `${pointer}/resources/${kind}` : `${pointer}/resources`) : pointer;
        out.push({ rule, pointer: at, message: `${label} has no ${missing.join(' or ')} ${missing.length > 1 ? noun + 's' : noun}` });
      }
    }
    const sc = container.securityContext;
    if (isRecord(sc)) {
      if (sc.privileged === true && on('privileged')) {
        out.push({ rule: 'privileged', pointer: `${pointer}/securityContext/privileged`, message: `${label} runs privileged (securityContext.privileged: true)` });
      }
      if (sc.allowPrivilegeEscalation === true && on('privilege-escalation')) {
        out.push({
          rule: 'privilege-escalation',
          pointer: `${pointer}/securityContext/allowPrivilegeEscalation`,
          message: `${label} allows privilege escalation (securityContext.allowPrivilegeEscalation: true)`,
        });
      }
    }
  }
}
