// Where the pod spec lives in each pod-bearing kind, so policy rules are written once.

/** Path segments from the object root to its pod spec, per kind. */
const POD_SPEC_PATHS: Record<string, readonly string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  PodTemplate: ['template', 'spec'],
};

/** Groups that serve the kinds above; a CRD's own `Deployment` is not a pod template. */
const POD_GROUPS = new Set(['', 'apps', 'extensions', 'batch']);

export interface PodSpecRef {
  spec: Record<string, unknown>;
  /** JSON pointer of the pod spec inside the resource. */
  pointer: string;
}

export function findPodSpec(apiVersion: string, kind: string, obj: Record<string, unknown>): PodSpecRef | null {
  const path = POD_SPEC_PATHS[kind];
  if (!path) return null;
  const slash = apiVersion.indexOf('/');
  if (!POD_GROUPS.has(slash < 0 ? '' : apiVersion.slice(0, slash))) return null;
  let cur: unknown = obj;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return null;
    cur = (cur as Record<string, unknown>)[seg];
  }
  if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return null;
  return { spec: cur as Record<string, unknown>, pointer: '/' + path.join('/') };
}

export const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
export type ContainerList = (typeof CONTAINER_LISTS)[number];

export interface ContainerRef {
  container: Record<string, unknown>;
  list: ContainerList;
  /** JSON pointer of the container inside the resource. */
  pointer: string;
  /** `container "web"`, `init container "migrate"`; for messages. */
  label: string;
}

const LABELS: Record<ContainerList, string> = {
  initContainers: 'init container',
  containers: 'container',
  ephemeralContainers: 'ephemeral container',
};

export function containersOf(pod: PodSpecRef): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const list of CONTAINER_LISTS) {
    const items = pod.spec[list];
    if (!Array.isArray(items)) continue;
    for (let i = 0; i < items.length; i++) {
      const c: unknown = items[i];
      if (c === null || typeof c !== 'object' || Array.isArray(c)) continue;
      const container = c as Record<string, unknown>;
      const name = typeof container.name === 'string' ? container.name : `#${i}`;
      out.push({ container, list, pointer: `${pod.pointer}/${list}/${i}`, label: `${LABELS[list]} ${JSON.stringify(name)}` });
    }
  }
  return out;
}
