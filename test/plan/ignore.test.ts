import { describe, expect, it } from 'vitest';
import { diffResources } from '../../src/plan/diff.js';
import { withoutIgnored } from '../../src/plan/ignore.js';
import { identityOf } from '../../src/render/manifests.js';
import type { Resource } from '../../src/types.js';

function res(obj: Record<string, unknown>): Resource {
  return { id: identityOf(obj)!, object: obj, source: null };
}

const secret = (name: string, ca: string, ns = 'app') =>
  res({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns, annotations: { 'checksum/config': ca } }, data: { 'ca.crt': ca, 'tls.key': ca, keep: 'same' } });

describe('diff.ignore', () => {
  it('drops the named paths on both sides, so a regenerated certificate is no change', () => {
    const rules = [{ kind: 'Secret', paths: ['/data/ca.crt', '/data/tls.key', '/metadata/annotations/checksum~1config'] }];
    const base = [secret('tls', 'AAA')];
    const head = [secret('tls', 'BBB')];
    expect(diffResources(base, head)).toHaveLength(1);
    expect(diffResources(withoutIgnored(base, rules), withoutIgnored(head, rules))).toEqual([]);
  });

  it('leaves the resources themselves alone: validation still sees every field', () => {
    const r = secret('tls', 'AAA');
    const [out] = withoutIgnored([r], [{ paths: ['/data/ca.crt'] }]);
    expect(out!.object.data).toEqual({ 'tls.key': 'AAA', keep: 'same' });
    expect((r.object.data as Record<string, string>)['ca.crt']).toBe('AAA');
  });

  it('filters by kind, namespace and name (exact or prefix*)', () => {
    const all = [secret('tls', 'A'), secret('tls-2', 'A'), secret('other', 'A'), secret('tls', 'A', 'prod')];
    const kept = (rule: object) => withoutIgnored(all, [{ ...rule, paths: ['/data/ca.crt'] }]).map((r) => 'ca.crt' in (r.object.data as object));
    expect(kept({ kind: 'ConfigMap' })).toEqual([true, true, true, true]);
    expect(kept({ kind: 'Secret', name: 'tls' })).toEqual([false, true, true, false]);
    expect(kept({ name: 'tls*' })).toEqual([false, false, true, false]);
    expect(kept({ namespace: 'prod' })).toEqual([true, true, true, false]);
  });

  it('a * segment matches every key or list item; missing paths are no error', () => {
    const dep = res({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w' }, spec: { template: { spec: { containers: [{ name: 'a', env: [1] }, { name: 'b', env: [2] }] } } } });
    const [out] = withoutIgnored([dep], [{ paths: ['/spec/template/spec/containers/*/env', '/nope/deeper', '/metadata/labels/x'] }]);
    expect(out!.object.spec).toEqual({ template: { spec: { containers: [{ name: 'a' }, { name: 'b' }] } } });
    const [arr] = withoutIgnored([dep], [{ paths: ['/spec/template/spec/containers/0'] }]);
    expect(((arr!.object.spec as any).template.spec.containers as unknown[])).toEqual([{ name: 'b', env: [2] }]); // eslint-disable-line @typescript-eslint/no-explicit-any
  });
});
