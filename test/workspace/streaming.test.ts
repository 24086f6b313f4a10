import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import { crdsInTree } from '../../src/plan/crds.js';
import { BlobStore } from '../../src/workspace/blobs.js';
import { Workspace } from '../../src/workspace/workspace.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));
afterEach(() => {
  delete process.env.FERRY_BLOB_CACHE_MB;
});

function repo(files: Record<string, string | Buffer>): { r: TestRepo; sha: string } {
  const r = new TestRepo().write(files);
  repos.push(r);
  return { r, sha: r.commit('one') };
}

describe('BlobStore', () => {
  it('keeps pinned blobs and drops the least recently used others past its budget', () => {
    const store = new BlobStore(10);
    store.pin('k', Buffer.alloc(50));
    store.put('a', Buffer.alloc(4));
    store.put('b', Buffer.alloc(4));
    expect(store.get('a')?.length).toBe(4); // now b is the oldest
    store.put('c', Buffer.alloc(4));
    expect(store.has('b')).toBe(false);
    expect(store.has('a')).toBe(true);
    expect(store.has('c')).toBe(true);
    expect(store.has('k')).toBe(true);
    // A blob over the whole budget is kept until the next one comes.
    store.put('big', Buffer.alloc(30));
    expect([store.has('a'), store.has('c'), store.has('big')]).toEqual([false, false, true]);
    store.put('d', Buffer.alloc(1));
    expect(store.has('big')).toBe(false);
    expect(store.get('k')?.length).toBe(50);
  });
});

describe('streaming reads of a commit', () => {
  it('scan hands every file over without keeping it; prefetch keeps within the budget; limits hold', async () => {
    const { r } = repo({ 'a.yaml': 'a: 1\n', 'b.yaml': 'b: 1\n', 'same.yaml': 'a: 1\n', 'huge.yaml': 'x'.repeat(3 * 2 ** 20) });
    const ws = await Workspace.open(r.dir, { cacheDir: tempDir() });
    const store = new BlobStore(2 ** 20);
    const limits = { maxBlobBytes: 2 ** 20, maxTreeBytes: 2 ** 30, maxRenderBytes: 2 ** 30, maxLinkedFiles: 10, maxRenderFiles: 100 };
    const tree = await ws.openTree(await ws.resolve('HEAD'), { blobs: store, limits });
    try {
      const seen: string[] = [];
      await tree.scan(['a.yaml', 'b.yaml', 'same.yaml', 'huge.yaml', 'missing.yaml'], (p, data) => seen.push(`${p}=${data.toString().trim()}`));
      expect(seen.sort()).toEqual(['a.yaml=a: 1', 'b.yaml=b: 1', 'same.yaml=a: 1']);
      const oid = (p: string) => tree.index.get(p)!.oid;
      expect(store.has(oid('a.yaml')) || store.has(oid('b.yaml'))).toBe(false);
      await tree.prefetch(['a.yaml', 'huge.yaml']);
      expect(store.has(oid('a.yaml'))).toBe(true);
      expect(store.has(oid('huge.yaml'))).toBe(false);
      expect(() => tree.read('huge.yaml')).toThrow(/Ferry reads files up to/);
      // A blob dropped from the store is read again from git.
      expect(tree.read('b.yaml').toString()).toBe('b: 1\n');
    } finally {
      await tree.dispose();
    }
  });

  it('counts a blob read twice once against the commit read limit', async () => {
    const { r } = repo({ 'a.yaml': 'a'.repeat(600), 'b.yaml': 'b'.repeat(600) });
    const ws = await Workspace.open(r.dir, { cacheDir: tempDir() });
    // A store that holds nothing: every read goes back to git.
    const limits = { maxBlobBytes: 1000, maxTreeBytes: 1000, maxRenderBytes: 2000, maxLinkedFiles: 10, maxRenderFiles: 100 };
    const tree = await ws.openTree(await ws.resolve('HEAD'), { blobs: new BlobStore(1), limits });
    try {
      await tree.prefetch(['a.yaml']);
      await tree.scan(['a.yaml'], () => undefined);
      expect(tree.read('a.yaml').length).toBe(600);
      expect(tree.read('a.yaml').length).toBe(600);
      expect(() => tree.read('b.yaml')).toThrow(/limit is/);
    } finally {
      await tree.dispose();
    }
  });

  it('the definition listed last wins whatever order CRD files are read in', async () => {
    const crd = (type: string) =>
      [
        'apiVersion: apiextensions.k8s.io/v1', 'kind: CustomResourceDefinition', 'metadata:', '  name: widgets.example.com', 'spec:',
        '  group: example.com', '  names:', '    kind: Widget', '    plural: widgets', '  scope: Namespaced', '  versions:',
        '    - name: v1', '      served: true', '      storage: true', '      schema:', '        openAPIV3Schema:', '          type: object',
        '          properties:', '            spec:', '              type: object', '              properties:', '                size:', `                  type: ${type}`, '',
      ].join('\n');
    const { r } = repo({ 'a/crd.yaml': crd('string'), 'b/crd.yaml': crd('integer') });
    const ws = await Workspace.open(r.dir, { cacheDir: tempDir() });
    const tree = await ws.openTree(await ws.resolve('HEAD'));
    try {
      // Held in memory, so handed over before a/crd.yaml, which is streamed.
      await tree.preload(['b/crd.yaml']);
      const schemas = await crdsInTree(tree);
      const v = schemas.versions.get('example.com/v1 Widget')!;
      expect(JSON.stringify(v.schema)).toContain('"integer"');
    } finally {
      await tree.dispose();
    }
  });

  it('validates a commit larger than the blob store the same as with room to spare', async () => {
    // Apps of about 300 KB each, a 1 MiB store: blobs are read ahead, dropped, and read again.
    const files: Record<string, string> = {};
    for (let a = 0; a < 8; a++) {
      for (let f = 0; f < 3; f++) {
        const docs = Array.from({ length: 40 }, (_, i) =>
          [
            'apiVersion: v1', 'kind: ConfigMap', 'metadata:', `  name: cm-${f}-${i}`, 'data:', `  blob: "${'z'.repeat(2400)}"`,
            ...(i === 7 ? ['  bad: 12', 'unknownTop: 1'] : []),
          ].join('\n'),
        );
        files[`apps/app-${a}/f${f}.yaml`] = docs.join('\n---\n') + '\n';
      }
    }
    files['apps/app-3/list.json'] = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 'x' }] } }] });
    const { r, sha } = repo(files);
    const run = () => plan({ repo: r.dir, base: sha, head: sha, cacheDir: tempDir() }, true);
    const roomy = await run();
    process.env.FERRY_BLOB_CACHE_MB = '1';
    const tight = await run();
    expect(tight).toEqual(roomy);
    const apps = roomy.environments.flatMap((e) => e.apps);
    expect(apps.map((a) => a.resources)).toEqual([120, 120, 120, 121, 120, 120, 120, 120]);
    const findings = apps.flatMap((a) => a.findings.filter((f) => f.severity === 'error'));
    // Every file's bad document is found, at its line.
    expect(findings.filter((f) => f.rule === 'unknown-field' && f.line !== null)).toHaveLength(24);
    expect(findings.some((f) => f.file === 'apps/app-3/list.json' && f.rule === 'schema')).toBe(true);
  });
});
