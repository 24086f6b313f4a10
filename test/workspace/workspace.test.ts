import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GitError, redact } from '../../src/workspace/git.js';
import { Workspace } from '../../src/workspace/workspace.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));

function bareRemote(): { repo: TestRepo; bare: string; first: string } {
  const repo = new TestRepo().write({ 'a.yaml': 'a: 1\n', 'dir/b.yaml': 'b: 1\n' });
  const first = repo.commit('one');
  const bare = path.join(tempDir('ferry-bare-'), 'remote.git');
  repo.git('clone', '--quiet', '--bare', repo.dir, bare);
  repo.git('remote', 'add', 'origin', bare);
  cleanups.push(() => repo.cleanup());
  return { repo, bare, first };
}

describe('Workspace', () => {
  it('firstFile reads the first present of several paths without listing the tree', async () => {
    const { repo, first } = bareRemote();
    const ws = await Workspace.open(repo.dir, { cacheDir: tempDir('ferry-cache-') });
    expect(await ws.firstFile(first, ['missing.yaml', 'dir/b.yaml', 'a.yaml'])).toEqual({ path: 'dir/b.yaml', data: Buffer.from('b: 1\n') });
    expect(await ws.firstFile(first, ['missing.yaml', 'dir'])).toBeNull();
  });

  it('mirrors a remote once and fetches only new commits afterwards', async () => {
    const { repo, bare, first } = bareRemote();
    const cacheDir = tempDir('ferry-cache-');
    const ws = await Workspace.open(bare, { cacheDir });
    await ws.fetch();
    expect(await ws.resolve('main')).toBe(first);
    expect(ws.gitDir.startsWith(cacheDir)).toBe(true);

    repo.write({ 'a.yaml': 'a: 2\n' });
    const second = repo.commit('two');
    repo.git('push', '--quiet', 'origin', 'main');
    const again = await Workspace.open(bare, { cacheDir });
    expect(again.gitDir).toBe(ws.gitDir);
    await again.fetch();
    expect(await again.resolve('main')).toBe(second);
    expect(await again.changedFiles(first, second)).toEqual(['a.yaml']);
  });

  it('reads a commit lazily and writes only the files asked for into a private folder', async () => {
    const { bare, first } = bareRemote();
    const ws = await Workspace.open(bare, { cacheDir: tempDir() });
    await ws.fetch();
    const [t1, t2] = await Promise.all([ws.openTree(first), ws.openTree(first)]);
    expect(t1.dir).not.toBe(t2.dir);
    expect([...t1.index.keys()].sort()).toEqual(['a.yaml', 'dir/b.yaml']);
    expect(t1.read('dir/b.yaml').toString()).toBe('b: 1\n');
    await t1.materialize(await t1.expand(['dir/b.yaml']));
    expect(readFileSync(path.join(t1.dir, 'dir/b.yaml'), 'utf8')).toBe('b: 1\n');
    expect(existsSync(path.join(t1.dir, 'a.yaml'))).toBe(false);
    await t1.dispose();
    expect(existsSync(t1.dir)).toBe(false);
    await t2.dispose();
  });

  it('writes symlinks inside the repository as copies and refuses ones that leave it', async () => {
    const repo = new TestRepo().write({ 'real.yaml': 'x: 1\n', 'shared/a.yaml': 'a: 1\n', 'shared/sub/b.yaml': 'b: 1\n' });
    cleanups.push(() => repo.cleanup());
    symlinkSync('real.yaml', path.join(repo.dir, 'inside.yaml'));
    symlinkSync('/etc/passwd', path.join(repo.dir, 'outside.yaml'));
    symlinkSync('../../../../../etc', path.join(repo.dir, 'up'));
    mkdirSync(path.join(repo.dir, 'app'));
    symlinkSync('../shared', path.join(repo.dir, 'app/shared'));
    const sha = repo.commit('links');
    const ws = await Workspace.open(repo.dir, { cacheDir: tempDir() });
    const tree = await ws.openTree(sha);
    const plan = await tree.expand(['real.yaml', 'inside.yaml', 'outside.yaml', 'up', 'app/shared']);
    expect(plan.problems.map((e) => [e.path, e.rule]).sort()).toEqual([['outside.yaml', 'path-escape'], ['up', 'path-escape']]);
    await tree.materialize(plan);
    expect(readFileSync(path.join(tree.dir, 'inside.yaml'), 'utf8')).toBe('x: 1\n');
    expect(lstatSync(path.join(tree.dir, 'inside.yaml')).isSymbolicLink()).toBe(false);
    expect(readFileSync(path.join(tree.dir, 'app/shared/sub/b.yaml'), 'utf8')).toBe('b: 1\n');
    expect(lstatSync(path.join(tree.dir, 'app/shared')).isSymbolicLink()).toBe(false);
    expect(existsSync(path.join(tree.dir, 'outside.yaml'))).toBe(false);
    await tree.dispose();
  });

  it('uses a local checkout in place and names a missing ref', async () => {
    const { repo } = bareRemote();
    const ws = await Workspace.open(repo.dir, { cacheDir: tempDir() });
    expect(ws.gitDir).toBe(path.join(repo.dir, '.git'));
    await expect(ws.resolve('nope')).rejects.toThrow(/ref "nope" does not exist/);
    await expect(ws.resolve('--output=/tmp/x')).rejects.toBeInstanceOf(GitError);
  });

  it('sends the auth header to the server, never in an error message', async () => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(String(req.headers.authorization));
      res.statusCode = 500;
      res.end('nope');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const ws = await Workspace.open(`http://127.0.0.1:${port}/owner/repo.git`, {
        cacheDir: tempDir(),
        auth: { extraHeader: 'Authorization: Basic c2VjcmV0LXRva2Vu' },
      });
      const err = await ws.fetch().then(() => null, (e: Error) => e);
      expect(seen).toContain('Basic c2VjcmV0LXRva2Vu');
      expect(err).toBeInstanceOf(GitError);
      expect(err!.message).toMatch(/git fetch failed/);
      expect(err!.message).not.toContain('c2VjcmV0LXRva2Vu');
    } finally {
      server.close();
    }
  });

  it('redacts credentials in URLs and headers', () => {
    expect(redact('fatal: unable to access https://x-access-token:ghs_abc@github.com/o/r.git')).toBe(
      'fatal: unable to access https://***@github.com/o/r.git',
    );
    expect(redact('Authorization: Bearer ghs_abc')).toBe('Authorization: ***');
    // A request dumped as JSON into an error (nock, some HTTP clients do this).
    expect(redact('{"authorization": "token secret-1", "private-token": "secret-2"}')).toBe('{"authorization": "***", "private-token": "***"}');
    // Known token shapes anywhere.
    expect(redact('token ghs_installationtoken1234567890 and glpat-abcdefghijklmnop')).toBe('token *** and ***');
  });
});

