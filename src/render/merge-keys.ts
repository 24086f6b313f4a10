// Items of the lists Kubernetes merges by key (containers by name, ports by number) are
// the same item in a base, a patch and the rendered output whatever their position, and
// a rendered index says nothing about the index in a file.

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** Merge keys of the common lists of a strategic merge; other lists are not matched. */
const MERGE_KEYS: Record<string, string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  // A container's ports by containerPort, a Service's by port.
  ports: ['containerPort', 'port'],
  volumeMounts: ['mountPath'],
  volumes: ['name'],
  imagePullSecrets: ['name'],
};

/** The key an item of the list named `list` merges by, when it has one. */
export function mergeKeyOf(list: string, item: unknown): string | null {
  if (!isObj(item)) return null;
  return (MERGE_KEYS[list] ?? []).find((k) => item[k] !== undefined && item[k] !== null && typeof item[k] !== 'object') ?? null;
}

const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Rewrites a pointer into the rendered object as a pointer into the document it came
 * from: list items with a merge key are found by that key. When the document lacks the
 * item, the pointer stops at the list, the nearest thing the document does write.
 */
export function sourcePointer(rendered: unknown, source: unknown, pointer: string): string {
  if (pointer === '') return pointer;
  const segs = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const out: string[] = [];
  let r = rendered;
  let s = source;
  let list = '';
  for (const seg of segs) {
    if (Array.isArray(r) && /^\d+$/.test(seg)) {
      const item: unknown = r[Number(seg)];
      const key = mergeKeyOf(list, item);
      if (key) {
        const want = String((item as Obj)[key]);
        const j = Array.isArray(s) ? s.findIndex((x) => isObj(x) && String(x[key]) === want) : -1;
        if (j < 0) break;
        out.push(String(j));
        s = (s as unknown[])[j];
      } else {
        out.push(seg);
        s = Array.isArray(s) ? s[Number(seg)] : undefined;
      }
      r = item;
    } else {
      out.push(seg);
      r = isObj(r) ? r[seg] : undefined;
      s = isObj(s) ? s[seg] : undefined;
      list = seg;
    }
  }
  return out.map((x) => '/' + escape(x)).join('');
}
