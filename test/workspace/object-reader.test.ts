import * as childProcess from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { plan } from '../../src/engine.js';
import { ObjectReader } from '../../src/workspace/object-reader.js';
import { Workspace } from '../../src/workspace/workspace.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

/** Every `git cat-file` process started, counted at the process boundary: long-lived ones, contents ones, and one-off reads. */
const catFiles: childProcess.ChildProcess[] = [];
let contentProcesses = 0;
let oneOffReads = 0;
vi.mock('node:child_process', async (importOriginal) => {
  const real = await importOriginal<typeof childProcess>();
  return {
    ...real,
    spawn: (file: string, args: readonly string[], ...rest: unknown[]) => {
      const child = (real.spawn as (...a: unknown[]) => childProcess.ChildProcess)(file, args, ...rest);
      if (file === 'git' && args.includes('cat-file')) catFiles.push(child);
      if (file === 'git' && args.includes('--batch')) contentProcesses++;
      return child;
    },
    execFileSync: (file: string, args: readonly string[], ...rest: unknown[]) => {
      if (file === 'git' && args.includes('cat-file')) oneOffReads++;
      return (real.execFileSync as (...a: unknown[]) => unknown)(file, args, ...rest);
    },
  };
});

const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

async function repoWith(files: Record<string, string | Buffer>): Promise<{ ws: Workspace; oid: (p: string) => string; sha: string; dir: string; r: TestRepo }> {
  const r = new TestRepo().write(files);
  repos.push(r);
  const sha = r.commit('one');
  const ws = await Workspace.open(r.dir, { cacheDir: tempDir() });
  const tree = await ws.openTree(sha);
  const oids = new Map([...tree.index].map(([p, e]) => [p, e.oid]));
  await tree.dispose();
  return { ws, oid: (p) => oids.get(p)!, sha, dir: r.dir, r };
}

describe('ObjectReader', () => {
  it('hands over each blob whole, across pipe chunks, empty ones included; missing ones are left out', async () => {
    const big = Buffer.alloc(300_000, 'x');
    big.write('start', 0);
    big.write('end', big.length - 3);
    const { ws, oid } = await repoWith({ 'big.yaml': big, 'empty.yaml': '', 'small.yaml': 'a: 1\n' });
    const reader = new ObjectReader(ws.gitDir);
    try {
      const got = new Map<string, Buffer>();
      const oids = ['big.yaml', 'empty.yaml', 'small.yaml'].map(oid);
      await reader.stream([...oids, oids[0]!], (o, data) => got.set(o, data));
      expect(got.get(oids[0]!)!.equals(big)).toBe(true);
      expect(got.get(oids[1]!)!.length).toBe(0);
      expect(got.get(oids[2]!)!.toString()).toBe('a: 1\n');
      const missing = '0'.repeat(40);
      expect([...(await reader.read([missing, oids[2]!])).keys()]).toEqual([oids[2]]);
      expect(await reader.sizes([oids[0]!, missing, oids[1]!])).toEqual(new Map([[oids[0], 300_000], [oids[1], 0]]));
    } finally {
      reader.close();
    }
  });

  it('answers requests made at once from one process each for contents and sizes, each its own', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 60; i++) files[`f${i}.yaml`] = `n: ${i}\n${'y'.repeat(i * 997)}\n`;
    const { ws, oid } = await repoWith(files);
    const reader = new ObjectReader(ws.gitDir);
    const before = catFiles.length;
    try {
      const names = Object.keys(files);
      const groups = [names.slice(0, 20), names.slice(20, 45), names.slice(45), names.slice(10, 30)];
      const results = await Promise.all([
        ...groups.map((g) => reader.read(g.map(oid))),
        reader.sizes(names.map(oid)),
      ]);
      groups.forEach((g, i) => {
        const got = results[i] as Map<string, Buffer>;
        expect(got.size).toBe(g.length);
        for (const p of g) expect(got.get(oid(p))!.toString()).toBe(files[p]);
      });
      const sizes = results[4] as Map<string, number>;
      for (const p of names) expect(sizes.get(oid(p))).toBe(Buffer.byteLength(files[p]!));
      expect(catFiles.length - before).toBe(2);
    } finally {
      reader.close();
    }
  });

  it("fails only the request whose handler throws; borrowed blobs share one buffer", async () => {
    // Over Node's 4 KiB pool slices, so two blobs share a buffer only when the reader lends one.
    const { ws, oid } = await repoWith({ 'a.yaml': 'a: 1\n', 'b.yaml': `b: 2\n${'#'.repeat(9000)}\n`, 'c.yaml': `c: 3\n${'#'.repeat(9000)}\n` });
    const reader = new ObjectReader(ws.gitDir);
    try {
      const failing = reader.stream([oid('a.yaml'), oid('b.yaml')], () => {
        throw new Error('handler broke');
      });
      const buffers: Array<{ buffer: ArrayBufferLike; offset: number }> = [];
      const texts: string[] = [];
      const borrowed = reader.stream([oid('b.yaml'), oid('c.yaml')], (_o, data) => {
        buffers.push({ buffer: data.buffer, offset: data.byteOffset });
        texts.push(data.toString().slice(0, 5));
      }, true);
      await expect(failing).rejects.toThrow('handler broke');
      await borrowed;
      expect(texts).toEqual(['b: 2\n', 'c: 3\n']);
      expect(buffers[0]!.buffer).toBe(buffers[1]!.buffer);
      expect(buffers[0]!.offset).toBe(buffers[1]!.offset);
      // Not lent: each blob its own.
      const owned: ArrayBufferLike[] = [];
      await reader.stream([oid('b.yaml'), oid('c.yaml')], (_o, data) => owned.push(data.buffer));
      expect(owned[0]).not.toBe(owned[1]);
      expect((await reader.read([oid('c.yaml')])).get(oid('c.yaml'))!.toString().slice(0, 5)).toBe('c: 3\n');
    } finally {
      reader.close();
    }
  });

  it('refuses what is not an object id, and a process that dies fails its requests; the next one starts anew', async () => {
    const { ws, oid } = await repoWith({ 'a.yaml': 'a: 1\n', 'big.yaml': 'z'.repeat(8 * 2 ** 20) });
    const reader = new ObjectReader(ws.gitDir);
    try {
      // A name with a newline would be a second request to git.
      await expect(reader.read([`${oid('a.yaml')}\nHEAD`])).rejects.toThrow(/not an object id/);
      await expect(reader.read(['HEAD'])).rejects.toThrow(/not an object id/);
      const dying = reader.read(Array.from({ length: 4 }, () => oid('big.yaml')).concat(oid('a.yaml'), oid('big.yaml')));
      catFiles[catFiles.length - 1]!.kill('SIGKILL');
      await expect(dying).rejects.toThrow(/git cat-file ended/);
      expect((await reader.read([oid('a.yaml')])).get(oid('a.yaml'))!.toString()).toBe('a: 1\n');
    } finally {
      reader.close();
    }
  });

  it('a closed reader refuses requests and starts no process (a read-ahead outliving its plan)', async () => {
    const { ws, oid } = await repoWith({ 'a.yaml': 'a: 1\n' });
    const reader = new ObjectReader(ws.gitDir);
    expect((await reader.read([oid('a.yaml')])).size).toBe(1);
    reader.close();
    const before = catFiles.length;
    await expect(reader.read([oid('a.yaml')])).rejects.toThrow(/closed/);
    await expect(reader.sizes([oid('a.yaml')])).rejects.toThrow(/closed/);
    expect(catFiles.length).toBe(before);
  });

  it('an idle reader left open does not keep Node running', () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const script = `
      import { ObjectReader } from ${JSON.stringify(path.resolve(here, '../../src/workspace/object-reader.ts'))};
      import { execFileSync } from 'node:child_process';
      const gitDir = process.argv[1];
      const oid = execFileSync('git', ['--git-dir', gitDir, 'rev-parse', 'HEAD:a.yaml']).toString().trim();
      const r = new ObjectReader(gitDir);
      const got = await r.read([oid]);
      console.log(got.get(oid).toString().trim());
    `;
    return repoWith({ 'a.yaml': 'a: 1\n' }).then(({ ws }) => {
      const out = childProcess.spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ws.gitDir], { encoding: 'utf8', timeout: 60_000 });
      expect(out.signal).toBeNull();
      expect(out.stderr).toBe('');
      expect(out.stdout.trim()).toBe('a: 1');
      expect(out.status).toBe(0);
    });
  });
});

