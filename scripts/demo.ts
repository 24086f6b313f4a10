/**
 * `npm run demo`: builds a small GitOps repository with two commits in a temp folder and
 * prints Ferry's plan between them, exactly as `ferry plan` would. Pass `--format json`
 * or `--format markdown` to see the other outputs; `--keep` leaves the repository behind.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../src/cli.js';

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const formatIdx = args.indexOf('--format');
const format = formatIdx >= 0 ? args[formatIdx + 1] ?? 'text' : 'text';

const dir = mkdtempSync(path.join(tmpdir(), 'ferry-demo-'));
const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, encoding: 'utf8' }).trim();
const write = (files: Record<string, string>) => {
  for (const [rel, body] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), body);
  }
};
const k = (body: string) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${body}`;
const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: web
          image: ${image}
          ports:
            - containerPort: 8080
          resources:
            requests: { cpu: 50m, memory: 64Mi }
            limits: { cpu: 200m, memory: 128Mi }
`;

git('init', '--quiet', '--initial-branch=main');
git('config', 'user.name', 'Ferry Demo');
git('config', 'user.email', 'demo@example.invalid');
write({
  '.github/ferry.yml': `environments:
  - name: staging
    path: envs/staging
  - name: production
    path: envs/production
validate:
  kubernetesVersion: "1.31"
  rules:
    resource-limits: warning
`,
  'base/web/kustomization.yaml': k('resources:\n  - deployment.yaml\n  - service.yaml\nconfigMapGenerator:\n  - name: web-config\n    literals:\n      - GREETING=hello\n'),
  'base/web/deployment.yaml': deployment('ghcr.io/stefanprodan/podinfo:6.7.0'),
  'base/web/service.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: { app: web }\n  ports:\n    - port: 80\n      targetPort: 8080\n',
  'envs/staging/web/kustomization.yaml': k('namespace: staging\nresources:\n  - ../../../base/web\n'),
  'envs/production/web/kustomization.yaml': k('namespace: production\nresources:\n  - ../../../base/web\nreplicas:\n  - name: web\n    count: 3\n'),
  'envs/staging/db-credentials/secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: staging\nstringData:\n  password: s3cr3t-before\n',
});
git('add', '-A');
git('commit', '--quiet', '-m', 'initial environments');
const base = git('rev-parse', 'HEAD');

// The "pull request": a new image and config in the shared base (both environments),
// a rotated password, a typo'd field and a :latest image in a new staging app.
write({
  'base/web/deployment.yaml': deployment('ghcr.io/stefanprodan/podinfo:6.7.1'),
  'base/web/kustomization.yaml': k('resources:\n  - deployment.yaml\n  - service.yaml\nconfigMapGenerator:\n  - name: web-config\n    literals:\n      - GREETING=hello, world\n'),
  'envs/staging/db-credentials/secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: staging\nstringData:\n  password: s3cr3t-after\n',
  'envs/staging/worker/worker.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  namespace: staging
spec:
  replica: 2
  selector:
    matchLabels: { app: worker }
  template:
    metadata:
      labels: { app: worker }
    spec:
      containers:
        - name: worker
          image: busybox:latest
`,
});
git('add', '-A');
git('commit', '--quiet', '-m', 'bump web, rotate db password, add worker');
const head = git('rev-parse', 'HEAD');

process.stderr.write(`demo repository: ${dir}\n$ ferry plan --repo ${dir} --base ${base.slice(0, 7)} --head ${head.slice(0, 7)} --format ${format}\n\n`);
const code = await main(['plan', '--repo', dir, '--base', base, '--head', head, '--format', format]);
if (!keep) rmSync(dir, { recursive: true, force: true });
process.stderr.write(`\n(exit code ${code}: ${code === 1 ? 'the plan has error findings, as this demo intends' : code === 0 ? 'no errors' : 'usage error'})\n`);
