import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { validateResources } from '../../src/validate/index.js';
import { OPTS, cleanDeployment, edit, only, res, rules } from './helpers.js';

const lax = { ...OPTS, strict: false };

function messages(obj: Record<string, unknown>, rule: string, opts = OPTS): string[] {
  return only(validateResources([res(obj)], opts), rule).map((f) => f.message);
}

describe('schema (built-in kinds)', () => {
  it('accepts clean Service, ConfigMap, Secret, Namespace and ServiceAccount objects', () => {
    const objs = [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'n' }, spec: { selector: { app: 's' }, ports: [{ port: 80, targetPort: 'http' }] } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n', creationTimestamp: null }, data: { A: 'b' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x', namespace: 'n' }, type: 'Opaque', stringData: { k: 'v' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa', namespace: 'n' } },
    ];
    expect(validateResources(objs.map((o) => res(o)), OPTS)).toEqual([]);
  });

  it('reports a wrong type with the field path and what was expected', () => {
    const d = edit(cleanDeployment(), (o) => (o.spec.replicas = 'three'));
    expect(messages(d, 'schema')).toEqual(['spec.replicas: expected integer, got string']);
  });

  it('reports a missing required field at its parent object', () => {
    const d = edit(cleanDeployment(), (o) => delete o.spec.template.spec.containers[0].name);
    const located: string[] = [];
    const f = only(validateResources([res(d, { file: 'd.yaml', line: 1, locate: (p) => (located.push(p), 9) })], OPTS), 'schema');
    expect(f.map((x) => x.message)).toEqual(['spec.template.spec.containers[0]: missing required field "name"']);
    expect(located).toContain('/spec/template/spec/containers/0');
  });

  it('reports enum values and invalid quantities in one line each', () => {
    const d = edit(cleanDeployment(), (o) => {
      o.spec.template.spec.containers[0].imagePullPolicy = 'Sometimes';
      o.spec.template.spec.containers[0].resources.limits.cpu = 'lots';
    });
    expect(messages(d, 'schema')).toEqual([
      'spec.template.spec.containers[0].imagePullPolicy: "Sometimes" is not one of "Always", "IfNotPresent", "Never"',
      'spec.template.spec.containers[0].resources.limits.cpu: "lots" is not a valid quantity',
    ]);
  });

  it('explains int-or-string fields as one expectation', () => {
    const d = edit(cleanDeployment(), (o) => (o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: true } }));
    expect(messages(d, 'schema')).toEqual(['spec.strategy.rollingUpdate.maxSurge: expected string or integer, got boolean']);
  });

  it('does not report problems under status', () => {
    const d = edit(cleanDeployment(), (o) => (o.status = { replicas: 'many', bogus: 1 }));
    expect(validateResources([res(d)], OPTS)).toEqual([]);
  });

  it('validates kinds outside apps/v1: CronJob, HPA v2, Ingress, events', () => {
    const cron = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: { jobTemplate: { spec: { template: { spec: { containers: [] } } } } } };
    expect(messages(cron, 'schema')).toEqual(['spec: missing required field "schedule"']);
    const hpa = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3, minReplica: 1 } };
    expect(messages(hpa, 'unknown-field')).toEqual(['spec.minReplica: unknown field (did you mean "minReplicas"?)']);
    expect(messages(hpa, 'schema')).toEqual([]);
    const ing = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'i' }, spec: { rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 's', port: { number: 80 } } } }] } }] } };
    expect(validateResources([res(ing)], OPTS)).toEqual([]);
    // Kinds whose client-node classes carry a group prefix.
    const coreEvent = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'n' }, involvedObject: { kind: 'Pod' }, reason: 'x', reportingComponent: 'y', note: 'z' };
    expect(messages(coreEvent, 'unknown-field')).toEqual(['note: unknown field']);
    const newEvent = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'e', namespace: 'n' }, eventTime: '2024-01-01T00:00:00.000000Z', note: 'z', involvedObject: {} };
    expect(messages(newEvent, 'unknown-field')).toEqual(['involvedObject: unknown field']);
  });
});

describe('unknown-field (strict)', () => {
  it('reports a misspelt field with a suggestion, at the field', () => {
    const d = edit(cleanDeployment(), (o) => {
      o.spec.replica = 3;
      o.spec.template.spec.containers[0].imagePullPolicyy = 'Always';
    });
    const located: string[] = [];
    const f = only(validateResources([res(d, { file: 'd.yaml', line: 1, locate: (p) => (located.push(p), 5) })], OPTS), 'unknown-field');
    expect(f.map((x) => [x.severity, x.message]).sort()).toEqual([
      ['error', 'spec.replica: unknown field (did you mean "replicas"?)'],
      ['error', 'spec.template.spec.containers[0].imagePullPolicyy: unknown field (did you mean "imagePullPolicy"?)'],
    ]);
    expect(located.sort()).toEqual(['/spec/replica', '/spec/template/spec/containers/0/imagePullPolicyy']);
  });

  it('gives no suggestion when nothing is close', () => {
    const d = edit(cleanDeployment(), (o) => (o.spec.template.spec.wibbleWobble = true));
    expect(messages(d, 'unknown-field')).toEqual(['spec.template.spec.wibbleWobble: unknown field']);
  });

  it('walks maps of objects, arrays and metadata, and leaves free-form maps alone', () => {
    const d = edit(cleanDeployment(), (o) => {
      o.metadata.annotation = { a: 'b' };
      o.metadata.labels['app.kubernetes.io/anything'] = 'ok';
      o.spec.template.spec.volumes = [{ name: 'c', configMap: { name: 'c', itemz: [] } }];
    });
    expect(messages(d, 'unknown-field')).toEqual([
      'metadata.annotation: unknown field (did you mean "annotations"?)',
      'spec.template.spec.volumes[0].configMap.itemz: unknown field (did you mean "items"?)',
    ]);
  });

  it('escapes keys in the pointer and quotes them in the message', () => {
    const d = edit(cleanDeployment(), (o) => (o.spec['app.kubernetes.io/name'] = 'web'));
    const located: string[] = [];
    const f = only(validateResources([res(d, { file: 'd.yaml', line: 1, locate: (p) => (located.push(p), 1) })], OPTS), 'unknown-field');
    expect(f.map((x) => x.message)).toEqual(['spec["app.kubernetes.io/name"]: unknown field']);
    expect(located).toEqual(['/spec/app.kubernetes.io~1name']);
  });

  it('is silent when strict is off', () => {
    const d = edit(cleanDeployment(), (o) => (o.spec.replica = 3));
    expect(validateResources([res(d)], lax)).toEqual([]);
  });
});