describe('a plan reads the repository through two processes at most', () => {
  it('whatever the number of apps and read-ahead batches (each process started from a large Node process costs a page fault per page it writes after)', async () => {
    const files: Record<string, string> = {};
    for (let a = 0; a < 40; a++) {
      for (let f = 0; f < 3; f++) {
        files[`apps/app-${a}/f${f}.yaml`] = Array.from({ length: 20 }, (_, i) =>
          ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', `  name: cm-${f}-${i}`, 'data:', `  blob: "${'q'.repeat(3000)}"`].join('\n'),
        ).join('\n---\n') + '\n';
      }
    }
    const { sha, dir, r } = await repoWith(files);
    // Every app changes, so a plan reads all of them on both sides.
    for (let a = 0; a < 40; a++) r.write({ [`apps/app-${a}/f0.yaml`]: files[`apps/app-${a}/f0.yaml`]!.replaceAll('qqq', 'qqr') });
    const head = r.commit('two');
    // A 1 MiB blob store: the 7 MiB of apps are read ahead in many batches, dropped and read again.
    process.env.FERRY_BLOB_CACHE_MB = '1';
    const before = catFiles.length;
    const contentsBefore = contentProcesses;
    const oneOffBefore = oneOffReads;
    try {
      const validated = await plan({ repo: dir, base: sha, head: sha, cacheDir: tempDir() }, true);
      expect(validated.environments[0]!.apps.length).toBe(40);
      expect(validated.environments[0]!.apps.reduce((n, a) => n + (a.resources ?? 0), 0)).toBe(40 * 3 * 20);
      expect(catFiles.length - before).toBeGreaterThan(0);
      expect(catFiles.length - before).toBeLessThanOrEqual(2);
      expect(contentProcesses - contentsBefore).toBe(1);
      const planned = await plan({ repo: dir, base: sha, head, cacheDir: tempDir() });
      expect(planned.environments[0]!.apps.filter((a) => a.changes.some((c) => c.action === 'changed')).length).toBe(40);
      // Base and head share the plan's processes.
      expect(catFiles.length - before).toBeLessThanOrEqual(4);
      expect(contentProcesses - contentsBefore).toBe(2);
      expect(oneOffReads - oneOffBefore).toBe(0);
    } finally {
      delete process.env.FERRY_BLOB_CACHE_MB;
    }
    // Closed when the plan ends.
    await new Promise((r) => setTimeout(r, 50));
    for (const c of catFiles.slice(before)) {
      if (c.exitCode === null && c.signalCode === null) await new Promise((r) => c.once('exit', r));
    }
  });
});
