import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/bin.js';
import type { TestRepo } from '../helpers/gitrepo.js';
import { ferryChild, smallRepo } from './helpers.js';

const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

describe('the real CLI in a child process', () => {
  it('piped: no colour, no progress, the exit status of the findings', async () => {
    const { r } = smallRepo();
    repos.push(r);
    const res = await ferryChild(['plan', '--base', 'main', '--head', 'feature'], { cwd: path.join(r.dir, 'apps') });
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/^Ferry plan [0-9a-f]{7}\.\.[0-9a-f]{7}: 0 to add, 1 to change, 0 to remove/);
    expect(res.out).not.toContain('\x1b');
  });

  it('usage errors exit 2', async () => {
    const res = await ferryChild(['plan']);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/^ferry plan: --base is required/);
    expect((await ferryChild(['deploy'])).code).toBe(2);
  });

  it('--version and --help', async () => {
    const version = await ferryChild(['--version']);
    expect(version.out).toBe(`${(JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`);
    const help = await ferryChild(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: ferry <command>/);
  });
});

/** The modules `src/cli.ts` loads before it knows the command, followed through relative imports. */
function staticImports(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^import (?!type)[^'"]*?from '([^']+)'/gm)) {
    const spec = m[1]!;
    if (spec.startsWith('.')) staticImports(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')), seen);
    else seen.add(spec);
  }
  return seen;
}

describe('start-up', () => {
  it('--help and --version load nothing of the engine: it is imported only to run a command', () => {
    const src = path.join(REPO_ROOT, 'src');
    const loaded = [...staticImports(path.join(src, 'cli.ts'))].map((f) => (f.startsWith(src) ? path.relative(src, f) : f)).sort();
    // runtime/engine-heap.ts sets a V8 flag at start and imports nothing else.
    expect(loaded).toEqual(['cli.ts', 'cli/usage.ts', 'node:fs', 'node:url', 'node:v8', 'runtime/engine-heap.ts']);
    expect(readFileSync(path.join(src, 'cli.ts'), 'utf8')).toContain("await import('./cli/run.js')");
  });
});
