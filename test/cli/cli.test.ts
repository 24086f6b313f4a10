import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/bin.js';
import { tempDir, type TestRepo } from '../helpers/gitrepo.js';
import { SARIF_SCHEMA_FILE, sarifValidator } from '../helpers/sarif.js';
import { cm, ferry, smallRepo } from './helpers.js';
import { toSarif } from '../../src/report/sarif.js';
import { renderJunit } from '../../src/report/junit.js';
import type { Plan } from '../../src/types.js';

const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));
const track = <T extends { r: TestRepo }>(x: T): T => (repos.push(x.r), x);

const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

const ESC = '\x1b[';
const appNames = (json: string) => (JSON.parse(json) as { environments: Array<{ apps: Array<{ name: string }> }> }).environments.flatMap((e) => e.apps.map((a) => a.name));

describe('version and help', () => {
  it('--version prints the package version', async () => {
    const res = await ferry(['--version']);
    expect(res).toEqual({ code: 0, out: `${pkg.version}\n`, err: '' });
  });

  it('each command has its own --help with its flags and the exit statuses', async () => {
    const plan = await ferry(['plan', '--help']);
    expect(plan.code).toBe(0);
    expect(plan.out).toMatch(/^Usage: ferry plan /);
    expect(plan.out).toContain('--no-merge-base');
    expect(plan.out).not.toContain('--ref REF');
    const validate = await ferry(['validate', '-h']);
    expect(validate.out).toMatch(/^Usage: ferry validate /);
    expect(validate.out).toContain('--ref REF');
    expect(validate.out).not.toContain('--base REF');
    for (const text of [plan.out, validate.out]) for (const code of ['0', '1', '2', '3']) expect(text).toMatch(new RegExp(`^  ${code}  `, 'm'));
    expect((await ferry(['help', 'plan'])).out).toBe(plan.out);
  });

  it('an unknown flag names the command and shows its help; exit 2', async () => {
    const res = await ferry(['validate', '--bsae', 'x']);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/^ferry validate: Unknown option '--bsae'/);
    expect(res.err).toContain('Usage: ferry validate');
  });
});

describe('plan', () => {
  it('defaults to the merge base: main\'s newer commits are not shown reversed', async () => {
    const { r } = track(smallRepo());
    // main moves on after the branch was cut.
    r.write({ 'apps/app-1/cm.yaml': cm('one', 'newer-on-main') });
    r.commit('main moves on');
    const mb = await ferry(['plan', '--repo', r.dir, '--base', 'main', '--head', 'feature', '--format', 'json']);
    expect(mb.code).toBe(0);
    expect(appNames(mb.out)).toEqual(['app-2']);
    const tips = await ferry(['plan', '--repo', r.dir, '--base', 'main', '--head', 'feature', '--no-merge-base', '--format', 'json']);
    expect(appNames(tips.out)).toEqual(['app-1', 'app-2']);
  });

  it('--head defaults to HEAD', async () => {
    const { r } = track(smallRepo());
    r.git('checkout', '--quiet', 'feature');
    const res = await ferry(['plan', '--repo', r.dir, '--base', 'main', '--format', 'json']);
    expect(appNames(res.out)).toEqual(['app-2']);
  });

  it('a mistyped ref gets "did you mean"', async () => {
    const { r } = track(smallRepo());
    const res = await ferry(['plan', '--repo', r.dir, '--base', 'mian', '--head', 'feature']);
    expect(res.code).toBe(2);
    expect(res.err).toBe('ferry: ref "mian" does not exist in the repository; did you mean "main"?\n');
  });

  it('in a shallow clone, a missing base gets the fetch hint', async () => {
    const { r } = track(smallRepo());
    const clone = tempDir('ferry-shallow-');
    r.git('clone', '--quiet', '--depth', '1', '--branch', 'feature', `file://${r.dir}`, clone);
    const res = await ferry(['plan', '--repo', clone, '--base', 'origin/main', '--head', 'HEAD']);
    expect(res.code).toBe(2);
    expect(res.err).toContain('ref "origin/main" does not exist');
    expect(res.err).toContain('shallow clone: fetch the history (git fetch --unshallow) or the ref itself (git fetch origin main)');
  });

  it('from a subfolder, the repository root is found', async () => {
    const { r } = track(smallRepo());
    const res = await ferry(['plan', '--base', 'main', '--head', 'feature', '--format', 'json'], { cwd: path.join(r.dir, 'apps', 'app-1') });
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    expect(appNames(res.out)).toEqual(['app-2']);
  });

  it('an environment path that matches no app is an error, not a silent pass', async () => {
    const { r } = track(smallRepo('environments:\n  - name: prod\n    path: apps\n  - name: staging\n    path: aps/staging\n'));
    const res = await ferry(['plan', '--repo', r.dir, '--base', 'main', '--head', 'feature', '--format', 'json']);
    expect(res.code).toBe(1);
    const findings = (JSON.parse(res.out) as { findings: Array<{ severity: string; message: string }> }).findings;
    expect(findings).toContainEqual(expect.objectContaining({ severity: 'error', message: 'environment "staging": path aps/staging matches no app at base or head; fix the path in ferry.yml' }));
  });

  it('apps sort naturally: app-2 before app-10', async () => {
    const { r } = track(smallRepo());
    const res = await ferry(['validate', '--repo', r.dir, '--ref', 'main', '--format', 'json']);
    expect(appNames(res.out)).toEqual(['app-1', 'app-2', 'app-10']);
  });

  it('a missing kustomize exits 3 and names the apps it did not render', async () => {
    const r = new (await import('../helpers/gitrepo.js')).TestRepo();
    repos.push(r);
    r.write({
      '.github/ferry.yml': 'environments:\n  - name: prod\n    path: apps\nrender:\n  kustomize: /nonexistent/kustomize\n',
      'apps/web/kustomization.yaml': 'resources:\n  - cm.yaml\n',
      'apps/web/cm.yaml': cm('web', 'v'),
      'apps/plain/cm.yaml': cm('plain', 'v'),
    });
    const res = await ferry(['validate', '--repo', r.dir, '--ref', r.commit('x'), '--format', 'json']);
    expect(res.code).toBe(3);
    expect(res.err).toContain('ferry: kustomize (or kubectl) is not installed or not on PATH; not rendered: prod/web\n');
    expect(res.err).not.toContain('apps/plain');
  });
});

