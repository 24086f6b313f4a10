import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Resource } from '../../src/types.js';
import { crdSchemasFromResources, loadBundledSchemas, validateResources } from '../../src/validate/index.js';
import { hasCorpus } from '../helpers/bin.js';
import { CORPUS, OPTS, only, res } from './helpers.js';

const FLUX = path.join(CORPUS, 'flux2-kustomize-helm-example');
const PODINFO = path.join(CORPUS, 'podinfo');

function render(dir: string): Resource[] {
  return parse(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20 }));
}

function parse(text: string): Resource[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS({ maxAliasCount: 100 }) as Record<string, unknown> | null)
    .filter((o): o is Record<string, unknown> => !!o && typeof o.kind === 'string')
    .map((o) => res(o));
}

describe.skipIf(!hasCorpus('flux2-kustomize-helm-example'))('real-world corpus: flux2-kustomize-helm-example', () => {
  it('validates the production apps with the bundled Flux schemas: nothing to report', async () => {
    // The example installs Flux and cert-manager from charts; it ships no CRD files itself.
    const crds = crdSchemasFromResources([]);
    const resources = render(path.join(FLUX, 'apps', 'production'));
    expect(resources.map((r) => r.id.kind).sort()).toEqual(['HelmRelease', 'HelmRepository', 'Namespace']);
    await loadBundledSchemas(resources.map((r) => r.id));
    expect(validateResources(resources, { ...OPTS, crds })).toEqual([]);
  });

  it('validates the infrastructure configs (cert-manager ClusterIssuer, Gateway API) and the cluster Kustomizations', async () => {
    const resources = [...render(path.join(FLUX, 'infrastructure', 'configs')), ...render(path.join(FLUX, 'infrastructure', 'controllers'))];
    for (const f of ['apps.yaml', 'infrastructure.yaml']) resources.push(...parse(readFileSync(path.join(FLUX, 'clusters', 'production', f), 'utf8')));
    const kinds = new Set(resources.map((r) => r.id.kind));
    for (const k of ['ClusterIssuer', 'GatewayClass', 'Gateway', 'HelmRelease', 'OCIRepository', 'Kustomization']) expect(kinds).toContain(k);
    await loadBundledSchemas(resources.map((r) => r.id));
    expect(validateResources(resources, OPTS)).toEqual([]);
  });

  it('a wrong field in the corpus HelmRelease is an error, and a wrong value too', async () => {
    const resources = render(path.join(FLUX, 'apps', 'production'));
    await loadBundledSchemas(resources.map((r) => r.id));
    const hr = resources.find((r) => r.id.kind === 'HelmRelease')!;
    const spec = hr.object.spec as Record<string, unknown>;
    spec.releaseNme = spec.releaseName;
    delete spec.releaseName;
    (spec.install as Record<string, unknown>).remediation = { retries: 'three' };
    const f = validateResources([hr], OPTS);
    expect(f.map((x) => [x.severity, x.rule, x.message])).toEqual([
      ['error', 'schema', 'spec.install.remediation.retries: expected integer, got string'],
      ['error', 'unknown-field', 'spec.releaseNme: unknown field (did you mean "releaseName"?)'],
    ]);
  });

  it('flags a typo injected into a rendered corpus object', () => {
    const resources = render(path.join(FLUX, 'apps', 'production'));
    const ns = resources.find((r) => r.id.kind === 'Namespace')!;
    (ns.object.metadata as Record<string, unknown>).lables = { a: 'b' };
    const f = only(validateResources([ns], OPTS), 'unknown-field');
    expect(f.map((x) => x.message)).toEqual(['metadata.lables: unknown field (did you mean "labels"?)']);
  });
});

describe.skipIf(!hasCorpus('podinfo'))('real-world corpus: podinfo', () => {
  for (const overlay of ['production', 'staging', 'dev']) {
    it(`the ${overlay} overlay has no schema or unknown-field errors`, () => {
      const resources = render(path.join(PODINFO, 'deploy', 'overlays', overlay));
      expect(resources.length).toBeGreaterThan(10);
      expect(new Set(resources.map((r) => r.id.kind))).toEqual(
        new Set(['Namespace', 'ServiceAccount', 'ConfigMap', 'Service', 'PersistentVolumeClaim', 'Deployment', 'StatefulSet', 'CronJob', 'HorizontalPodAutoscaler']),
      );
      const findings = validateResources(resources, OPTS);
      expect(findings.filter((f) => ['schema', 'unknown-field', 'unknown-kind', 'duplicate-resource'].includes(f.rule))).toEqual([]);
    });
  }

  it('turning podinfo images to :latest is caught in every workload', () => {
    const resources = render(path.join(PODINFO, 'deploy', 'overlays', 'production'));
    const workloads = resources.filter((r) => ['Deployment', 'StatefulSet', 'CronJob'].includes(r.id.kind));
    const text = JSON.stringify(workloads.map((r) => r.object)).replace(/"image":"([^":]+(?::\d+\/[^":]+)?):[^"@]+"/g, '"image":"$1:latest"');
    const latest = (JSON.parse(text) as Array<Record<string, unknown>>).map((o) => res(o));
    const flagged = new Set(only(validateResources(latest, OPTS), 'no-latest-tag').map((f) => f.resource));
    expect(flagged.size).toBe(workloads.length);
  });
});
