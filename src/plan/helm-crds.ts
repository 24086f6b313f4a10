import { isDeepStrictEqual } from 'node:util';
import type { Finding, Resource } from '../types.js';

/**
 * What an upgrade does to the CustomResourceDefinitions of a chart's crds/ folder, as
 * helm-controller applies them: `upgrade.crds: Create` makes the new ones and leaves
 * existing ones as they are, `Skip` does neither, `CreateReplace` replaces them; none of
 * them deletes one. A release is upgraded when its HelmRelease made resources at base.
 */
export function asUpgraded(base: Resource[], head: Resource[]): { head: Resource[]; findings: Finding[] } {
  if (!head.some((r) => r.chartCrd) && !base.some((r) => r.chartCrd)) return { head, findings: [] };
  const installed = new Set(base.flatMap((r) => (r.producer ? [r.producer] : [])));
  const rendered = new Set(head.flatMap((r) => (r.producer ? [r.producer] : [])));
  const key = (r: Resource) => `${r.producer}\0${r.id.apiVersion.split('/')[0]}\0${r.id.kind}\0${r.id.name}`;
  const before = new Map(base.filter((r) => r.chartCrd).map((r) => [key(r), r]));
  const findings: Finding[] = [];
  const note = (r: Resource, message: string) => findings.push({
    severity: 'info', rule: 'chart-unavailable', file: r.source?.file ?? '.', line: r.source?.line ?? null, resource: r.producer ?? null,
    message: `CustomResourceDefinition ${r.id.name} (from the chart's crds/ folder of ${r.producer}): ${message}`,
  });
  const out: Resource[] = [];
  const seen = new Set<string>();
  for (const r of head) {
    if (!r.chartCrd || !r.producer || !installed.has(r.producer) || r.chartCrd === 'CreateReplace') {
      out.push(r);
      if (r.chartCrd) seen.add(key(r));
      continue;
    }
    seen.add(key(r));
    const was = before.get(key(r));
    if (was) {
      if (!isDeepStrictEqual(was.object, r.object)) note(r, `changed in the chart, but upgrade.crds: ${r.chartCrd} does not update an existing CRD; shown as installed (CreateReplace would replace it)`);
      out.push({ ...r, object: was.object, id: was.id });
    } else if (r.chartCrd === 'Skip') {
      note(r, 'new in the chart, but upgrade.crds: Skip does not create it; left out');
    } else out.push(r);
  }
  // A CRD gone from the chart stays in the cluster: no policy deletes one.
  for (const [k, r] of before) {
    if (seen.has(k) || !r.producer || !rendered.has(r.producer)) continue;
    note(r, 'gone from the chart, but an upgrade never deletes a CRD; shown as installed');
    out.push(r);
  }
  return { head: out, findings };
}
