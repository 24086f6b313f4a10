import { describe, expect, it } from 'vitest';
import { diffResources, MAX_EDIT_LENGTH } from '../../src/plan/diff.js';
import { identityOf } from '../../src/render/manifests.js';
import type { Resource } from '../../src/types.js';

function res(obj: Record<string, unknown>): Resource {
  return { id: identityOf(obj)!, object: obj, source: null };
}

const cm = (name: string, data: Record<string, string>, ns = 'app') =>
  res({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data });

describe('diffResources', () => {
  it('classifies added, changed, removed and drops unchanged', () => {
    const base = [cm('a', { k: '1' }), cm('b', { k: '1' }), cm('c', { k: '1' })];
    const head = [cm('a', { k: '1' }), cm('b', { k: '2' }), cm('d', { k: '1' })];
    const changes = diffResources(base, head);
    expect(changes.map((c) => `${c.action}:${c.name}`)).toEqual(['changed:b', 'removed:c', 'added:d']);
    const b = changes.find((c) => c.name === 'b')!;
    expect(b.diff).toContain('-  k: \'1\'');
    expect(b.diff).toContain('+  k: \'2\'');
    expect(b.diff).toMatch(/^--- a\/ConfigMap\/app\/b/m);
  });

  it('an added resource comes from /dev/null, a removed one goes to it', () => {
    const changes = diffResources([cm('gone', { k: '1' })], [cm('new', { k: '1' })]);
    const added = changes.find((c) => c.action === 'added')!.diff!;
    const removed = changes.find((c) => c.action === 'removed')!.diff!;
    expect(added.split('\n').slice(0, 3)).toEqual(['--- /dev/null', '+++ b/ConfigMap/app/new', '@@ -0,0 +1,7 @@']);
    expect(removed.split('\n').slice(0, 3)).toEqual(['--- a/ConfigMap/app/gone', '+++ /dev/null', '@@ -1,7 +0,0 @@']);
  });

  it('pairs by group, not version: apps/v1 ↔ apps/v1beta2 is a change', () => {
    const base = [res({ apiVersion: 'autoscaling/v2beta2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { maxReplicas: 2 } })];
    const head = [res({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { maxReplicas: 2 } })];
    const changes = diffResources(base, head);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.action).toBe('changed');
    expect(changes[0]!.apiVersion).toBe('autoscaling/v2');
  });

  it('keeps same-named resources in different namespaces apart', () => {
    const changes = diffResources([cm('x', { a: '1' }, 'one')], [cm('x', { a: '1' }, 'two')]);
    expect(changes.map((c) => `${c.action}:${c.namespace}`).sort()).toEqual(['added:two', 'removed:one']);
  });

  it('pairs a Kustomize-generated ConfigMap across a hash-suffix change', () => {
    const changes = diffResources([cm('web-config-72c7hgh6hd', { color: 'blue' })], [cm('web-config-8g5m2bk9tc', { color: 'red' })]);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.action).toBe('changed');
    expect(changes[0]!.name).toBe('web-config-8g5m2bk9tc');
    expect(changes[0]!.diff).toContain('+  color: red');
    expect(changes[0]!.diff).toMatch(/^--- a\/ConfigMap\/app\/web-config-72c7hgh6hd\n\+\+\+ b\/ConfigMap\/app\/web-config-8g5m2bk9tc$/m);
  });

  it('does not pair ordinary names that merely look hashed across kinds', () => {
    const base = [res({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web-72c7hgh6hd' }, spec: {} })];
    const head = [res({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web-8g5m2bk9tc' }, spec: {} })];
    expect(diffResources(base, head).map((c) => c.action).sort()).toEqual(['added', 'removed']);
  });

  it('orders output stably by kind, namespace and name regardless of input order', () => {
    const head = [cm('z', {}), cm('a', {}), res({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'b' } })];
    const one = diffResources([], head).map((c) => `${c.kind}/${c.name}`);
    const two = diffResources([], [...head].reverse()).map((c) => `${c.kind}/${c.name}`);
    expect(one).toEqual(['ConfigMap/a', 'ConfigMap/z', 'Service/b']);
    expect(two).toEqual(one);
  });

  it('degrades a pathological diff to "too large" instead of hanging', () => {
    const big = (p: string) => Object.fromEntries(Array.from({ length: MAX_EDIT_LENGTH * 2 }, (_, i) => [`k${i}`, `${p}${i}`]));
    const changes = diffResources([cm('huge', big('a'))], [cm('huge', big('b'))]);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.action).toBe('changed');
    expect(changes[0]!.diff).toBeNull();
    expect(changes[0]!.diffTooLarge).toBe(true);
  });
});

describe('Secret masking in diffs', () => {
  const secret = (data: Record<string, string>, stringData?: Record<string, string>) =>
    res({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'app' }, type: 'Opaque', data, ...(stringData ? { stringData } : {}) });

  it('shows which keys changed, were added or removed, never a value', () => {
    const before = secret({ user: Buffer.from('admin').toString('base64'), pass: Buffer.from('hunter2').toString('base64'), gone: Buffer.from('old-token').toString('base64') });
    const after = secret({ user: Buffer.from('admin').toString('base64'), pass: Buffer.from('correct-horse').toString('base64') }, { fresh: 'plain-new-secret' });
    const [c] = diffResources([before], [after]);
    const diff = c!.diff!;
    for (const v of ['admin', 'hunter2', 'correct-horse', 'old-token', 'plain-new-secret']) {
      expect(diff).not.toContain(v);
      expect(diff).not.toContain(Buffer.from(v).toString('base64'));
    }
    expect(diff).toContain("-  pass: '*** (before)'");
    expect(diff).toContain("+  pass: '*** (after)'");
    expect(diff).toContain('-  gone: ');
    expect(diff).toContain('+  fresh: ');
    expect(diff).toMatch(/^ {3}user: '\*\*\*'$/m);
  });

  it('treats stringData and data with the same content as unchanged', () => {
    const before = secret({ token: Buffer.from('abc').toString('base64') });
    const after = res({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'app' }, type: 'Opaque', stringData: { token: 'abc' } });
    expect(diffResources([before], [after])).toEqual([]);
  });
});

describe('duplicate identities', () => {
  it('pair by order, so a change to the second definition shows, with a note', () => {
    const base = [cm('x', { k: '1' }), cm('x', { k: '2' })];
    const head = [cm('x', { k: '1' }), cm('x', { k: '3' })];
    const changes = diffResources(base, head);
    expect(changes.map((c) => `${c.action}:${c.name}`)).toEqual(['changed:x']);
    expect(changes[0]!.diff).toContain("-  k: '2'\n+  k: '3'");
    expect(changes[0]!.note).toMatch(/^definition 2 of 2 /);
  });

  it('an extra definition at head is added, one gone at base is removed, each named by position', () => {
    const added = diffResources([cm('x', { k: '1' })], [cm('x', { k: '1' }), cm('x', { k: '9' })]);
    expect(added.map((c) => `${c.action}:${c.note}`)).toEqual([`added:${added[0]!.note}`]);
    expect(added[0]!.note).toMatch(/^definition 2 of 2 /);
    expect(added[0]!.diff).toContain("+  k: '9'");
    const removed = diffResources([cm('x', { k: '1' }), cm('x', { k: '2' }), cm('y', {})], [cm('x', { k: '1' })]);
    expect(removed.map((c) => `${c.action}:${c.name}`)).toEqual(['removed:x', 'removed:y']);
    expect(removed[0]!.note).toMatch(/^definition 2 of 2 /);
    expect(removed[1]!.note).toBeUndefined();
  });

  it('an identity defined once on each side carries no note', () => {
    expect(diffResources([cm('x', { k: '1' })], [cm('x', { k: '2' })])[0]!.note).toBeUndefined();
  });
});

describe('names with a generated random suffix', () => {
  // Rendered from one Helm template, as helm's `# Source:` line says.
  const pod = (name: string, image = 'busybox:1.36'): Resource => ({
    ...res({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'app', labels: { run: name } }, spec: { containers: [{ name: 't', image }] } }),
    source: { file: 'chart/templates/tests.yaml', line: null },
  });

  it('pair as one unchanged resource when only the name (and what repeats it) differs', () => {
    const base = [pod('shop-test-x7k2q'), pod('shop-conn-ab12c')];
    const head = [pod('shop-test-9fzq1'), pod('shop-conn-qq0pz')];
    expect(diffResources(base, head, { generatedNames: () => true })).toEqual([]);
  });

  it('a lone pair whose content changed is one change, noted', () => {
    const changes = diffResources([pod('shop-test-x7k2q')], [pod('shop-test-9fzq1', 'busybox:1.37')], { generatedNames: () => true });
    expect(changes.map((c) => `${c.action}:${c.name}`)).toEqual(['changed:shop-test-9fzq1']);
    expect(changes[0]!.note).toBe('name ends in a generated suffix: paired with shop-test-x7k2q');
    expect(changes[0]!.diff).toContain('+      image: busybox:1.37');
  });

  it('among several with one prefix, only equal content pairs', () => {
    const base = [pod('t-aaaaa', 'a:1'), pod('t-bbbbb', 'b:1')];
    const head = [pod('t-ccccc', 'b:1'), pod('t-ddddd', 'c:1')];
    const changes = diffResources(base, head, { generatedNames: () => true });
    expect(changes.map((c) => `${c.action}:${c.name}`)).toEqual(['removed:t-aaaaa', 'added:t-ddddd']);
  });

  it('a real rename from a template that calls no random function is shown (pg-primary → pg-replica)', () => {
    const generates = (file: string) => file === 'chart/templates/tests.yaml';
    const sts = (name: string): Resource => ({
      ...res({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name, namespace: 'app' }, spec: { serviceName: name } }),
      source: { file: 'chart/templates/statefulset.yaml', line: null },
    });
    expect(diffResources([sts('pg-primary')], [sts('pg-replica')], { generatedNames: generates }).map((c) => `${c.action}:${c.name}`).sort()).toEqual([
      'added:pg-replica',
      'removed:pg-primary',
    ]);
    expect(diffResources([pod('shop-test-x7k2q')], [pod('shop-test-9fzq1')], { generatedNames: generates })).toEqual([]);
  });

  it('is off unless asked for, and needs the same prefix, kind and suffix length', () => {
    expect(diffResources([pod('shop-test-x7k2q')], [pod('shop-test-9fzq1')]).map((c) => c.action).sort()).toEqual(['added', 'removed']);
    const other = [
      [pod('shop-test-x7k2q'), pod('shop-tset-9fzq1')],
      [pod('shop-test-x7k2q'), pod('shop-test-9fzq1aa')],
      [pod('shop-test-x7k2q'), res({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'shop-test-9fzq1', namespace: 'app' } })],
      [pod('web-blue'), pod('web-green')],
    ];
    const fromFile = (r: Resource, file: string): Resource => ({ ...r, source: { file, line: null } });
    other.push([fromFile(pod('shop-test-x7k2q'), 'charts/web/templates/a.yaml'), fromFile(pod('shop-test-9fzq1'), 'charts/web/templates/b.yaml')]);
    for (const [b, h] of other) expect(diffResources([b!], [h!], { generatedNames: () => true }).map((c) => c.action).sort()).toEqual(['added', 'removed']);
  });
});