describe('Workspace.commitChanges', () => {
  it('feeds git NUL-separated records and refuses paths with control characters', async () => {
    const repo = new TestRepo().write({ 'a.yaml': 'a: 1\n' });
    cleanups.push(() => repo.cleanup());
    const first = repo.commit('one');
    const ws = await Workspace.open(repo.dir, { cacheDir: tempDir() });
    const blob = (await ws.listTree(first)).get('a.yaml')!;
    const who = { name: 't', email: 't@example.invalid' };
    // Spaces, quotes and non-ASCII are fine: with -z, each lands as exactly one path.
    const name = 'dir/odd "name" — 100644 x.yaml';
    const odd = await ws.commitChanges(first, [{ path: name, blob }], 'odd', who);
    expect([...(await ws.listTree(odd)).keys()].sort()).toEqual(['a.yaml', name]);
    const forged = `x\n100644 ${blob.oid}\t.github/workflows/pwn.yml`;
    await expect(ws.commitChanges(first, [{ path: forged, blob }], 'forged', who)).rejects.toThrow(/refusing to commit the path/);
    await expect(ws.commitChanges(first, [{ path: 'tab\there.yaml', blob }], 'tab', who)).rejects.toThrow(/refusing to commit the path/);
    await expect(ws.commitChanges(first, [{ path: '../up.yaml', blob }], 'up', who)).rejects.toThrow(/refusing to commit the path/);
  });
});

describe('crafted trees', () => {
  it('a tree object naming `..` is never written outside the private folder', async () => {
    const repo = new TestRepo();
    cleanups.push(() => repo.cleanup());
    const run = (args: string[], input?: string) => execFileSync('git', args, { cwd: repo.dir, input, encoding: 'utf8' }).trim();
    const oid = run(['hash-object', '-w', '--stdin'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: evil\n');
    const inner = run(['mktree'], `100644 blob ${oid}\tevil.yaml\n`);
    const root = run(['mktree'], `040000 tree ${inner}\t..\n100644 blob ${oid}\tok.yaml\n`);
    const sha = run(['commit-tree', root, '-m', 'crafted'], '');
    const ws = await Workspace.open(repo.dir, { cacheDir: tempDir() });
    const tree = await ws.openTree(sha);
    expect([...tree.index.keys()].sort()).toEqual(['../evil.yaml', 'ok.yaml']);
    const plan = await tree.expand(tree.index.keys());
    expect(plan.problems.map((p) => [p.path, p.rule])).toEqual([['../evil.yaml', 'path-invalid']]);
    await tree.materialize(plan);
    expect(existsSync(path.join(path.dirname(tree.dir), 'evil.yaml'))).toBe(false);
    expect(existsSync(path.join(tree.dir, 'ok.yaml'))).toBe(true);
    await tree.dispose();
  });
});
