import { describe, expect, it } from 'vitest';
import { RULES, validateResources } from '../../src/validate/index.js';
import { findPodSpec } from '../../src/validate/podspec.js';
import { unpinnedImage } from '../../src/validate/rules.js';
import { OPTS, cleanDeployment, edit, only, res, rules } from './helpers.js';

const container = '/spec/template/spec/containers/0';

describe('rule catalogue', () => {
  it('lists every rule id once with the documented default level', () => {
    const levels = Object.fromEntries(RULES.map((r) => [r.id, r.defaultLevel]));
    expect(RULES.length).toBe(new Set(RULES.map((r) => r.id)).size);
    expect(levels).toEqual({
      schema: 'error',
      'unknown-field': 'error',
      'unknown-kind': 'warning',
      'unknown-api-version': 'error',
      'schema-version': 'warning',
      'flux-unsubstituted': 'info',
      'deprecated-api': 'warning',
      'removed-api': 'error',
      'duplicate-resource': 'error',
      'no-latest-tag': 'error',
      'resource-requests': 'warning',
      'resource-limits': 'warning',
      privileged: 'error',
      'privilege-escalation': 'warning',
      'host-network': 'error',
      'host-pid': 'error',
      'host-ipc': 'error',
      'host-path': 'error',
    });
    for (const r of RULES) expect(r.description.length).toBeGreaterThan(10);
  });
});

describe('pod policy rules', () => {
  it('finds nothing on a clean Deployment', () => {
    expect(validateResources([res(cleanDeployment())], OPTS)).toEqual([]);
  });

  it('no-latest-tag: :latest and untagged images, not pinned ones', () => {
    const latest = edit(cleanDeployment(), (d) => (d.spec.template.spec.containers[0].image = 'nginx:latest'));
    const untagged = edit(cleanDeployment(), (d) => (d.spec.template.spec.containers[0].image = 'docker.io/library/nginx'));
    const f1 = only(validateResources([res(latest)], OPTS), 'no-latest-tag');
    expect(f1).toHaveLength(1);
    expect(f1[0]!.message).toBe('container "web" image "nginx:latest" uses the :latest tag');
    expect(f1[0]!.severity).toBe('error');
    const f2 = only(validateResources([res(untagged)], OPTS), 'no-latest-tag');
    expect(f2[0]!.message).toContain('"docker.io/library/nginx" has no tag');
  });

  it('no-latest-tag: image reference parsing', () => {
    expect(unpinnedImage('nginx')).toBe('untagged');
    expect(unpinnedImage('nginx:latest')).toBe('latest');
    expect(unpinnedImage('registry:5000/team/app')).toBe('untagged');
    expect(unpinnedImage('registry:5000/team/app:latest')).toBe('latest');
    expect(unpinnedImage('registry:5000/team/app:1.0')).toBeNull();
    expect(unpinnedImage('nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef')).toBeNull();
    expect(unpinnedImage('nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef')).toBeNull();
    expect(unpinnedImage('nginx:latest-alpine')).toBeNull();
  });

  it('no-latest-tag: init and ephemeral containers too', () => {
    const d = edit(cleanDeployment(), (o) => {
      o.spec.template.spec.initContainers = [{ name: 'migrate', image: 'tool', resources: o.spec.template.spec.containers[0].resources }];
      o.spec.template.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox:latest' }];
    });
    const msgs = only(validateResources([res(d)], OPTS), 'no-latest-tag').map((f) => f.message);
    expect(msgs).toEqual(['init container "migrate" image "tool" has no tag, so it means :latest', 'ephemeral container "debug" image "busybox:latest" uses the :latest tag']);
  });

  it('resource-requests and resource-limits name what is missing', () => {
    const d = edit(cleanDeployment(), (o) => {
      o.spec.template.spec.containers[0].resources = { requests: { cpu: '100m' } };
    });
    const f = validateResources([res(d)], OPTS);
    expect(only(f, 'resource-requests').map((x) => [x.message, x.severity])).toEqual([['container "web" has no memory request', 'warning']]);
    expect(only(f, 'resource-limits').map((x) => x.message)).toEqual(['container "web" has no cpu or memory limits']);
  });

  it('resource rules do not fire when both are set', () => {
    const f = validateResources([res(cleanDeployment())], OPTS);
    expect(rules(f)).not.toContain('resource-requests');
    expect(rules(f)).not.toContain('resource-limits');
  });

  it('privileged and privilege-escalation', () => {
    const d = edit(cleanDeployment(), (o) => {
      o.spec.template.spec.containers[0].securityContext = { privileged: true, allowPrivilegeEscalation: true };
    });
    const f = validateResources([res(d)], OPTS);
    expect(only(f, 'privileged').map((x) => [x.severity, x.message])).toEqual([['error', 'container "web" runs privileged (securityContext.privileged: true)']]);
    expect(only(f, 'privilege-escalation').map((x) => x.severity)).toEqual(['warning']);
  });

  it('host-network, host-pid, host-ipc and host-path', () => {
    const d = edit(cleanDeployment(), (o) => {
      Object.assign(o.spec.template.spec, { hostNetwork: true, hostPID: true, hostIPC: true });
      o.spec.template.spec.volumes = [{ name: 'sock', hostPath: { path: '/var/run/docker.sock' } }, { name: 'tmp', emptyDir: {} }];
    });
    const f = validateResources([res(d)], OPTS);
    expect(rules(f).sort()).toEqual(['host-ipc', 'host-network', 'host-path', 'host-pid']);
    expect(only(f, 'host-path')[0]!.message).toBe('volume "sock" mounts host path "/var/run/docker.sock"');
    expect(only(f, 'host-network')[0]!.message).toBe('pod shares the host network (hostNetwork: true)');
  });

  it('host-* rules do not fire when the flags are false', () => {
    const d = edit(cleanDeployment(), (o) => Object.assign(o.spec.template.spec, { hostNetwork: false, hostPID: false, hostIPC: false }));
    expect(validateResources([res(d)], OPTS)).toEqual([]);
  });

  it('reports the line of the offending value through source.locate', () => {
    const d = edit(cleanDeployment(), (o) => (o.spec.template.spec.containers[0].image = 'nginx:latest'));
    const asked: string[] = [];
    const source = { file: 'apps/web/deploy.yaml', line: 3, locate: (p: string) => (asked.push(p), p === `${container}/image` ? 42 : null) };
    const [f] = validateResources([res(d, source)], OPTS);
    expect(f).toMatchObject({ file: 'apps/web/deploy.yaml', line: 42, resource: 'Deployment/prod/web', rule: 'no-latest-tag' });
    expect(asked).toEqual([`${container}/image`]);
  });

  it('falls back to the document line, then to null', () => {
    const d = edit(cleanDeployment(), (o) => (o.spec.template.spec.containers[0].image = 'nginx:latest'));
    expect(validateResources([res(d, { file: 'a.yaml', line: 7, locate: () => null })], OPTS)[0]!.line).toBe(7);
    expect(validateResources([res(d, { file: 'a.yaml', line: 7 })], OPTS)[0]!.line).toBe(7);
    expect(validateResources([res(d)], OPTS)[0]).toMatchObject({ file: null, line: null });
  });
});

