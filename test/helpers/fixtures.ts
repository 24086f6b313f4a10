/** Small GitOps repositories the tests build from scratch (the suite runs without the corpus). */

export function deployment(name: string, opts: { image?: string; replicas?: number; namespace?: string; extra?: string } = {}): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
${opts.namespace ? `  namespace: ${opts.namespace}\n` : ''}spec:
  replicas: ${opts.replicas ?? 1}
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
        - name: ${name}
          image: ${opts.image ?? 'nginx:1.27.0'}
          resources:
            requests: { cpu: 10m, memory: 16Mi }
            limits: { cpu: 100m, memory: 64Mi }
${opts.extra ?? ''}`;
}

export function service(name: string): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector:
    app: ${name}
  ports:
    - port: 80
      targetPort: 8080
`;
}

export function configMap(name: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: v\n`;
}

/** A ferry.yml with `staging` and `production` under envs/, then `rest` (promotion, review…). */
export function twoEnvConfig(rest = ''): string {
  return `environments:\n  - name: staging\n    path: envs/staging\n  - name: production\n    path: envs/production\n${rest}`;
}

export function kustomization(lines: string): string {
  return `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${lines}`;
}

/**
 * base/web shared by envs/staging/web and envs/production/web (overlays), plus a plain
 * app envs/staging/tools and a config declaring both environments.
 */
export function envRepoFiles(): Record<string, string> {
  return {
    '.github/ferry.yml': `environments:
  - name: staging
    path: envs/staging
  - name: production
    path: envs/production
validate:
  kubernetesVersion: "1.31"
`,
    'README.md': '# demo\n',
    'base/web/kustomization.yaml': kustomization('resources:\n  - deployment.yaml\n  - service.yaml\nconfigMapGenerator:\n  - name: web-config\n    files:\n      - config.properties\n'),
    'base/web/deployment.yaml': deployment('web'),
    'base/web/service.yaml': service('web'),
    'base/web/config.properties': 'color=blue\n',
    'base/web/README.md': 'notes about web\n',
    'envs/staging/web/kustomization.yaml': kustomization('namespace: staging\nresources:\n  - ../../../base/web\npatches:\n  - path: replicas.yaml\n'),
    'envs/staging/web/replicas.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n',
    'envs/production/web/kustomization.yaml': kustomization('namespace: production\nresources:\n  - ../../../base/web\npatches:\n  - path: replicas.yaml\n'),
    'envs/production/web/replicas.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 5\n',
    'envs/staging/tools/job.yaml': `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: staging
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: busybox:1.36
          resources:
            requests: { cpu: 10m, memory: 16Mi }
            limits: { cpu: 100m, memory: 64Mi }
`,
  };
}
