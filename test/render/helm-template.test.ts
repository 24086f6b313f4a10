import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { helmTemplate, type HelmTemplateRequest } from '../../src/render/helm-template.js';
import { parseRenderedObjects } from '../../src/render/manifests.js';
import type { TreeFiles } from '../../src/render/render.js';
import { detectTools, type RenderTools } from '../../src/render/tools.js';
import { TEST_HELM } from '../helpers/bin.js';
import { tempDir } from '../helpers/gitrepo.js';

const CHART = {
  'Chart.yaml': 'apiVersion: v2\nname: demo\nversion: 1.2.3\n',
  'values.yaml': 'replicas: 1\nimage: nginx:1\nnote: default\nlist: []\n',
  'templates/cm.yaml': [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: {{ .Release.Name }}-cm',
    '  namespace: {{ .Release.Namespace }}',
    'data:',
    '  replicas: {{ .Values.replicas | quote }}',
    '  image: {{ .Values.image | quote }}',
    '  note: {{ .Values.note | quote }}',
    '  list: {{ .Values.list | toJson | quote }}',
    '  kube: {{ .Capabilities.KubeVersion.Version | quote }}',
    '  hasMonitoring: {{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" | quote }}',
    '',
  ].join('\n'),
  'templates/tests/test-pod.yaml': [
    'apiVersion: v1', 'kind: Pod', 'metadata:', '  name: {{ .Release.Name }}-test', '  annotations:', '    helm.sh/hook: test', 'spec:', '  containers: [{name: t, image: busybox}]', '',
  ].join('\n'),
  'crds/crd.yaml': [
    'apiVersion: apiextensions.k8s.io/v1', 'kind: CustomResourceDefinition', 'metadata:', '  name: widgets.example.com',
    'spec:', '  group: example.com', '  names: {kind: Widget, plural: widgets}', '  scope: Namespaced',
    '  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]', '',
  ].join('\n'),
};

describe('helm template for apps, HelmReleases and Applications', () => {
  let root: string;
  let tools: RenderTools;
  let tree: TreeFiles;
  let archive: { archive: string; digest: string };

  beforeAll(async () => {
    root = tempDir('ferry-helmt-');
    for (const [f, text] of Object.entries(CHART)) {
      mkdirSync(path.dirname(path.join(root, 'charts/demo', f)), { recursive: true });
      writeFileSync(path.join(root, 'charts/demo', f), text);
    }
    writeFileSync(path.join(root, 'prod.yaml'), 'replicas: 3\n');
    const out = tempDir('ferry-helmt-pkg-');
    execFileSync(TEST_HELM, ['package', path.join(root, 'charts/demo'), '-d', out], { stdio: 'ignore' });
    const file = path.join(out, 'demo-1.2.3.tgz');
    const { createHash } = await import('node:crypto');
    archive = { archive: file, digest: createHash('sha256').update(readFileSync(file)).digest('hex') };
    const inTree = new Set(['charts/demo/Chart.yaml', 'prod.yaml']);
    tree = { root, has: (p) => inTree.has(p), readFile: () => ({ data: Buffer.alloc(0) }), source: () => [] };
    tools = await detectTools({ helm: TEST_HELM, timeoutMs: 60_000, maxOutputBytes: 8 << 20, flux: true, argo: true });
  });

  const render = async (req: Partial<HelmTemplateRequest>) => {
    const r = await helmTemplate({ file: 'x.yaml', chart: { dir: 'charts/demo' }, release: 'rel', ...req }, tree, tools);
    if (!r.ok) return { findings: r.findings, objects: [] as Record<string, any>[] };
    return { findings: [], objects: parseRenderedObjects(r.text) as Record<string, any>[] };
  };
  const cm = (objects: Record<string, any>[]) => objects.find((o) => o.kind === 'ConfigMap')!;

  it('applies values files, then values documents, then parameters, in that order', async () => {
    const r = await render({
      namespace: 'shop', valuesFiles: ['prod.yaml'],
      values: ['replicas: 5\nimage: nginx:2\n', '{"image": "nginx:3"}'],
      set: [{ name: 'note', value: 'a,b\\c' }, { name: 'replicas', value: '7', string: true }],
    });
    expect(r.findings).toEqual([]);
    const c = cm(r.objects);
    expect(c.metadata).toEqual({ name: 'rel-cm', namespace: 'shop' });
    // A comma is escaped for helm, a backslash is not (helm drops it), as under Argo CD.
    expect(c.data).toMatchObject({ replicas: '7', image: 'nginx:3', note: 'a,bc' });
  });

  it('matches helm template run by hand with the same inputs', async () => {
    const r = await render({ namespace: 'shop', valuesFiles: ['prod.yaml'], includeCrds: true });
    const byHand = execFileSync(TEST_HELM, ['template', 'rel', path.join(root, 'charts/demo'), '--namespace', 'shop', '--values', path.join(root, 'prod.yaml'), '--include-crds'], { encoding: 'utf8' });
    expect(r.objects).toEqual(parseRenderedObjects(byHand));
  });

  it('includes CRDs and leaves out test hooks only when asked', async () => {
    const plain = await render({});
    expect(plain.objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Pod']);
    const flux = await render({ includeCrds: true, skipTests: true });
    expect(flux.objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'CustomResourceDefinition']);
  });

  it('passes the Kubernetes version and API versions to the chart', async () => {
    const r = await render({ kubeVersion: '1.29', apiVersions: ['monitoring.coreos.com/v1'] });
    expect(cm(r.objects).data).toMatchObject({ kube: 'v1.29.0', hasMonitoring: 'true' });
  });

  it('renders a chart archive from the chart cache, copied into the tree', async () => {
    const r = await render({ chart: archive, release: 'from-tgz' });
    expect(r.findings).toEqual([]);
    expect(cm(r.objects).metadata.name).toBe('from-tgz-cm');
  });

  it('refuses what would leave the repository or read as a flag', async () => {
    const cases: [Partial<HelmTemplateRequest>, RegExp][] = [
      [{ release: '--post-renderer=/bin/sh' }, /not a valid Helm release name/],
      [{ namespace: '--kubeconfig=/etc/passwd' }, /not a valid namespace name/],
      [{ valuesFiles: ['../../etc/passwd'] }, /outside the repository/],
      [{ valuesFiles: ['missing.yaml'] }, /does not exist/],
      [{ chart: { dir: '../..' } }, /outside the repository/],
      [{ set: [{ name: 'a=b', value: 'x' }] }, /parameter name/],
      [{ kubeVersion: '1.29 --debug' }, /not a version/],
      [{ chart: { archive: archive.archive, digest: '../x' } }, /sha256/],
    ];
    for (const [req, message] of cases) {
      const r = await render(req);
      expect(r.findings.map((f) => f.message).join('\n'), JSON.stringify(req)).toMatch(message);
      expect(r.findings[0]!.rule).toBe('render-refused');
    }
  });

  it('says why helm failed, without the server paths', async () => {
    const r = await render({ values: ['replicas: [unclosed\n'] });
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]!.message).toMatch(/^helm failed for x\.yaml: /);
    expect(r.findings[0]!.message).not.toContain(root);
  });

  it('is a warning, not an error, without helm', async () => {
    const r = await helmTemplate({ file: 'x.yaml', chart: { dir: 'charts/demo' }, release: 'rel' }, tree, { ...tools, helm: null });
    expect(r).toMatchObject({ ok: false, findings: [{ severity: 'warning', rule: 'helm-unavailable' }] });
  });
});