describe('every pod-bearing kind', () => {
  const pod = { containers: [{ name: 'app', image: 'app:latest' }] };
  const template = { metadata: { labels: { app: 'a' } }, spec: pod };
  const cases: Array<[string, string, Record<string, unknown>, string]> = [
    ['v1', 'Pod', { spec: pod }, '/spec'],
    ['apps/v1', 'Deployment', { spec: { selector: { matchLabels: { app: 'a' } }, template } }, '/spec/template/spec'],
    ['apps/v1', 'StatefulSet', { spec: { selector: { matchLabels: { app: 'a' } }, serviceName: 'a', template } }, '/spec/template/spec'],
    ['apps/v1', 'DaemonSet', { spec: { selector: { matchLabels: { app: 'a' } }, template } }, '/spec/template/spec'],
    ['apps/v1', 'ReplicaSet', { spec: { selector: { matchLabels: { app: 'a' } }, template } }, '/spec/template/spec'],
    ['batch/v1', 'Job', { spec: { template } }, '/spec/template/spec'],
    ['batch/v1', 'CronJob', { spec: { schedule: '* * * * *', jobTemplate: { spec: { template } } } }, '/spec/jobTemplate/spec/template/spec'],
    ['v1', 'ReplicationController', { spec: { selector: { app: 'a' }, template } }, '/spec/template/spec'],
    ['v1', 'PodTemplate', { template }, '/template/spec'],
  ];
  for (const [apiVersion, kind, body, pointer] of cases) {
    it(`${kind}: finds the pod spec at ${pointer} and applies the image rule`, () => {
      const obj = { apiVersion, kind, metadata: { name: 'a', namespace: 'ns' }, ...structuredClone(body) };
      expect(findPodSpec(apiVersion, kind, obj)?.pointer).toBe(pointer);
      const located: string[] = [];
      const f = validateResources([res(obj, { file: 'f.yaml', line: 1, locate: (p) => (located.push(p), 1) })], OPTS);
      expect(only(f, 'no-latest-tag')).toHaveLength(1);
      expect(only(f, 'schema')).toEqual([]);
      expect(located).toContain(`${pointer}/containers/0/image`);
    });
  }

  it('does not treat a custom resource named like a workload as a pod', () => {
    const obj = { apiVersion: 'example.com/v1', kind: 'Deployment', metadata: { name: 'a' }, spec: { template: { spec: pod } } };
    expect(findPodSpec('example.com/v1', 'Deployment', obj)).toBeNull();
  });
});
