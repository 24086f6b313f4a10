import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/bin.js';
import { tempDir, type TestRepo } from '../helpers/gitrepo.js';
import { smallRepo } from './helpers.js';

const run = promisify(execFile);
const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

interface PackResult { filename: string; name: string; version: string; files: Array<{ path: string }> }

/**
 * What a user gets: `npm pack` (which builds through `prepare`), then a global install of
 * the tarball into a temporary prefix, dependencies from the registry (or npm's cache).
 */
describe('npm package', () => {
  it('packs only what it should, installs, and the installed `ferry` runs a plan', async () => {
    const work = tempDir('ferry-pack-');
    const npmEnv = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
    const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: REPO_ROOT, env: npmEnv, maxBuffer: 32 * 2 ** 20 });
    const [pack] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as PackResult[];
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
    expect(pack!.name).toBe(pkg.name);

    const files = pack!.files.map((f) => f.path);
    const allowed = /^(dist\/.+\.(js|json)|templates\/[^/]+\.hbs|docs\/[^/]+\.(md|json)|package\.json|README\.md|LICENSE|CHANGELOG\.md)$/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    for (const f of ['dist/cli.js', 'dist/server.js', 'dist/config/schema.json', 'docs/ferry.schema.json', 'templates/plan.md.hbs', 'LICENSE', 'CHANGELOG.md']) {
      expect(files).toContain(f);
    }
    expect(readFileSync(path.join(REPO_ROOT, 'LICENSE'), 'utf8')).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);

    const prefix = path.join(work, 'prefix');
    await run('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', path.join(work, pack!.filename)], { cwd: work, env: npmEnv, maxBuffer: 32 * 2 ** 20 });
    const ferry = path.join(prefix, 'bin', 'ferry');

    const version = await run(ferry, ['--version']);
    expect(version.stdout).toBe(`${pkg.version}\n`);

    const { r } = smallRepo();
    repos.push(r);
    const plan = await run(ferry, ['plan', '--base', 'main', '--head', 'feature', '--format', 'json', '--cache-dir', path.join(work, 'cache')], { cwd: r.dir });
    const result = JSON.parse(plan.stdout) as { environments: Array<{ apps: Array<{ name: string; changes: unknown[] }> }> };
    expect(result.environments[0]!.apps.map((a) => [a.name, a.changes.length])).toEqual([['app-2', 1]]);
    // The templates ship too: the Markdown report renders from the installed package.
    const md = await run(ferry, ['plan', '--base', 'main', '--head', 'feature', '--format', 'markdown', '--cache-dir', path.join(work, 'cache')], { cwd: r.dir });
    expect(md.stdout).toContain('npx ferry-gitops plan --base');

    // The CI templates run `ferry-ci` from the package: it is installed and answers.
    const ci = await run(path.join(prefix, 'bin', 'ferry-ci'), ['gitlab'], { cwd: r.dir, env: { PATH: process.env.PATH ?? '' } }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(ci.code).toBe(2);
    expect(ci.stderr).toContain('not a merge request pipeline');
  }, 240_000);
});