describe('unknown-kind', () => {
  it('warns once for a kind with no schema and no CRD', () => {
    const f = validateResources([res({ apiVersion: 'widgets.example.com/v1', kind: 'Widget', metadata: { name: 'r', namespace: 'flux' }, spec: { anything: 1 } })], OPTS);
    expect(f).toEqual([
      {
        severity: 'warning',
        rule: 'unknown-kind',
        message: 'widgets.example.com/v1 Widget: no schema known (not built into Kubernetes, and no CRD in the repository defines it)',
        file: null,
        line: null,
        resource: 'Widget/flux/r',
      },
    ]);
  });

  it('suggests the built-in kind that was probably meant, as an error of a built-in group', () => {
    const f = validateResources([res({ apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x' } })], OPTS);
    expect(f.map((x) => [x.rule, x.severity, x.message])).toEqual([['unknown-api-version', 'error', 'apps/v1 Deploymnet: unknown kind (did you mean "Deployment"?)']]);
  });

  it('does not fire for built-in kinds', () => {
    expect(rules(validateResources([res(cleanDeployment())], OPTS))).not.toContain('unknown-kind');
  });
});

describe('base64 fields (byte format)', () => {
  it('accepts the line-wrapped base64 kustomize writes for a binary file, in ConfigMap binaryData and Secret data', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ferry-byte-'));
    try {
      // Bytes that are not UTF-8, so kustomize puts them in binaryData; long enough to be wrapped.
      writeFileSync(path.join(dir, 'blob.bin'), Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 97 + 200) % 256)));
      writeFileSync(path.join(dir, 'kustomization.yaml'), 'configMapGenerator:\n  - name: blob\n    files: [blob.bin]\nsecretGenerator:\n  - name: blob\n    files: [blob.bin]\n');
      const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
      const objs = parseAllDocuments(out).map((d) => d.toJS() as Record<string, any>);
      const cm = objs.find((o) => o.kind === 'ConfigMap')!;
      const secret = objs.find((o) => o.kind === 'Secret')!;
      // The premise: kustomize really does wrap the value.
      expect(cm.binaryData['blob.bin']).toContain('\n');
      expect(secret.data['blob.bin']).toContain('\n');
      expect(validateResources(objs.map((o) => res(o)), OPTS)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('still rejects what is not base64', () => {
    for (const bad of ['abc', 'QUJD\n!!!!', 'QU JD']) {
      const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n' }, data: { k: bad } };
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' }, binaryData: { k: bad } };
      expect(messages(secret, 'schema'), bad).toEqual(['data.k: "***" is not a valid byte']);
      expect(messages(cm, 'schema'), bad).toHaveLength(1);
    }
  });
});

describe('unsubstituted Flux variables', () => {
  it('a placeholder in a typed field is a flux-unsubstituted info, not a schema error', () => {
    const d = edit(cleanDeployment(), (o) => {
      o.spec.replicas = '${REPLICAS:=2}';
      o.spec.template.spec.containers[0].resources.limits.memory = '${MEMORY_LIMIT}';
      o.spec.template.spec.containers[0].resources.requests.memory = '${MEMORY:-64}Mi';
      o.spec.template.spec.containers[0].image = 'registry.example.com/web:${VERSION}';
    });
    const f = validateResources([res(d)], OPTS);
    expect(f.map((x) => [x.rule, x.severity, x.message])).toEqual([
      ['flux-unsubstituted', 'info', 'spec.replicas: "${REPLICAS:=2}" is an unsubstituted Flux variable; the field is checked only once it is substituted'],
      ['flux-unsubstituted', 'info', 'spec.template.spec.containers[0].resources.limits.memory: "${MEMORY_LIMIT}" is an unsubstituted Flux variable; the field is checked only once it is substituted'],
      ['flux-unsubstituted', 'info', 'spec.template.spec.containers[0].resources.requests.memory: "${MEMORY:-64}Mi" is an unsubstituted Flux variable; the field is checked only once it is substituted'],
    ]);
    expect(validateResources([res(d)], { ...OPTS, rules: { 'flux-unsubstituted': 'off' } })).toEqual([]);
  });

  it('other wrong values are still schema errors', () => {
    for (const replicas of ['$REPLICAS', '${1BAD}', '{REPLICAS}', 'two']) {
      const d = edit(cleanDeployment(), (o) => (o.spec.replicas = replicas));
      expect(rules(validateResources([res(d)], OPTS)), replicas).toEqual(['schema']);
    }
  });
});