describe('output', () => {
  it('-o FILE writes the report there and nothing to stdout', async () => {
    const { r } = track(smallRepo());
    const file = path.join(tempDir('ferry-out-'), 'plan.json');
    const res = await ferry(['plan', '--repo', r.dir, '--base', 'main', '--head', 'feature', '--format', 'json', '-o', file]);
    expect(res).toEqual({ code: 0, out: '', err: '' });
    const direct = await ferry(['plan', '--repo', r.dir, '--base', 'main', '--head', 'feature', '--format', 'json']);
    expect(readFileSync(file, 'utf8')).toBe(direct.out);
  });

  it('-o into a missing folder is exit 2', async () => {
    const { r } = track(smallRepo());
    const res = await ferry(['plan', '--repo', r.dir, '--base', 'main', '--head', 'feature', '-o', path.join(tempDir(), 'no', 'such', 'dir', 'x')]);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/^ferry: cannot write .*: ENOENT\n$/);
  });

  it('validate has its own header and ends with a summary line', async () => {
    const { r, first } = track(smallRepo());
    const res = await ferry(['validate', '--repo', r.dir, '--ref', 'main']);
    expect(res.code).toBe(0);
    const lines = res.out.trimEnd().split('\n');
    expect(lines[0]).toBe(`Ferry validate ${first.slice(0, 7)}`);
    expect(res.out).not.toContain('to add');
    expect(lines.at(-1)).toMatch(/^Validated 3 resources in 3 apps \(1 environment\): 0 errors, 0 warnings in \d+\.\d s$/);
    // Other formats keep stdout machine-readable: the summary goes to stderr, unless --quiet.
    const json = await ferry(['validate', '--repo', r.dir, '--ref', 'main', '--format', 'json']);
    expect(() => JSON.parse(json.out)).not.toThrow();
    expect(json.err).toMatch(/^Validated 3 resources in 3 apps/);
    expect((await ferry(['validate', '--repo', r.dir, '--ref', 'main', '--format', 'json', '-q'])).err).toBe('');
    // The Markdown report of a validate is a validate's too, not a plan's.
    const md = await ferry(['validate', '--repo', r.dir, '--ref', 'main', '--format', 'markdown']);
    expect(md.out).toContain('### Ferry validate');
    expect(md.out).toMatch(new RegExp(`\`${first.slice(0, 7)}\` · Validated 3 resources in 3 apps \\(1 environment\\): 0 errors, 0 warnings`));
    expect(md.out).not.toContain('to add');
    expect(md.out).not.toContain('Ferry plan');
  });
});

