// `defaultMode: 0644` is 420 to every tool that applies manifests (kustomize, kubectl,
// helm reading values): Ferry's plan shows and passes on the same value, compared here with
// the real tools run on the same inputs.
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import type { Plan } from '../../src/types.js';
import { TEST_HELM } from '../helpers/bin.js';
import { addedDocs, helmTemplate, kubectlKustomize } from '../helpers/equivalence.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const cacheDir = tempDir('ferry-cache-');
const CONFIG = `environments:\n  - name: staging\n    path: clusters/staging\nrender:\n  helm: ${TEST_HELM}\n`;

const NS = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n';
const POD = `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: apps
spec:
  containers:
    - name: c
      image: nginx:1.27.0
  volumes:
    - name: v
      configMap:
        name: x
        defaultMode: 0644
        items:
          - key: a
            path: a
            mode: -0644
    - name: w
      secret:
        secretName: s
        defaultMode: 0_755
`;

const theApp = (p: Plan) => {
  const app = p.environments[0]!.apps.find((a) => a.name === 'web');
  if (!app) throw new Error(JSON.stringify(p.findings));
  return app;
};
const byKind = (docs: Record<string, unknown>[], kind: string) => docs.find((d) => d.kind === kind) as Record<string, any> | undefined;

describe('leading-zero integers are octal, as go-yaml reads them', () => {
  it('a plain folder with defaultMode: 0644 validates and plans 420, as kubectl kustomize reads it', async () => {
    const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, 'clusters/staging/web/ns.yaml': NS });
    const base = r.commit('base');
    r.write({ 'clusters/staging/web/pod.yaml': POD });
    const p = await plan({ repo: r.dir, base, head: r.commit('pod'), cacheDir });
    const app = theApp(p);
    expect(app.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const pod = byKind(addedDocs(app), 'Pod')!;
    expect(pod.spec.volumes[0].configMap.defaultMode).toBe(420);

    // The same folder with a kustomization, through the real tool.
    const dir = tempDir('ferry-octal-kz-');
    cpSync(path.join(r.dir, 'clusters/staging/web'), dir, { recursive: true });
    writeFileSync(path.join(dir, 'kustomization.yaml'), 'resources: [ns.yaml, pod.yaml]\n');
    const expected = byKind(kubectlKustomize(dir), 'Pod')!;
    expect(expected.spec.volumes[0].configMap.defaultMode).toBe(420);
    expect(pod.spec).toEqual(expected.spec);
  });

  it('HelmRelease values mode: 0644 reach helm as 420, as helm template -f reads the same values', async () => {
    const values = 'mode: 0644\nneg: -0644\nsep: 1_000\nhex: 0x1F\nplain: 644\nfile: 0o600\n';
    const chart = {
      'charts/c/Chart.yaml': 'apiVersion: v2\nname: c\nversion: 0.1.0\n',
      'charts/c/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n{{- range $k, $v := .Values }}\n  {{ $k }}: {{ $v | quote }}\n{{- end }}\n',
    };
    const hr = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: web, namespace: apps }
spec:
  chart: { spec: { chart: ./charts/c, sourceRef: { kind: GitRepository, name: flux-system, namespace: flux-system } } }
  values:
${values.trimEnd().split('\n').map((l) => `    ${l}`).join('\n')}
`;
    const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, ...chart, 'clusters/staging/web/ns.yaml': NS });
    const base = r.commit('base');
    r.write({ 'clusters/staging/web/hr.yaml': hr });
    const p = await plan({ repo: r.dir, base, head: r.commit('release'), cacheDir });
    const cm = byKind(addedDocs(theApp(p)), 'ConfigMap')!;

    const valuesFile = path.join(tempDir('ferry-octal-values-'), 'values.yaml');
    writeFileSync(valuesFile, values);
    const expected = byKind(helmTemplate(['web', path.join(r.dir, 'charts/c'), '-f', valuesFile]), 'ConfigMap')!;
    expect(expected.data.mode).toBe('420');
    expect(cm.data).toEqual(expected.data);
  });
});

describe('values Go reads with sigs.k8s.io/yaml take YAML 1.1 booleans', () => {
  it('a valuesFrom ConfigMap with yes / on / n gives helm booleans, as helm template -f reads them; spec.values keeps the string kustomize keeps', async () => {
    const fromConfigMap = "enabled: yes\nmode: on\nshort: n\nquoted: 'yes'\nplain: true\nword: yesterday\n";
    const chart = {
      'charts/c/Chart.yaml': 'apiVersion: v2\nname: c\nversion: 0.1.0\n',
      'charts/c/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n{{- range $k, $v := .Values }}\n  {{ $k }}: {{ printf "%T %v" $v $v | quote }}\n{{- end }}\n',
      'charts/c/values-bool.yaml': 'fromFile: off\nfileWord: "on"\n',
    };
    const cm = `apiVersion: v1
kind: ConfigMap
metadata: { name: web-values, namespace: apps }
data:
  values.yaml: |
${fromConfigMap.trimEnd().split('\n').map((l) => `    ${l}`).join('\n')}
`;
    const hr = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: web, namespace: apps }
spec:
  chart: { spec: { chart: ./charts/c, valuesFiles: [charts/c/values-bool.yaml], sourceRef: { kind: GitRepository, name: flux-system, namespace: flux-system } } }
  valuesFrom:
    - kind: ConfigMap
      name: web-values
  values:
    inline: yes
`;
    const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, ...chart, 'clusters/staging/web/ns.yaml': NS, 'clusters/staging/web/cm.yaml': cm });
    const base = r.commit('base');
    r.write({ 'clusters/staging/web/hr.yaml': hr });
    const p = await plan({ repo: r.dir, base, head: r.commit('release'), cacheDir });
    const got = addedDocs(theApp(p)).find((d) => d.kind === 'ConfigMap' && (d.metadata as { name: string }).name === 'x') as Record<string, any>;
    expect(got, JSON.stringify(theApp(p).findings)).toBeDefined();

    // helm reads the ConfigMap's values as a file; spec.values reached the cluster as JSON (a string).
    const dir = tempDir('ferry-bool-values-');
    writeFileSync(path.join(dir, 'from.yaml'), fromConfigMap);
    writeFileSync(path.join(dir, 'inline.yaml'), 'inline: "yes"\n');
    // The chart has no values.yaml: its valuesFiles are its values, under the other two.
    const expected = byKind(helmTemplate(['web', path.join(r.dir, 'charts/c'), '-f', path.join(r.dir, 'charts/c/values-bool.yaml'), '-f', path.join(dir, 'from.yaml'), '-f', path.join(dir, 'inline.yaml')]), 'ConfigMap')!;
    expect(expected.data.fromFile).toBe('bool false');
    expect(expected.data.enabled).toBe('bool true');
    expect(expected.data.short).toBe('bool false');
    expect(expected.data.inline).toBe('string yes');
    expect(got.data).toEqual(expected.data);
  });
});
