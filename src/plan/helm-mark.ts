/**
 * Whether a text may hold a Flux HelmRelease: a cheap test before parsing, remembered
 * with a blob's other discovery facts so a plan reads a file for it once.
 */
const MARK_RE = /helm\.toolkit\.fluxcd\.io/;
const KIND_RE = /^kind:[ \t]*["']?HelmRelease["']?[ \t]*(#.*)?$/m;

export function mayHoldHelmRelease(text: string): boolean {
  return MARK_RE.test(text) && KIND_RE.test(text);
}

const SOURCE_KIND_RE = /^kind:[ \t]*["']?(ConfigMap|Secret|HelmRepository|OCIRepository|HelmChart)["']?[ \t]*(#.*)?$/m;

/** Whether a text may define a HelmRelease's valuesFrom source or chart source (a cheap test). */
export function mayDefineHelmSource(text: string): boolean {
  return SOURCE_KIND_RE.test(text);
}