describe('terminal behaviour', () => {
  it('progress goes to stderr only on a terminal and not with --quiet', async () => {
    const { r } = track(smallRepo());
    const args = ['validate', '--repo', r.dir, '--ref', 'main', '--format', 'json'];
    const tty = await ferry(args, { errIsTTY: true, progressEveryMs: 0 });
    expect(tty.err).toContain('ferry: rendered 3/3 apps (prod)');
    // Cleared before the summary is written.
    expect(tty.err).toMatch(/\r\x1b\[K(Validated)/);
    expect(tty.out).not.toContain('rendered 3/3');
    expect((await ferry(args, { errIsTTY: false })).err).not.toContain('rendered');
    expect((await ferry([...args, '--quiet'], { errIsTTY: true, progressEveryMs: 0 })).err).toBe('');
  });

  it('colour on a terminal; none with NO_COLOR or when not a terminal', async () => {
    const { r } = track(smallRepo());
    const args = ['plan', '--repo', r.dir, '--base', 'main', '--head', 'feature'];
    const tty = await ferry(args, { outIsTTY: true });
    expect(tty.out).toContain(`${ESC}32m    +  k: w${ESC}0m`);
    expect(tty.out).toContain(`${ESC}31m    -  k: v${ESC}0m`);
    const plain = await ferry(args, { outIsTTY: false });
    expect(plain.out).not.toContain(ESC);
    expect(plain.out).toContain('    +  k: w');
    expect((await ferry(args, { outIsTTY: true, env: { NO_COLOR: '1' } })).out).toBe(plain.out);
    // An empty NO_COLOR does not count (no-color.org).
    expect((await ferry(args, { outIsTTY: true, env: { NO_COLOR: '' } })).out).toContain(ESC);
  });

  it('escape sequences from the repository never reach the output, coloured or not (a CI log renders them too)', async () => {
    const { r } = track(smallRepo());
    r.git('checkout', '--quiet', 'feature');
    // An app folder whose name clears the screen and fakes a green line.
    r.write({ 'apps/x\x1b[2J\x1b[32mall good\x1b[0m/cm.yaml': cm('hostile', 'v') });
    r.commit('hostile folder');
    r.git('checkout', '--quiet', 'main');
    const args = ['plan', '--repo', r.dir, '--base', 'main', '--head', 'feature'];
    for (const outIsTTY of [false, true]) {
      const res = await ferry(args, { outIsTTY });
      expect(res.out).toContain('^[[2J^[[32mall good^[[0m');
      expect(res.out).not.toContain('\x1b[2J');
      expect(res.out).not.toContain('\x1b[32mall');
    }
  });
});

const PRIVILEGED = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\n  namespace: prod\nspec:\n  containers:\n    - name: sh\n      image: busybox:1.36\n      securityContext:\n        privileged: true\n';

describe('--format sarif', () => {
  const schemaFile = SARIF_SCHEMA_FILE;

  it('is valid SARIF 2.1.0 with the finding on its file and line, and the rule described', async () => {
    expect(existsSync(schemaFile)).toBe(true);
    const { r } = track(smallRepo());
    r.write({ 'apps/app-2/pod.yaml': PRIVILEGED });
    r.commit('pod');
    const res = await ferry(['validate', '--repo', r.dir, '--ref', 'main', '--format', 'sarif', '-q']);
    expect(res.code).toBe(1);
    const log = JSON.parse(res.out) as any;
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const run = log.runs[0];
    expect(run.tool.driver).toMatchObject({ name: 'Ferry', version: pkg.version });
    const result = run.results.find((x: any) => x.ruleId === 'privileged');
    expect(result).toMatchObject({
      level: 'error',
      locations: [{ physicalLocation: { artifactLocation: { uri: 'apps/app-2/pod.yaml' }, region: { startLine: 11 } } }],
      properties: { environment: 'prod', app: 'app-2' },
    });
    expect(run.tool.driver.rules[result.ruleIndex]).toMatchObject({ id: 'privileged', shortDescription: { text: expect.stringContaining('privileged') } });
  });

  it('every result has a location (code scanning refuses one without): a finding of no file goes on ferry.yml, else to the run\'s notifications', () => {
    const finding = { severity: 'error' as const, rule: 'config', message: 'something about the whole plan', file: null, line: null, resource: null };
    const plan: Plan = { base: 'a'.repeat(40), head: 'b'.repeat(40), environments: [], findings: [finding], summary: { added: 0, changed: 0, removed: 0, errors: 1, warnings: 0 } };
    const validate = sarifValidator();
    const withConfig = toSarif({ ...plan, configFile: '.github/ferry.yml' }, { version: '1.0.0' }) as any;
    expect(validate(withConfig), JSON.stringify(validate.errors)).toBe(true);
    expect(withConfig.runs[0].results).toEqual([expect.objectContaining({ ruleId: 'config', locations: [{ physicalLocation: { artifactLocation: { uri: '.github/ferry.yml', uriBaseId: '%SRCROOT%' } } }] })]);
    const without = toSarif(plan, { version: '1.0.0' }) as any;
    expect(validate(without), JSON.stringify(validate.errors)).toBe(true);
    expect(without.runs[0].results).toEqual([]);
    expect(without.runs[0].invocations[0].toolExecutionNotifications).toEqual([{ level: 'error', message: { text: 'something about the whole plan' }, descriptor: { id: 'config' } }]);
  });

  it('the validator rejects a log without its required parts (it checks something)', () => {
    const validate = sarifValidator();
    expect(validate({ version: '2.1.0', runs: [{ results: [] }] })).toBe(false);
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: {} }] }] })).toBe(false);
  });
});

