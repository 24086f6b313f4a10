import { cpSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import type { Plan } from '../src/types.js';
import { CORPUS, hasCorpus, TEST_HELM } from './helpers/bin.js';
import { TestRepo, tempDir } from './helpers/gitrepo.js';

/**
 * Real-world manifests from ../shared/corpus, copied into a throwaway git repository at
 * test time (never into this project) and planned with no ferry.yml at all.
 */
describe.skipIf(!hasCorpus())('real-world corpus', () => {
  let repo: TestRepo;
  let base: string;
  const cacheDir = tempDir('ferry-cache-');

  beforeAll(() => {
    repo = new TestRepo();
    cpSync(path.join(CORPUS, 'podinfo'), path.join(repo.dir, 'podinfo'), { recursive: true });
    cpSync(path.join(CORPUS, 'flux2-kustomize-helm-example'), path.join(repo.dir, 'flux'), { recursive: true });
    base = repo.commit('corpus');
  });
  afterAll(() => repo.cleanup());

  async function withHelmOnPath<T>(fn: () => Promise<T>): Promise<T> {
    const before = process.env.PATH;
    process.env.PATH = `${path.dirname(TEST_HELM)}${path.delimiter}${before ?? ''}`;
    try {
      return await fn();
    } finally {
      process.env.PATH = before;
    }
  }

  async function run(args: string[]): Promise<{ code: number; plan: Plan }> {
    let out = '';
    let err = '';
    const code = await main([...args, '--repo', repo.dir, '--format', 'json', '--cache-dir', cacheDir], { out: (s) => (out += s), err: (s) => (err += s) });
    if (code === 2) throw new Error(err);
    return { code, plan: JSON.parse(out) as Plan };
  }

  it('discovers the podinfo overlays and Flux apps as roots and validates them', async () => {
    const { plan } = await run(['validate', '--ref', base]);
    const apps = plan.environments[0]!.apps;
    const paths = apps.map((a) => a.path);
    for (const p of ['podinfo/deploy/overlays/dev', 'podinfo/deploy/overlays/staging', 'podinfo/deploy/overlays/production', 'podinfo/kustomize', 'flux/apps/staging', 'flux/apps/production']) {
      expect(paths).toContain(p);
    }
    // Bases are included by overlays, so they are not apps of their own.
    expect(paths.filter((p) => p.startsWith('podinfo/deploy/bases'))).toEqual([]);
    const prod = apps.find((a) => a.path === 'podinfo/deploy/overlays/production')!;
    expect(prod.status).toBe('rendered');
    expect(prod.findings.filter((f) => f.rule === 'schema' || f.rule === 'unknown-field')).toEqual([]);
    // Flux's CRDs are not in the repository: its kinds are validated with the bundled schemas.
    for (const p of ['flux/apps/staging', 'flux/apps/production']) {
      const flux = apps.find((a) => a.path === p)!;
      expect(flux.status).toBe('rendered');
      // The CLI here has no chart fetcher: the HelmRelease's chart (from its HelmRepository)
      // is not rendered, and that is the only finding.
      expect(flux.findings.map((f) => [f.severity, f.rule, f.file, f.resource])).toEqual([
        ['warning', 'chart-unavailable', 'flux/apps/base/podinfo/release.yaml', 'HelmRelease/podinfo/podinfo'],
      ]);
    }
  });

  it('no corpus app has an unknown-kind finding: every custom resource, the clusters/ ArtifactGenerators included, has a schema', async () => {
    const { plan } = await withHelmOnPath(() => run(['validate', '--ref', base]));
    const apps = plan.environments[0]!.apps;
    expect(apps.map((a) => a.path)).toEqual(expect.arrayContaining(['flux/clusters/staging', 'flux/clusters/production', 'flux/infrastructure/configs', 'podinfo/charts/podinfo']));
    expect(apps.filter((a) => a.status !== 'rendered').map((a) => a.path)).toEqual([]);
    const unknown = [...plan.findings, ...apps.flatMap((a) => a.findings)].filter((f) => f.rule === 'unknown-kind' || f.rule === 'unknown-field' || f.rule === 'schema');
    expect(unknown.map((f) => `${f.file}: ${f.message}`)).toEqual([]);
    // The ArtifactGenerators are validated, not passed over: a wrong source kind is an error.
    repo.git('checkout', '--quiet', '-B', 'generator', base);
    const { readFileSync, writeFileSync } = await import('node:fs');
    const file = path.join(repo.dir, 'flux/clusters/staging/artifacts.yaml');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('      kind: GitRepository\n');
    writeFileSync(file, text.replace('      kind: GitRepository\n', '      kind: HelmRepository\n'));
    const head = repo.commit('wrong source kind');
    const { plan: bad } = await run(['validate', '--ref', head]);
    const staging = bad.environments[0]!.apps.find((a) => a.path === 'flux/clusters/staging')!;
    expect(staging.findings.map((f) => [f.severity, f.rule, f.file, f.resource])).toEqual([
      ['error', 'schema', 'flux/clusters/staging/artifacts.yaml', 'ArtifactGenerator/flux-system/flux-system'],
    ]);
  });

  it('a wrong field in the HelmRelease is an error at its line, in the base file or in the patch that sets it', async () => {
    repo.git('checkout', '--quiet', '-B', 'typo', base);
    const { readFileSync, writeFileSync } = await import('node:fs');
    const edit = (file: string, from: string, to: string) => {
      const p = path.join(repo.dir, file);
      const text = readFileSync(p, 'utf8');
      expect(text).toContain(from);
      writeFileSync(p, text.replace(from, to));
    };
    edit('flux/apps/base/podinfo/release.yaml', '  releaseName: podinfo', '  releaseNme: podinfo');
    // flux/apps/staging patches the HelmRelease with podinfo-values.yaml (target kind: HelmRelease).
    edit('flux/apps/staging/podinfo-values.yaml', 'enable: false', 'enable: "no"');
    const head = repo.commit('typos');
    // podinfo's own chart is an app too: with helm on PATH it renders, so the exit status
    // says "errors found" (1), not "a renderer is missing" (3).
    const { code, plan } = await withHelmOnPath(() => run(['validate', '--ref', head]));
    expect(code).toBe(1);
    const staging = plan.environments[0]!.apps.find((a) => a.path === 'flux/apps/staging')!;
    // (Its chart is not fetched by this CLI: that warning is the first test's.)
    expect(staging.findings.filter((f) => f.rule !== 'chart-unavailable').map((f) => [f.severity, f.rule, f.message, f.file, f.line])).toEqual([
      ['error', 'unknown-field', 'spec.releaseNme: unknown field (did you mean "releaseName"?)', 'flux/apps/base/podinfo/release.yaml', 8],
      ['error', 'schema', 'spec.test.enable: expected boolean, got string', 'flux/apps/staging/podinfo-values.yaml', 11],
    ]);
  });

  it('a change to a shared podinfo base fans out to every overlay that includes it', async () => {
    repo.git('checkout', '--quiet', '-B', 'bump', base);
    const file = path.join(repo.dir, 'podinfo/deploy/bases/backend/deployment.yaml');
    const { readFileSync, writeFileSync } = await import('node:fs');
    const text = readFileSync(file, 'utf8');
    const bumped = text.replace(/(image: \S+?):([\w.]+)/, '$1:9.9.9');
    expect(bumped).not.toBe(text);
    writeFileSync(file, bumped);
    const head = repo.commit('bump backend');
    const { code, plan } = await run(['plan', '--base', base, '--head', head]);
    expect(code).toBe(0);
    const changed = plan.environments[0]!.apps.map((a) => a.path);
    expect(changed).toEqual(expect.arrayContaining(['podinfo/deploy/overlays/dev', 'podinfo/deploy/overlays/staging', 'podinfo/deploy/overlays/production']));
    expect(changed).not.toContain('podinfo/kustomize');
    for (const app of plan.environments[0]!.apps.filter((a) => a.path.startsWith('podinfo/deploy/overlays'))) {
      expect(app.changes.map((c) => `${c.action} ${c.kind}/${c.name}`)).toEqual(['changed Deployment/backend']);
      expect(app.changes[0]!.diff).toContain(':9.9.9');
    }
  });

  it('renders the podinfo Helm chart with its production values', async () => {
    const cfg = path.join(tempDir(), 'ferry.yml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(cfg, `environments:\n  - name: production\n    apps:\n      - name: podinfo\n        path: podinfo/charts/podinfo\n        renderer: helm\n        helm: { releaseName: podinfo, namespace: prod, valuesFiles: [values.yaml, values-prod.yaml] }\nrender:\n  helm: ${TEST_HELM}\n`);
    const { plan } = await run(['validate', '--ref', base, '--config', cfg]);
    const app = plan.environments[0]!.apps[0]!;
    expect(app.status).toBe('rendered');
    expect(app.findings.filter((f) => f.severity === 'error' && f.rule !== 'no-latest-tag')).toEqual([]);
  });
});
