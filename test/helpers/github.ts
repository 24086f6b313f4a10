import { createHmac, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';
import nock from 'nock';

const require = createRequire(import.meta.url);

interface OpenApi {
  paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: object }> } }>>;
  components: object;
}

let doc: OpenApi | null = null;
const openApi = () => (doc ??= JSON.parse(readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8')) as OpenApi);

let spec: Array<{ method: string; template: string; re: RegExp }> | null = null;

/** Every (method, path template) in GitHub's REST OpenAPI description. */
function routes() {
  if (!spec) {
    spec = [];
    for (const [template, ops] of Object.entries(openApi().paths)) {
      const re = new RegExp('^' + template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+').replace(/\{[^}]+\}/g, '[^/]+') + '$');
      for (const method of Object.keys(ops)) spec.push({ method: method.toUpperCase(), template, re });
    }
  }
  return spec;
}

/** The OpenAPI template a concrete request path matches, or null when GitHub has no such route. */
export function openApiRoute(method: string, path: string): string | null {
  const p = path.split('?')[0]!;
  return routes().find((r) => r.method === method.toUpperCase() && r.re.test(p))?.template ?? null;
}

// OpenAPI 3.0 schemas: `nullable` is Ajv's own keyword; `example` and the like are ignored.
const bodyAjv = new Ajv({ strict: false, allErrors: true, validateFormats: false, logger: false });
const bodyValidators = new Map<string, ValidateFunction | null>();

/** OpenAPI 3.0's `nullable: true` as JSON Schema: null is one more allowed type. */
function jsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(jsonSchema);
  if (!node || typeof node !== 'object') return node;
  const { nullable, ...rest } = node as Record<string, unknown>;
  const out = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, jsonSchema(v)]));
  if (nullable !== true) return out;
  if (typeof out.type === 'string') return { ...out, type: [out.type, 'null'] };
  return { anyOf: [out, { type: 'null' }] };
}

/**
 * Problems of a request body against the operation's OpenAPI requestBody schema (empty
 * when it conforms, or when the operation takes no JSON body).
 */
export function openApiBodyErrors(method: string, path: string, body: unknown): string[] {
  const template = openApiRoute(method, path);
  if (!template) return [`${method} ${path} is not a GitHub REST API route`];
  const key = `${method.toUpperCase()} ${template}`;
  if (!bodyValidators.has(key)) {
    const schema = openApi().paths[template]?.[method.toLowerCase()]?.requestBody?.content?.['application/json']?.schema;
    try {
      bodyValidators.set(key, schema ? bodyAjv.compile(jsonSchema({ ...schema, components: openApi().components }) as object) : null);
    } catch (err) {
      return [`${key}: its OpenAPI schema does not compile: ${(err as Error).message}`];
    }
  }
  const validate = bodyValidators.get(key);
  if (!validate || validate(body ?? {})) return [];
  return (validate.errors ?? []).map((e) => `${key}: body${e.instancePath} ${e.message}`);
}

/** A check run as the mock keeps it: the create request's fields, updated by PATCHes. */
export interface CheckRun {
  id: number;
  name: string;
  head_sha: string;
  status?: 'queued' | 'in_progress' | 'completed';
  conclusion?: string;
  repoPath?: string;
  output: { title?: string; summary?: string; text?: string; annotations: Array<{ path: string; start_line: number; annotation_level: string }> };
}

export interface Recorded {
  method: string;
  path: string;
  body: unknown;
  /** performance.now() when the request arrived. */
  at: number;
}

/**
 * nock for api.github.com where every mocked route must exist in GitHub's OpenAPI
 * description: registering an invented route throws at once.
 */
export class GitHubMock {
  readonly requests: Recorded[] = [];
  /** Request bodies that did not conform to the OpenAPI description (answered 422). */
  readonly bodyErrors: string[] = [];
  /** Check POST, PUT and PATCH bodies against the OpenAPI description. */
  checkBodies = false;
  private readonly scope: nock.Scope;
  /** The API root's path on its host: empty for api.github.com, `/api/v3` on GitHub Enterprise Server. */
  private readonly prefix: string;
  private readonly waiters: Array<{ pred: () => boolean; resolve: () => void }> = [];

  /** `apiRoot` is the API's base URL: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  constructor(readonly apiRoot = 'https://api.github.com') {
    const u = new URL(apiRoot);
    this.scope = nock(u.origin).persist();
    this.prefix = u.pathname.replace(/\/+$/, '');
  }

  route(method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT', path: string, reply: (body: unknown, n: number) => [number, unknown]): this {
    if (!openApiRoute(method, path)) throw new Error(`${method} ${path} is not a GitHub REST API route (OpenAPI)`);
    let n = 0;
    // `path?*` matches any query string; the reply sees it in the recorded path.
    const anyQuery = path.endsWith('?*');
    const p = this.prefix + (anyQuery ? path.slice(0, -2) : path);
    let interceptor =
      method === 'GET' ? this.scope.get(p) : method === 'POST' ? this.scope.post(p) : method === 'PATCH' ? this.scope.patch(p) : method === 'PUT' ? this.scope.put(p) : this.scope.delete(p);
    if (anyQuery) interceptor = interceptor.query(true);
    interceptor.reply((uri, body) => {
      const parsed = typeof body === 'string' && body ? (JSON.parse(body) as unknown) : body;
      this.requests.push({ method, path: uri.slice(this.prefix.length), body: parsed, at: Math.round(performance.now()) });
      const invalid = this.invalidBody(method, uri.slice(this.prefix.length), parsed);
      if (invalid) return invalid;
      const r = reply(parsed, n++);
      queueMicrotask(() => this.check());
      return r;
    });
    return this;
  }

  /**
   * A route with variable segments: `sample` is one concrete path (checked against the
   * OpenAPI description), `re` matches the real ones; the reply gets the regex match.
   */
  routeRe(method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT', sample: string, re: RegExp, reply: (body: unknown, m: RegExpExecArray, path: string) => [number, unknown]): this {
    if (!openApiRoute(method, sample)) throw new Error(`${method} ${sample} is not a GitHub REST API route (OpenAPI)`);
    const prefix = this.prefix;
    const full = new RegExp(`^${prefix.replace(/[.*+?^$()|[\]\\/]/g, '\\$&')}${re.source.replace(/^\^/, '')}`);
    const interceptor = method === 'GET' ? this.scope.get(full) : method === 'POST' ? this.scope.post(full) : method === 'PATCH' ? this.scope.patch(full) : method === 'PUT' ? this.scope.put(full) : this.scope.delete(full);
    interceptor.reply((uri, body) => {
      const parsed = typeof body === 'string' && body ? (JSON.parse(body) as unknown) : body;
      const path = uri.slice(prefix.length);
      this.requests.push({ method, path, body: parsed, at: Math.round(performance.now()) });
      queueMicrotask(() => this.check());
      return this.invalidBody(method, path, parsed) ?? reply(parsed, re.exec(path.split('?')[0]!)!, path);
    });
    return this;
  }