describe('--format junit', () => {
  it('a suite per environment, a case per app; errors fail the app', async () => {
    const { r } = track(smallRepo());
    r.write({ 'apps/app-2/pod.yaml': PRIVILEGED });
    r.commit('pod');
    const res = await ferry(['validate', '--repo', r.dir, '--ref', 'main', '--format', 'junit', '-q']);
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="ferry validate [0-9a-f]{7}" tests="3" failures="1" errors="0">\n/);
    expect(res.out).toContain('<testsuite name="prod" tests="3" failures="1" errors="0" skipped="0">');
    expect(res.out).toContain('<testcase classname="ferry.prod" name="app-1" file="apps/app-1"/>');
    expect(res.out).toMatch(/<testcase classname="ferry.prod" name="app-2" file="apps\/app-2">\n {6}<failure message="1 error\(s\): [^"]*privileged[^"]*" type="privileged">error \[privileged\] apps\/app-2\/pod.yaml:11 /);
  });

  it('repository text is escaped, and characters XML cannot carry are dropped', () => {
    const finding = { severity: 'error' as const, rule: 'x"y', message: 'a <b> & "c" \u0007 \'d\'', file: 'apps/a&b', line: 3, resource: null };
    const plan: Plan = {
      base: 'a'.repeat(40), head: 'b'.repeat(40), findings: [],
      environments: [{ name: 'p<r>d', apps: [{ name: 'a&b', path: 'apps/a&b', renderer: 'plain', status: 'rendered', changes: [], findings: [finding] }] }],
      summary: { added: 0, changed: 0, removed: 0, errors: 1, warnings: 0 },
    };
    const out = renderJunit(plan);
    expect(out).toContain('<testsuite name="p&lt;r&gt;d" tests="1" failures="1"');
    expect(out).toContain('<testcase classname="ferry.p&lt;r&gt;d" name="a&amp;b" file="apps/a&amp;b">');
    expect(out).toContain('type="x&quot;y">error [x&quot;y] apps/a&amp;b:3: a &lt;b&gt; &amp; &quot;c&quot;  &apos;d&apos;</failure>');
    expect(out).not.toContain('\u0007');
  });
});

describe('validate: findings of a shared file', () => {
  it('a finding in a base every app includes is shown once, naming the apps', async () => {
    const { TestRepo } = await import('../helpers/gitrepo.js');
    const r = track({ r: new TestRepo() }).r;
    const deploy = [
      'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: web', 'spec:', '  selector:', '    matchLabels: { app: web }', '  template:',
      '    metadata:', '      labels: { app: web }', '    spec:', '      containers:', '        - name: web', '          image: nginx:latest', '',
    ].join('\n');
    r.write({
      '.github/ferry.yml': 'environments:\n  - name: prod\n    path: apps\n',
      'base/kustomization.yaml': 'resources: [deploy.yaml]\n',
      'base/deploy.yaml': deploy,
      ...Object.fromEntries(['a', 'b', 'c'].map((n) => [`apps/${n}/kustomization.yaml`, `namespace: ${n}\nresources: [../../base]\n`])),
    });
    r.commit('three apps on one base');
    const res = await ferry(['validate', '--repo', r.dir, '--ref', 'HEAD']);
    const text = res.out;
    expect(text).toContain('== the same finding in several apps (a file they share), shown once\n');
    expect(text).toMatch(/\n {4}in 3 apps: prod: a, b, c\n/);
    // Each finding of the base is printed once, and each app points to them.
    const shared = text.split('\n').filter((l) => l.includes('base/deploy.yaml'));
    expect(shared.length).toBeGreaterThan(0);
    expect(new Set(shared).size).toBe(shared.length);
    for (const app of ['a', 'b', 'c']) expect(text).toMatch(new RegExp(`== prod / ${app} \\(kustomize, apps/${app}\\) \\[rendered\\]\\n  \\d+ finding\\(s\\) in shared files, shown once above\\n`));
    // JSON still lists them under every app.
    const json = JSON.parse((await ferry(['validate', '--repo', r.dir, '--ref', 'HEAD', '--format', 'json'])).out) as Plan;
    for (const a of json.environments[0]!.apps) expect(a.findings.some((f) => f.file === 'base/deploy.yaml')).toBe(true);
  }, 120_000);
});
