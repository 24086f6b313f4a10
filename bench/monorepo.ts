import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const ENVS = ['staging', 'production'];

const k = (body: string) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${body}`;

function appBase(i: number, image: string): Record<string, string> {
  const name = `app-${i}`;
  return {
    [`apps/${name}/kustomization.yaml`]: k(
      `resources:\n  - deployment.yaml\n  - service.yaml\n  - ../../shared/s${i % 25}\nconfigMapGenerator:\n  - name: ${name}-config\n    literals:\n      - APP=${name}\n`,
    ),
    [`apps/${name}/deployment.yaml`]: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: { app: ${name} }
spec:
  replicas: 2
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
    spec:
      containers:
        - name: ${name}
          image: ${image}
          ports: [{ containerPort: 8080 }]
          envFrom: [{ configMapRef: { name: ${name}-config } }]
          resources:
            requests: { cpu: 50m, memory: 64Mi }
            limits: { cpu: 500m, memory: 256Mi }
`,
    [`apps/${name}/service.yaml`]: `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  selector: { app: ${name} }\n  ports: [{ port: 80, targetPort: 8080 }]\n`,
  };
}

function shared(s: number, level: string): Record<string, string> {
  return {
    [`shared/s${s}/kustomization.yaml`]: k('resources:\n  - network-policy.yaml\n'),
    [`shared/s${s}/network-policy.yaml`]: `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: shared-${s}\n  labels: { level: ${level} }\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n`,
  };
}

function write(dir: string, files: Record<string, string>) {
  for (const [rel, body] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), body);
  }
}

export interface Monorepo {
  dir: string;
  base: string;
  head: string;
  /** A further push on top of head touching one more app. */
  head2: string;
  /** Overlay folders the PR affects (what the floor renders). */
  affected: string[];
  overlays: string[];
}

/**
 * `apps` apps × 2 environments: each overlay (envs/ENV/app-i) includes its app base, which
 * includes one of 25 shared bases. The PR changes 10 apps' images and, with
 * `sharedChange`, shared base s7 too (used by apps/25 more apps: at 500 apps, a 30-app PR).
 */
export function generateMonorepo(dir: string, apps = 500, sharedChange = true): Monorepo {
  const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, encoding: 'utf8' }).trim();
  mkdirSync(dir, { recursive: true });
  git('init', '--quiet', '--initial-branch=main');
  git('config', 'user.name', 'bench');
  git('config', 'user.email', 'bench@example.invalid');
  const files: Record<string, string> = {
    '.github/ferry.yml': `environments:\n${ENVS.map((e) => `  - name: ${e}\n    path: envs/${e}\n`).join('')}`,
  };
  for (let s = 0; s < 25; s++) Object.assign(files, shared(s, 'base'));
  const overlays: string[] = [];
  for (let i = 0; i < apps; i++) {
    Object.assign(files, appBase(i, 'registry.example/app:1.0.0'));
    for (const env of ENVS) {
      const o = `envs/${env}/app-${i}`;
      overlays.push(o);
      files[`${o}/kustomization.yaml`] = k(`namespace: app-${i}-${env}\nresources:\n  - ../../../apps/app-${i}\nreplicas:\n  - name: app-${i}\n    count: ${env === 'production' ? 3 : 1}\n`);
    }
  }
  write(dir, files);
  git('add', '-A');
  git('commit', '--quiet', '-m', 'monorepo');
  const base = git('rev-parse', 'HEAD');

  const changedApps = Array.from({ length: 10 }, (_, j) => j * Math.floor(apps / 10) + 1); // none uses s7 (i % 25 === 7)
  const pr: Record<string, string> = sharedChange ? { ...shared(7, 'changed') } : {};
  for (const i of changedApps) Object.assign(pr, appBase(i, 'registry.example/app:1.1.0'));
  write(dir, pr);
  git('add', '-A');
  git('commit', '--quiet', '-m', 'the PR');
  const head = git('rev-parse', 'HEAD');

  write(dir, appBase(2, 'registry.example/app:1.2.0'));
  git('add', '-A');
  git('commit', '--quiet', '-m', 'one more push');
  const head2 = git('rev-parse', 'HEAD');

  const affectedApps = new Set<number>(changedApps);
  if (sharedChange) for (let i = 0; i < apps; i++) if (i % 25 === 7) affectedApps.add(i);
  const affected = [...affectedApps].flatMap((i) => ENVS.map((e) => `envs/${e}/app-${i}`));
  return { dir, base, head, head2, affected, overlays };
}
