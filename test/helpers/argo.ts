// Argo CD test repositories: an Application, a small chart, and reading plans back.
import { parse, parseAllDocuments } from 'yaml';
import type { AppPlan, Plan } from '../../src/types.js';

export function argoApp(name: string, spec: string, namespace = 'argocd'): string {
  return `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  project: default
${spec}`;
}

export const CHART = {
  'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
  'charts/web/values.yaml': 'replicas: 1\nimage: nginx:1.27.0\ngreeting: hello\nport: 80\n',
  'charts/web/templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: { app: {{ .Release.Name }} }
  template:
    metadata:
      labels: { app: {{ .Release.Name }} }
    spec:
      containers:
        - name: web
          image: {{ .Values.image }}
          resources:
            requests: { cpu: 10m, memory: 16Mi }
            limits: { cpu: 100m, memory: 64Mi }
`,
  'charts/web/templates/config.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  greeting: {{ .Values.greeting | quote }}
  port: {{ .Values.port | quote }}
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
  namespace: {{ .Release.Namespace | quote }}
`,
  'charts/web/crds/widget.yaml': `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: { kind: Widget, plural: widgets, singular: widget, listKind: WidgetList }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true }
`,
};

export const appOf = (p: Plan, name: string): AppPlan | undefined => p.environments.flatMap((e) => e.apps).find((a) => a.name === name);

/** The objects of an app's `added` changes, read back from their diffs. */
export function addedObjects(app: AppPlan): Record<string, unknown>[] {
  return app.changes
    .filter((c) => c.action === 'added')
    .map((c) => parse(c.diff!.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++')).map((l) => l.slice(1)).join('\n')) as Record<string, unknown>);
}

export function docs(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>).filter((o) => o && typeof o === 'object');
}

/** Sorted by identity, so two renders compare regardless of order. */
export function normalized(objs: Record<string, unknown>[]): Record<string, unknown>[] {
  const id = (o: Record<string, unknown>) => `${String(o.kind)}/${String((o.metadata as Record<string, unknown>).namespace)}/${String((o.metadata as Record<string, unknown>).name)}`;
  return [...objs].sort((a, b) => (id(a) < id(b) ? -1 : 1));
}

