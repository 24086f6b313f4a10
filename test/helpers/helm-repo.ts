import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CORPUS, TEST_HELM } from './bin.js';
import { tempDir } from './gitrepo.js';

/** A chart packaged by the real helm. */
export interface PackagedChart {
  file: string;
  name: string;
  version: string;
}

/** What a loopback server saw: tests assert on headers (credentials) and counts (single-flight). */
export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** Lets a test answer a request itself (stall, redirect, corrupt); return true when it did. */
export type Override = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

export interface Served {
  /** http://127.0.0.1:<port>/ for a Helm repository; oci://127.0.0.1:<port>/<prefix> for a registry. */
  url: string;
  port: number;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** Helm with its own home, so tests never read or write the user's repositories or registry logins. */
function helmEnv(): NodeJS.ProcessEnv {
  const home = tempDir('ferry-helm-home-');
  return { PATH: process.env.PATH ?? '', HOME: home, HELM_CACHE_HOME: path.join(home, 'cache'), HELM_CONFIG_HOME: path.join(home, 'config'), HELM_DATA_HOME: path.join(home, 'data') };
}

/** Helm for local work (package, index). Blocks: never point it at a server in this process. */
export function helm(args: string[], cwd?: string): string {
  return execFileSync(TEST_HELM, args, { cwd, encoding: 'utf8', env: helmEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Helm against a server this process serves (helm pull): asynchronous, so the server can answer. */
export function helmAsync(args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(TEST_HELM, args, { cwd, encoding: 'utf8', env: helmEnv(), timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`helm ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout)));
  });
}

/** A minimal chart folder: one ConfigMap. */
export function makeChart(name: string, extra: Record<string, string> = {}): string {
  const dir = path.join(tempDir('ferry-chart-src-'), name);
  mkdirSync(path.join(dir, 'templates'), { recursive: true });
  writeFileSync(path.join(dir, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: 0.1.0\nappVersion: "1.0"\n`);
  writeFileSync(path.join(dir, 'values.yaml'), 'greeting: hello\n');
  writeFileSync(path.join(dir, 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  greeting: {{ .Values.greeting | quote }}\n');
  for (const [rel, text] of Object.entries(extra)) writeFileSync(path.join(dir, rel), text);
  return dir;
}

/** The corpus's podinfo chart when the corpus is there, else a minimal chart named podinfo. */
export function podinfoChartDir(): string {
  const real = path.join(CORPUS, 'podinfo', 'charts', 'podinfo');
  return existsSync(path.join(real, 'Chart.yaml')) ? real : makeChart('podinfo');
}

/** `helm package` a chart folder at a version, into a fresh folder. */
export function packageChart(chartDir: string, version: string): PackagedChart {
  const out = tempDir('ferry-chart-pkg-');
  helm(['package', chartDir, '--version', version, '-d', out]);
  const name = /^name:\s*(\S+)/m.exec(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8'))?.[1];
  if (!name) throw new Error(`no name in ${chartDir}/Chart.yaml`);
  const file = path.join(out, `${name}-${version}.tgz`);
  if (!existsSync(file)) throw new Error(`helm package did not write ${file}`);
  return { file, name, version };
}

function listen(handler: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  // Longer than a client keeps an idle connection, so the server never closes one a request is being sent on (ECONNRESET under load).
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

function closer(server: http.Server): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

/**
 * A Helm repository on 127.0.0.1: the charts copied into a folder indexed by the real
 * `helm repo index --url http://127.0.0.1:<port>/`, served as files.
 */
export async function serveHelmRepo(charts: PackagedChart[], opts: { override?: Override } = {}): Promise<Served & { dir: string }> {
  const dir = tempDir('ferry-helm-repo-');
  for (const c of charts) copyFileSync(c.file, path.join(dir, path.basename(c.file)));
  const requests: SeenRequest[] = [];
  const { server, port } = await listen((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (opts.override?.(req, res)) return;
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    const file = path.join(dir, name);
    if (name.includes('/') || name.includes('..') || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { 'content-type': name.endsWith('.yaml') ? 'text/yaml' : 'application/gzip', 'content-length': body.length }).end(body);
  });
  const url = `http://127.0.0.1:${port}/`;
  helm(['repo', 'index', dir, '--url', url]);
  return { url, port, dir, requests, close: closer(server) };
}

export interface OciOptions {
  /** Repository prefix: charts are at <prefix>/<name>. Default "charts". */
  prefix?: string;
  /** Require a bearer token got from /token (the anonymous token flow); with basic, /token wants that user and password. */
  token?: { basic?: { username: string; password: string } };
  override?: Override;
}

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * A minimal OCI distribution registry on 127.0.0.1 serving Helm charts the way `helm push`
 * stores them: tags/list, manifests (by tag or digest), blobs, and optionally the bearer
 * token challenge. Faithful enough for the real `helm pull --plain-http`.
 */
export async function serveOciRegistry(charts: PackagedChart[], opts: OciOptions = {}): Promise<Served & { token: string }> {
  const prefix = opts.prefix ?? 'charts';
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, Map<string, Buffer>>(); // repository → tag or digest → manifest
  for (const c of charts) {
    const layer = readFileSync(c.file);
    const config = Buffer.from(JSON.stringify({ name: c.name, version: c.version, apiVersion: 'v2' }));
    blobs.set(sha(layer), layer);
    blobs.set(sha(config), config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: sha(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: sha(layer), size: layer.length }],
        annotations: { 'org.opencontainers.image.title': c.name, 'org.opencontainers.image.version': c.version },
      }),
    );
    const repo = `${prefix}/${c.name}`;
    const byRef = manifests.get(repo) ?? new Map<string, Buffer>();
    byRef.set(c.version.replace(/\+/g, '_'), manifest);
    byRef.set(sha(manifest), manifest);
    manifests.set(repo, byRef);
  }
  const token = `tok-${Math.random().toString(36).slice(2)}`;
  const requests: SeenRequest[] = [];
  let base = '';
  const { server, port } = await listen((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (opts.override?.(req, res)) return;
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    if (url.pathname === '/token') {
      const want = opts.token?.basic && `Basic ${Buffer.from(`${opts.token.basic.username}:${opts.token.basic.password}`).toString('base64')}`;
      if (want && req.headers.authorization !== want) return json(401, { errors: [{ code: 'UNAUTHORIZED' }] });
      return json(200, { token, access_token: token });
    }
    const m = /^\/v2\/(.+)\/(tags\/list|manifests\/[^/]+|blobs\/[^/]+)$/.exec(url.pathname);
    if (url.pathname === '/v2/' || m) {
      if (opts.token && req.headers.authorization !== `Bearer ${token}`) {
        const scope = m ? `repository:${m[1]}:pull` : '';
        return json(401, { errors: [{ code: 'UNAUTHORIZED' }] }, { 'www-authenticate': `Bearer realm="${base}/token",service="fake-registry"${scope ? `,scope="${scope}"` : ''}` });
      }
    }
    if (url.pathname === '/v2/') return json(200, {});
    const byRef = m ? manifests.get(m[1]!) : undefined;
    if (!m || !byRef) return json(404, { errors: [{ code: 'NAME_UNKNOWN' }] });
    const [kind, ref] = m[2]!.split('/') as [string, string];
    if (kind === 'tags') return json(200, { name: m[1], tags: [...byRef.keys()].filter((k) => !k.startsWith('sha256:')) });
    const body = kind === 'manifests' ? byRef.get(decodeURIComponent(ref)) : blobs.get(decodeURIComponent(ref));
    if (!body) return json(404, { errors: [{ code: kind === 'manifests' ? 'MANIFEST_UNKNOWN' : 'BLOB_UNKNOWN' }] });
    res.writeHead(200, {
      'content-type': kind === 'manifests' ? 'application/vnd.oci.image.manifest.v1+json' : 'application/octet-stream',
      'content-length': body.length,
      'docker-content-digest': sha(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  base = `http://127.0.0.1:${port}`;
  return { url: `oci://127.0.0.1:${port}/${prefix}`, port, requests, token, close: closer(server) };
}
