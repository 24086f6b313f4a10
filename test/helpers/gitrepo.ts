import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A real git repository in a temp dir, built commit by commit by a test. */
export class TestRepo {
  readonly dir: string;

  constructor() {
    this.dir = tempDir('ferry-repo-');
    this.git('init', '--quiet', '--initial-branch=main');
    this.git('config', 'user.name', 'Ferry Test');
    this.git('config', 'user.email', 'test@example.invalid');
    this.git('config', 'commit.gpgsign', 'false');
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
  }

  write(files: Record<string, string | Buffer>): this {
    for (const [rel, body] of Object.entries(files)) {
      const abs = path.join(this.dir, rel);
      mkdirSync(path.dirname(abs), { recursive: true });
      writeFileSync(abs, body);
    }
    return this;
  }

  remove(...rels: string[]): this {
    for (const rel of rels) rmSync(path.join(this.dir, rel), { recursive: true, force: true });
    return this;
  }

  /** Stages everything and commits; returns the new commit's SHA. */
  commit(message = 'change'): string {
    this.git('add', '-A');
    this.git('commit', '--quiet', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD').trim();
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const made = new Set<string>();

/** Removes every temp folder tests made in this process (test/setup.ts runs it after each file). */
export function removeTempDirs(): void {
  for (const d of made) rmSync(d, { recursive: true, force: true });
  made.clear();
}
process.once('exit', removeTempDirs);

export function tempDir(prefix = 'ferry-test-'): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  made.add(d);
  return d;
}