  /** A 422 for a body GitHub's description does not allow, as GitHub would answer; null when it conforms. */
  private invalidBody(method: string, path: string, body: unknown): [number, unknown] | null {
    if (!this.checkBodies || method === 'GET' || method === 'DELETE') return null;
    const errors = openApiBodyErrors(method, path, body);
    if (!errors.length) return null;
    this.bodyErrors.push(...errors);
    return [422, { message: 'Invalid request', errors }];
  }

  /** Check runs by id, as GitHub keeps them, and the order they completed in. */
  readonly runs = new Map<number, CheckRun>();
  private readonly completedRuns: CheckRun[] = [];
  private nextRunId = 9000;

  /**
   * Check runs of one repository (`/repos/O/R`) as GitHub keeps them: POST creates one
   * (running or already completed), PATCH `/check-runs/{id}` updates it, and annotations
   * of later updates add to the earlier ones. `fail(n)` may answer the n-th POST instead.
   */
  checkRuns(repoPath: string, fail: (n: number) => [number, unknown] | null = () => null): this {
    this.route('POST', `${repoPath}/check-runs`, (body, n) => {
      const failed = fail(n);
      if (failed) return failed;
      const run = { id: this.nextRunId++, ...(body as object), output: { ...((body as CheckRun).output ?? {}), annotations: [...((body as CheckRun).output?.annotations ?? [])] }, repoPath } as CheckRun;
      this.runs.set(run.id, run);
      if (run.status === 'completed') this.completedRuns.push(run);
      return [201, run];
    });
    const template = `${repoPath}/check-runs/0`;
    if (!openApiRoute('PATCH', template)) throw new Error(`PATCH ${template} is not a GitHub REST API route (OpenAPI)`);
    const re = new RegExp(`^${(this.prefix + repoPath).replace(/[.*+?^$()|[\]\\]/g, '\\$&')}/check-runs/(\\d+)$`);
    this.scope.patch(re).reply((uri, body) => {
      const parsed = (typeof body === 'string' && body ? JSON.parse(body) : body) as CheckRun;
      this.requests.push({ method: 'PATCH', path: uri.slice(this.prefix.length), body: parsed, at: Math.round(performance.now()) });
      const run = this.runs.get(Number(re.exec(uri)![1]));
      queueMicrotask(() => this.check());
      if (!run) return [404, { message: 'Not Found' }];
      const wasCompleted = run.status === 'completed';
      const annotations = [...(run.output?.annotations ?? []), ...(parsed.output?.annotations ?? [])];
      Object.assign(run, parsed, { output: { ...run.output, ...parsed.output, annotations } });
      if (!wasCompleted && run.status === 'completed') this.completedRuns.push(run);
      return [200, run];
    });
    return this;
  }

  /** Completed check runs, in the order they completed (optionally of one repository). */
  completed(repoPath?: string): CheckRun[] {
    return this.completedRuns.filter((r) => !repoPath || r.repoPath === repoPath);
  }

  count(method: string, pathPrefix: string): number {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix)).length;
  }

  /** Resolves once the predicate over recorded requests holds (or rejects after `ms`). */
  until(pred: () => boolean, ms = 30_000): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting; requests so far:\n${this.requests.map((r) => `${r.method} ${r.path}`).join('\n')}`)), ms);
      this.waiters.push({ pred, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  private check() {
    for (const w of [...this.waiters]) {
      if (w.pred()) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  done() {
    nock.cleanAll();
  }
}

export function testPrivateKey(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export function sign(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

let deliveryCounter = 0;

/** POSTs a webhook to the running server over real HTTP with a real signature. */
export async function deliver(url: string, secret: string, event: string, payload: unknown, opts: { id?: string; signature?: string } = {}): Promise<Response> {
  const body = JSON.stringify(payload);
  return fetch(`${url}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': opts.id ?? `delivery-${process.pid}-${++deliveryCounter}`,
      'x-hub-signature-256': opts.signature ?? sign(secret, body),
    },
    body,
  });
}

/** A payload from @octokit/webhooks-examples, deep-copied so a test can point it at its own repository. */
export function example<T = Record<string, any>>(event: string, pick: (p: any) => boolean): T { // eslint-disable-line @typescript-eslint/no-explicit-any
  const all = require('@octokit/webhooks-examples') as Array<{ name: string; examples: unknown[] }>;
  const found = all.find((e) => e.name === event)?.examples.find(pick);
  if (!found) throw new Error(`no ${event} example matches`);
  return structuredClone(found) as T;
}
