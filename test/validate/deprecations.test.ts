import { describe, expect, it } from 'vitest';
import { DEPRECATIONS, apiStatus, minorOf } from '../../src/validate/deprecations.js';
import { validateResources } from '../../src/validate/index.js';
import { OPTS, cleanDeployment, edit, only, res, rules } from './helpers.js';

const at = (version: string) => ({ ...OPTS, kubernetesVersion: version });

describe('deprecation table', () => {
  it('covers the APIs of the migration guide', () => {
    const listed = new Set(DEPRECATIONS.flatMap((d) => d.kinds.map((k) => `${d.apiVersion} ${k}`)));
    const required = [
      'extensions/v1beta1 Deployment', 'extensions/v1beta1 DaemonSet', 'extensions/v1beta1 ReplicaSet', 'extensions/v1beta1 Ingress',
      'extensions/v1beta1 NetworkPolicy', 'extensions/v1beta1 PodSecurityPolicy', 'apps/v1beta1 Deployment', 'apps/v1beta2 DaemonSet',
      'networking.k8s.io/v1beta1 Ingress', 'networking.k8s.io/v1beta1 IngressClass', 'policy/v1beta1 PodDisruptionBudget',
      'policy/v1beta1 PodSecurityPolicy', 'batch/v1beta1 CronJob', 'autoscaling/v2beta1 HorizontalPodAutoscaler',
      'autoscaling/v2beta2 HorizontalPodAutoscaler', 'rbac.authorization.k8s.io/v1beta1 ClusterRole',
      'admissionregistration.k8s.io/v1beta1 ValidatingWebhookConfiguration', 'apiextensions.k8s.io/v1beta1 CustomResourceDefinition',
      'storage.k8s.io/v1beta1 CSIStorageCapacity', 'storage.k8s.io/v1beta1 CSIDriver', 'storage.k8s.io/v1beta1 CSINode',
      'storage.k8s.io/v1beta1 StorageClass', 'storage.k8s.io/v1beta1 VolumeAttachment', 'scheduling.k8s.io/v1beta1 PriorityClass',
      'coordination.k8s.io/v1beta1 Lease', 'discovery.k8s.io/v1beta1 EndpointSlice', 'events.k8s.io/v1beta1 Event',
      'flowcontrol.apiserver.k8s.io/v1beta1 FlowSchema', 'flowcontrol.apiserver.k8s.io/v1beta2 FlowSchema',
      'flowcontrol.apiserver.k8s.io/v1beta3 PriorityLevelConfiguration', 'certificates.k8s.io/v1beta1 CertificateSigningRequest',
      'node.k8s.io/v1beta1 RuntimeClass',
    ];
    for (const r of required) expect(listed, r).toContain(r);
    for (const d of DEPRECATIONS) {
      if (d.deprecatedIn && d.removedIn) expect(minorOf(d.deprecatedIn)!).toBeLessThan(minorOf(d.removedIn)!);
    }
  });

  it('parses target versions', () => {
    expect(minorOf('1.31')).toBe(31);
    expect(minorOf('v1.22.3')).toBe(22);
    expect(minorOf('latest')).toBeNull();
  });

  it('knows when each API was deprecated and removed', () => {
    expect(apiStatus('batch/v1beta1', 'CronJob', '1.20')).toBeNull();
    expect(apiStatus('batch/v1beta1', 'CronJob', '1.21')?.rule).toBe('deprecated-api');
    expect(apiStatus('batch/v1beta1', 'CronJob', '1.24')?.rule).toBe('deprecated-api');
    expect(apiStatus('batch/v1beta1', 'CronJob', '1.25')?.rule).toBe('removed-api');
    expect(apiStatus('batch/v1', 'CronJob', '1.31')).toBeNull();
    expect(apiStatus('flowcontrol.apiserver.k8s.io/v1beta3', 'FlowSchema', '1.31')?.rule).toBe('deprecated-api');
    expect(apiStatus('flowcontrol.apiserver.k8s.io/v1beta3', 'FlowSchema', '1.32')?.rule).toBe('removed-api');
  });

  it('names the replacement served at the target version', () => {
    expect(apiStatus('flowcontrol.apiserver.k8s.io/v1beta1', 'FlowSchema', '1.27')?.message).toBe(
      'flowcontrol.apiserver.k8s.io/v1beta1 FlowSchema was removed in Kubernetes 1.26; use flowcontrol.apiserver.k8s.io/v1beta3',
    );
    expect(apiStatus('flowcontrol.apiserver.k8s.io/v1beta1', 'FlowSchema', '1.31')?.message).toContain('use flowcontrol.apiserver.k8s.io/v1');
    expect(apiStatus('policy/v1beta1', 'PodSecurityPolicy', '1.31')?.message).toContain('no replacement');
  });
});

describe('deprecated-api and removed-api findings', () => {
  it('removed-api names the version and replacement, once, without schema or unknown-kind noise', () => {
    const ingress = { apiVersion: 'extensions/v1beta1', kind: 'Ingress', metadata: { name: 'i', namespace: 'n' }, spec: { backend: { serviceName: 5, servicePort: 80 }, bogus: true } };
    const f = validateResources([res(ingress)], OPTS);
    expect(f.map((x) => [x.rule, x.severity, x.message])).toEqual([
      ['removed-api', 'error', 'extensions/v1beta1 Ingress was removed in Kubernetes 1.22; use networking.k8s.io/v1'],
    ]);
    // Before the removal the same object is validated normally.
    expect(validateResources([res(ingress)], at('1.21')).map((x) => [x.rule, x.message])).toEqual([
      ['deprecated-api', 'extensions/v1beta1 Ingress is deprecated since Kubernetes 1.14 and will be removed in 1.22; use networking.k8s.io/v1'],
      ['schema', 'spec.backend.serviceName: expected string, got integer'],
    ]);
  });

  it('removed-api still lets pod policies speak', () => {
    const d = edit(cleanDeployment(), (o) => {
      o.apiVersion = 'apps/v1beta2';
      o.spec.template.spec.containers[0].image = 'nginx:latest';
    });
    expect(rules(validateResources([res(d)], OPTS)).sort()).toEqual(['no-latest-tag', 'removed-api']);
  });

  it('deprecated-api warns and validation carries on', () => {
    const cron = { apiVersion: 'batch/v1beta1', kind: 'CronJob', metadata: { name: 'c' }, spec: { schedule: '@daily', jobTemplate: { spec: { template: { spec: { containers: [] } } } }, suspend: 'yes' } };
    const f = validateResources([res(cron)], at('1.23'));
    expect(only(f, 'deprecated-api').map((x) => [x.severity, x.message])).toEqual([
      ['warning', 'batch/v1beta1 CronJob is deprecated since Kubernetes 1.21 and will be removed in 1.25; use batch/v1'],
    ]);
    expect(only(f, 'schema').map((x) => x.message)).toEqual(['spec.suspend: expected boolean, got string']);
    expect(rules(validateResources([res(cron)], at('1.20')))).not.toContain('deprecated-api');
  });

  it('points at apiVersion', () => {
    const pdb = { apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: { name: 'p' }, spec: { minAvailable: 1 } };
    const asked: string[] = [];
    validateResources([res(pdb, { file: 'p.yaml', line: 1, locate: (p) => (asked.push(p), 2) })], OPTS);
    expect(asked).toEqual(['/apiVersion']);
  });

  it('does not fire for current APIs', () => {
    const f = validateResources([res(cleanDeployment())], at('1.33'));
    expect(rules(f)).toEqual([]);
  });
});
