/**
 * Validation throughput, run by bench/run.ts in a fresh process so the first pass is
 * truly cold (validators loaded and compiled lazily). Prints resources/s and peak RSS.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { identityOf, parseRenderedObjects } from '../src/render/manifests.js';
import type { Resource } from '../src/types.js';
import { validateResources, type ValidateOptions } from '../src/validate/index.js';

const corpus = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'corpus');
const opts: ValidateOptions = { kubernetesVersion: '1.31', strict: true, rules: {} };

function toResources(objs: Record<string, unknown>[]): Resource[] {
  return objs.flatMap((o) => {
    const id = identityOf(o);
    return id ? [{ id, object: o, source: null }] : [];
  });
}

function generated(n: number): Resource[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; out.length < n; i++) {
    const name = `app-${i}`;
    out.push({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'bench', labels: { app: name } },
      spec: {
        replicas: 2, selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name, image: `registry.example/${name}:1.0.${i}`, ports: [{ containerPort: 8080 }], resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } } }] },
        },
      },
    });
    out.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'bench' }, spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] } });
    out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'bench' }, data: { APP: name } });
  }
  return toResources(out.slice(0, n));
}

/** Resources per second over one pass; apps of 50 resources, as the engine validates per app. */
function pass(resources: Resource[]): number {
  const t = performance.now();
  for (let i = 0; i < resources.length; i += 50) validateResources(resources.slice(i, i + 50), opts);
  return resources.length / ((performance.now() - t) / 1000);
}

const rate = (r: number) => `${Math.round(r).toLocaleString('en-US')} resources/s`;

console.log('schema validation (strict, Kubernetes 1.31, one core)');
const res = generated(50_000);
const cold = pass(res);
const warm = pass(res);
console.log(`  50,000 generated (Deployment/Service/ConfigMap): cold ${rate(cold)}, warm ${rate(warm)}`);
if (existsSync(corpus)) {
  const dirs = ['podinfo/deploy/overlays/production', 'podinfo/deploy/overlays/staging', 'podinfo/deploy/overlays/dev', 'podinfo/kustomize', 'flux2-kustomize-helm-example/apps/staging', 'flux2-kustomize-helm-example/infrastructure/controllers'];
  const objs = dirs.flatMap((d) => parseRenderedObjects(execFileSync('kubectl', ['kustomize', path.join(corpus, d)], { encoding: 'utf8' })));
  const one = toResources(objs);
  // The corpus is small; repeat it so a pass lasts long enough to time.
  const many = Array.from({ length: Math.ceil(20_000 / one.length) }, () => one).flat();
  console.log(`  corpus (${one.length} distinct resources, repeated to ${many.length}): ${rate(pass(many))}`);
} else {
  console.log('  corpus: ../shared/corpus not found, skipped');
}
console.log(`  peak RSS of the validation process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
