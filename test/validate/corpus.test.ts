import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Resource } from '../../src/types.js';
import { crdSchemasFromResources, validateResources } from '../../src/validate/index.js';
import { CORPUS, OPTS, only, res } from './helpers.js';

const FLUX = path.join(CORPUS, 'flux2-kustomize-helm-example');
const PODINFO = path.join(CORPUS, 'podinfo');

function render(dir: string): Resource[] {
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return parseAllDocuments(out)
    .map((d) => d.toJS({ maxAliasCount: 100 }) as Record<string, unknown> | null)
    .filter((o): o is Record<string, unknown> => !!o && typeof o.kind === 'string')
    .map((o) => res(o));
}

describe.skipIf(!existsSync(FLUX))('real-world corpus: flux2-kustomize-helm-example', () => {
  it('validates the production apps: Flux kinds are unknown-kind warnings, nothing else', async () => {
    // The example installs Flux and cert-manager from charts; it ships no CRD files itself.
    const crds = crdSchemasFromResources([]);
    const resources = render(path.join(FLUX, 'apps', 'production'));
    const kinds = resources.map((r) => r.id.kind);
    expect(kinds).toContain('HelmRelease');
    const findings = validateResources(resources, { ...OPTS, crds });
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => f.rule === 'unknown-kind' && f.severity === 'warning')).toBe(true);
    const release = resources.find((r) => r.id.kind === 'HelmRelease')!;
    expect(findings.map((f) => f.resource)).toContain(`HelmRelease/${release.id.namespace}/${release.id.name}`);
    expect(findings.find((f) => f.resource?.startsWith('HelmRelease/'))!.message).toMatch(/^helm\.toolkit\.fluxcd\.io\/v2\w* HelmRelease: no schema known/);
    // The Namespace is built in, so it is validated and clean.
    expect(findings.some((f) => f.resource?.startsWith('Namespace/'))).toBe(false);
  });

  it('flags a typo injected into a rendered corpus object', () => {
    const resources = render(path.join(FLUX, 'apps', 'production'));
    const ns = resources.find((r) => r.id.kind === 'Namespace')!;
    (ns.object.metadata as Record<string, unknown>).lables = { a: 'b' };
    const f = only(validateResources([ns], OPTS), 'unknown-field');
    expect(f.map((x) => x.message)).toEqual(['metadata.lables: unknown field (did you mean "labels"?)']);
  });
});

describe.skipIf(!existsSync(PODINFO))('real-world corpus: podinfo', () => {
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
