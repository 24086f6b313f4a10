import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Finding, Resource } from '../../src/types.js';
import type { ValidateOptions } from '../../src/validate/index.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CORPUS = path.resolve(REPO_ROOT, '..', 'shared', 'corpus');

export const OPTS: ValidateOptions = { kubernetesVersion: '1.31', strict: true, rules: {} };

type Obj = Record<string, unknown>;

/** A Resource for `obj`; its identity is read from the object like the renderer does. */
export function res(obj: Obj, source: Resource['source'] = null): Resource {
  const meta = (obj.metadata ?? {}) as Obj;
  return {
    id: {
      apiVersion: String(obj.apiVersion),
      kind: String(obj.kind),
      namespace: typeof meta.namespace === 'string' ? meta.namespace : null,
      name: String(meta.name),
    },
    object: obj,
    source,
  };
}

export function rules(findings: Finding[]): string[] {
  return findings.map((f) => f.rule);
}

export function only(findings: Finding[], rule: string): Finding[] {
  return findings.filter((f) => f.rule === rule);
}

/** A Deployment that passes every rule; tests break one thing at a time. */
export function cleanDeployment(name = 'web'): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'prod', labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name,
              image: `registry.example.com/${name}:1.2.3`,
              ports: [{ containerPort: 8080, name: 'http' }],
              resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '256Mi' } },
              securityContext: { allowPrivilegeEscalation: false, privileged: false },
            },
          ],
        },
      },
    },
  };
}

/** Deep copy plus edit, so each test starts from the clean object. */
export function edit(obj: Obj, fn: (o: any) => void): Obj {
  const copy = structuredClone(obj);
  fn(copy);
  return copy;
}
