#!/usr/bin/env node
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync, realpathSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { handleEvent } from './bot/core.js';
import type { BotEvent } from './bot/events.js';
import type { PlanJobOutcome } from './bot/jobs/plan.js';
import { runJob, type JobDeps } from './bot/jobs/run.js';
import { repositoryOfJob, type JobSpec } from './bot/jobs/spec.js';
import { MemoryWaiting, SharedWaiting, WAITING_PER_REPOSITORY } from './bot/waiting.js';
import { gitHubApp, GITHUB_WEBHOOK_PATH, type GitHubAppConfig } from './forge/github/app.js';
import { GITLAB_WEBHOOK_PATH, receiveGitLab, tokenMatches } from './forge/gitlab/ingress.js';
import { gitLabForges } from './forge/gitlab/registry.js';
import { Forges } from './forge/registry.js';
import { parseMaxBodyBytes, readBodyCapped } from './http/body-limit.js';
import { defaultCacheDir } from './engine.js';
import { chartFetcherFromEnv } from './render/charts/index.js';
import { detectSandbox } from './render/sandbox.js';
import { defaultPerRepository, EnginePool } from './runtime/engine-pool.js';
import { MemoryQueue } from './runtime/memory-queue.js';
import { Metrics } from './runtime/metrics.js';
import type { JobQueue, JobRunner } from './runtime/queue.js';
import { graceFromEnv, stopOnSignals } from './runtime/shutdown.js';
import { serverLogger } from './util/log.js';
import { redact } from './workspace/git.js';
import { maintainCache } from './workspace/maintain.js';
import type { Identity } from './workspace/workspace.js';

export const DEFAULT_IDENTITY: Identity = { name: 'Ferry', email: 'ferry@users.noreply.github.com' };

/** A GitLab instance served through a webhook and an access token. */
export interface GitLabConfig {
  /** The instance, e.g. https://gitlab.com (the API is at URL/api/v4). */
  url: string;
  /** A project, group or bot-user access token with `api` scope. */
  token: string;
  webhookSecret: string;
}

export interface ServerConfig {
  /** Serve GitHub as an App (absent: GitHub webhooks get 404). */
  github?: GitHubAppConfig;
  /** Serve GitLab through a webhook (absent: GitLab webhooks get 404). */
  gitlab?: GitLabConfig;
  port: number;
  host: string;
  cacheDir?: string;
  concurrency?: number;
  /** Jobs and plans one repository may run at once (default: half of `concurrency`, rounded up). */
  concurrencyPerRepo?: number;
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  /** Author and committer of promotion commits. */
  identity?: Identity;
  /** Largest webhook body accepted (default 25 MiB, GitHub's own cap); larger ones get 413 unread. */
  maxBodyBytes?: number;
  /** Where JSON log lines go (default stdout). */
  logDestination?: NodeJS.WritableStream;
  /** Jobs go through BullMQ on this Redis (several replicas); absent: the in-process queue. */
  redisUrl?: string;
  /** Namespaces Ferry's Redis keys (default `ferry`): installations sharing a Redis need their own. */
  redisPrefix?: string;
  /** Render cache cap on disk in MiB (default 10240); least recently used renders go first. */
  cacheMaxMb?: number;
  /** A git mirror not fetched for this many days is removed (default 14). */
  mirrorMaxAgeDays?: number;
}

/** How often the cache folder is brought back under its bounds. */
const MAINTAIN_EVERY_MS = 15 * 60_000;


const GITHUB_VARS = ['APP_ID', 'WEBHOOK_SECRET', 'PRIVATE_KEY', 'PRIVATE_KEY_PATH', 'GHE_HOST'];
const GITLAB_VARS = ['GITLAB_TOKEN', 'GITLAB_WEBHOOK_SECRET', 'GITLAB_URL'];

/**
 * Reads the documented environment variables; throws a message naming what is missing.
 * A forge is served when any of its variables is set (then all it needs must be); at
 * least one forge must be.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const wantsGitHub = GITHUB_VARS.some((k) => env[k]);
  const wantsGitLab = GITLAB_VARS.some((k) => env[k]);
  if (!wantsGitHub && !wantsGitLab) {
    throw new Error('nothing to serve: set APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH and WEBHOOK_SECRET (GitHub App), or GITLAB_TOKEN and GITLAB_WEBHOOK_SECRET (GitLab), or both');
  }
  const missing: string[] = [];
  if (wantsGitHub) {
    missing.push(...['APP_ID', 'WEBHOOK_SECRET'].filter((k) => !env[k]));
    if (!env.PRIVATE_KEY && !env.PRIVATE_KEY_PATH) missing.push('PRIVATE_KEY or PRIVATE_KEY_PATH');
  }
  if (wantsGitLab) missing.push(...['GITLAB_TOKEN', 'GITLAB_WEBHOOK_SECRET'].filter((k) => !env[k]));
  if (missing.length) throw new Error(`missing environment: ${missing.join(', ')}`);
  const protocol = env.GHE_PROTOCOL ?? 'https';
  let gitlabUrl: string | undefined;
  if (wantsGitLab) {
    try {
      const u = new URL(env.GITLAB_URL || 'https://gitlab.com');
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('not http(s)');
      // The URL is written into public notes (links to findings): no credential belongs in it.
      if (u.username || u.password) throw new Error('credentials in the URL');
      gitlabUrl = u.href.replace(/\/+$/, '');
    } catch {
      throw new Error('GITLAB_URL must be an http(s) URL without a user name or password (the token goes in GITLAB_TOKEN)');
    }
  }
  // Bad chart settings stop the server when it starts, not every plan that meets a chart.
  chartFetcherFromEnv(env, env.FERRY_CACHE_DIR ?? defaultCacheDir());
  return {
    github: wantsGitHub
      ? {
          appId: env.APP_ID!,
          privateKey: env.PRIVATE_KEY ? env.PRIVATE_KEY.replace(/\\n/g, '\n') : readFileSync(env.PRIVATE_KEY_PATH!, 'utf8'),
          webhookSecret: env.WEBHOOK_SECRET!,
          baseUrl: env.GHE_HOST ? `${protocol}://${env.GHE_HOST}/api/v3` : undefined,
        }
      : undefined,
    gitlab: wantsGitLab ? { url: gitlabUrl!, token: env.GITLAB_TOKEN!, webhookSecret: env.GITLAB_WEBHOOK_SECRET! } : undefined,
    port: Number(env.PORT ?? 3000),
    // Probot binds localhost by default; a container must listen on all interfaces.
    host: env.HOST ?? '0.0.0.0',
    cacheDir: env.FERRY_CACHE_DIR,
    concurrency: env.FERRY_CONCURRENCY ? Number(env.FERRY_CONCURRENCY) : undefined,
    concurrencyPerRepo: env.FERRY_CONCURRENCY_PER_REPO ? Number(env.FERRY_CONCURRENCY_PER_REPO) : undefined,
    logLevel: (env.LOG_LEVEL as ServerConfig['logLevel']) ?? 'info',
    maxBodyBytes: parseMaxBodyBytes(env.FERRY_MAX_BODY_BYTES),
    redisUrl: redisUrlFrom(env.REDIS_URL),
    redisPrefix: env.FERRY_REDIS_PREFIX || undefined,
    cacheMaxMb: positive(env.FERRY_CACHE_MAX_MB, 'FERRY_CACHE_MAX_MB'),
    mirrorMaxAgeDays: positive(env.FERRY_MIRROR_MAX_AGE_DAYS, 'FERRY_MIRROR_MAX_AGE_DAYS'),
    identity: env.FERRY_GIT_NAME || env.FERRY_GIT_EMAIL
      ? { name: env.FERRY_GIT_NAME || DEFAULT_IDENTITY.name, email: env.FERRY_GIT_EMAIL || DEFAULT_IDENTITY.email }
      : undefined,
  };
}

function positive(raw: string | undefined, name: string): number | undefined {
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number`);
  return n;
}

/** REDIS_URL, checked for its scheme; the message never repeats it (it may hold a password). */
function redisUrlFrom(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error('REDIS_URL must be a redis:// or rediss:// URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error('REDIS_URL must be a redis:// or rediss:// URL');
  return raw;
}

export interface RunningServer {
  url: string;
  queue: JobQueue<JobSpec>;
  outcomes: Map<PlanJobOutcome, number>;
  /** Jobs that threw, by kind, since start (served on /healthz). */
  failures: Map<string, number>;
  metrics: Metrics;
  stop(timeoutMs?: number): Promise<void>;
}

/** One HTTP server: GitHub webhooks at /api/github/webhooks, GitLab's at /api/gitlab/webhooks, GET /healthz. */
/**
 * The events Ferry subscribes to, by forge. The event header of a delivery is counted as a
 * label only when it is one of them: anyone can POST to the webhook path, and every new
 * label value is a series /metrics keeps for ever.
 */
const DELIVERY_EVENTS: Record<'github' | 'gitlab', ReadonlySet<string>> = {
  github: new Set(['pull_request', 'pull_request_review', 'issue_comment', 'check_run', 'status', 'push', 'installation', 'installation_repositories', 'ping']),
  gitlab: new Set(['Merge Request Hook', 'Note Hook', 'Pipeline Hook', 'Push Hook']),
};

function deliveryEvent(forge: 'github' | 'gitlab', header: string | string[] | undefined): string {
  if (header === undefined) return 'unknown';
  return typeof header === 'string' && DELIVERY_EVENTS[forge].has(header) ? header : 'other';
}

export async function startServer(cfg: ServerConfig): Promise<RunningServer> {
  // JSON logs (one object per line) with credentials redacted wherever they might appear.
  const log = serverLogger({
    level: cfg.logLevel ?? 'info',
    redact: { paths: ['req.headers.authorization', 'req.headers["x-hub-signature-256"]', 'req.headers["x-gitlab-token"]', '*.token', '*.privateKey', '*.extraHeader'], censor: '***' },
  }, cfg.logDestination ?? process.stdout);
  // Said once at start: an operator must know whether renders of PR content are isolated.
  const sandbox = await detectSandbox();
  const sandboxState = { namespaces: sandbox.namespaces, filesystem: sandbox.filesystem, limits: sandbox.limits, required: sandbox.required, memoryMiB: Math.round(sandbox.memoryBytes / 2 ** 20), cpuSeconds: sandbox.cpuSeconds };
  if (sandbox.namespaces) log.info({ sandbox: sandboxState }, sandbox.filesystem ? 'render sandbox: network, PID and mount namespaces (read-only view, cache and key hidden), memory and CPU limits' : 'render sandbox: network and PID namespaces, memory and CPU limits (no mount namespace: renders see the host filesystem)');
  else if (sandbox.required) log.error({ sandbox: sandboxState }, 'render sandbox unavailable and FERRY_SANDBOX=require: no app will be rendered (see docs/security.md)');
  else log.warn({ sandbox: sandboxState }, 'render sandbox unavailable: renders run without network/PID isolation, with limits only (see docs/security.md; FERRY_SANDBOX=require refuses instead)');
  const concurrency = cfg.concurrency ?? 2;
  // Both limits per repository, so a repository with slow renders leaves room for others.
  const perRepo = cfg.concurrencyPerRepo ?? defaultPerRepository(concurrency);
  const outcomes = new Map<PlanJobOutcome, number>();
  const failures = new Map<string, number>();
  const metrics = new Metrics();
  const engine = new EnginePool(concurrency, perRepo);
  const forges = new Forges();
  const jobLog = log.child({ name: 'jobs' });
  // Assigned below, after the forges: the deps and the webhook sink only use it once running.
  let queue!: JobQueue<JobSpec>;
  const deps: JobDeps = {
    forges,
    queue: { enqueue: (job, opts) => queue.enqueue(job, opts) },
    waiting: new MemoryWaiting(),
    cacheDir: cfg.cacheDir,
    runPlan: (req, signal, hooks) => engine.run(req, false, signal, hooks),
    identity: cfg.identity ?? DEFAULT_IDENTITY,
    log: jobLog,
    onPlanOutcome: (o) => {
      outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
      metrics.plans.inc({ outcome: o });
    },
    observe: {
      planMeasured: (m) => {
        for (const [phase, s] of Object.entries(m.seconds)) metrics.planPhase.observe({ phase }, s);
        if (m.cache.hits) metrics.renderCache.inc({ result: 'hit' }, m.cache.hits);
        if (m.cache.misses) metrics.renderCache.inc({ result: 'miss' }, m.cache.misses);
      },
      reported: (s) => metrics.planPhase.observe({ phase: 'report' }, s),
      planned: (plan) => {
        const all = [...plan.findings, ...plan.environments.flatMap((e) => e.apps.flatMap((a) => a.findings))];
        for (const f of all) metrics.findings.inc({ rule: f.rule, severity: f.severity });
      },
      promotion: (outcome) => metrics.promotions.inc({ outcome }),
    },
  };
  const runner: JobRunner<JobSpec> = async (job, signal) => {
    const end = metrics.jobDuration.startTimer({ kind: job.kind });
    let outcome = 'ok';
    try {
      await runJob(job, signal, deps);
    } catch (err) {
      outcome = 'failed';
      throw err;
    } finally {
      end({ outcome: signal.aborted ? 'aborted' : outcome });
    }
  };
  const queueOptions = {
    concurrency,
    // A job that throws is otherwise gone without a trace: logged (redacted) and counted.
    onError: (err: unknown, job: { kind: string; key: string }) => {
      const e = err as Error & { status?: number };
      failures.set(job.kind, (failures.get(job.kind) ?? 0) + 1);
      metrics.jobFailures.inc({ kind: job.kind });
      jobLog.warn({ job: job.key, kind: job.kind, status: e.status, err: redact(String(e?.message ?? e)) }, 'job failed');
    },
    groups: { groupOf: repositoryOfJob, perGroup: perRepo },
  };
  // The cache folder of a long-running server stays bounded (render cache LRU, git gc).
  const cacheDir = cfg.cacheDir ?? defaultCacheDir();
  let maintaining = false;
  const maintain = async () => {
    if (maintaining) return;
    maintaining = true;
    try {
      const r = await maintainCache(cacheDir, { renderCacheMaxBytes: (cfg.cacheMaxMb ?? 10_240) * 2 ** 20, mirrorMaxAgeMs: (cfg.mirrorMaxAgeDays ?? 14) * 86_400_000 });
      if (r.renderFilesRemoved || r.mirrorsRemoved) log.info({ cache: r }, 'cache pruned');
    } catch (err) {
      log.warn({ err: redact((err as Error).message) }, 'cache maintenance failed');
    } finally {
      maintaining = false;
    }
  };
  const maintainTimer = setInterval(() => void maintain(), MAINTAIN_EVERY_MS).unref();
  // Deliveries are counted when the response is sent; the sink says what became of each.
  const delivery = new AsyncLocalStorage<{ outcome?: string; id?: string }>();
  const sink = {
    firstDelivery: async (id: string | undefined) => {
      const first = await queue.firstDelivery(id);
      const d = delivery.getStore();
      if (d && !first) d.outcome = 'duplicate';
      if (d && first && id) d.id = id;
      return first;
    },
    handle: async (event: BotEvent) => {
      const d = delivery.getStore();
      if (d) d.outcome = 'queued';
      await handleEvent(queue, event);
      // Only now is the delivery's id kept for the full time (see JobQueue.deliveryQueued).
      if (d?.id) await queue.deliveryQueued?.(d.id);
    },
  };
  const github = cfg.github ? await gitHubApp(cfg.github, log, sink, (status, left) => {
    metrics.forgeCalls.inc({ forge: 'github', status: String(status) });
    if (left !== null) metrics.rateLimitRemaining.set({ forge: 'github' }, left);
  }) : null;
  if (github) forges.register('github', github.forges);
  if (cfg.gitlab) {
    forges.register('gitlab', gitLabForges(cfg.gitlab, (status, left) => {
      metrics.forgeCalls.inc({ forge: 'gitlab', status: String(status) });
      if (left !== null) metrics.rateLimitRemaining.set({ forge: 'gitlab' }, left);
    }));
  }
  // Opened only once every forge is registered: a Redis queue starts running the jobs
  // other replicas left in Redis at once, and a job whose forge is not there yet fails.
  let redisQueue: { ping(): Promise<boolean> } | null = null;
  if (cfg.redisUrl) {
    // Loaded only here: a server without REDIS_URL never loads bullmq or ioredis.
    const { openRedisQueue } = await import('./runtime/redis-queue.js');
    const rq = await openRedisQueue<JobSpec>(cfg.redisUrl, runner, {
      ...queueOptions,
      prefix: cfg.redisPrefix,
      redact,
      onConnectionError: (err) => log.warn({ err: redact(err.message) }, 'Redis connection error'),
      onRetry: (err, job, attempt, delayMs) => {
        const e = err as Error & { status?: number };
        metrics.jobRetries.inc({ kind: job.kind });
        jobLog.warn({ job: job.key, kind: job.kind, status: e.status, attempt, delayMs }, 'job will be retried');
      },
    });
    redisQueue = rq;
    queue = rq;
    // Every replica sees the promotions waiting for gates, and a restart keeps them.
    deps.waiting = new SharedWaiting(rq.sharedSet('waiting', WAITING_PER_REPOSITORY));
    log.info({ prefix: cfg.redisPrefix ?? 'ferry' }, 'job queue: BullMQ on Redis');
  } else {
    queue = new MemoryQueue<JobSpec>(runner, queueOptions);
  }
  metrics.watchQueue(queue);
  const gitlabLog = log.child({ name: 'gitlab' });
  let stopping = false;
  const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const healthz = async (res: ServerResponse) => {
    json(res, 200, { status: 'ok', jobs: await queue.size(), outcomes: Object.fromEntries(outcomes), failures: Object.fromEntries(failures), sandbox: sandboxState });
  };
  // Ready: this replica should get webhooks. Not while it shuts down, without its
  // workers, or without the Redis its queue lives in.
  const readyz = async (res: ServerResponse) => {
    const checks: Record<string, boolean> = { accepting: !stopping, engine: engine.up };
    if (redisQueue) checks.redis = await redisQueue.ping();
    const ready = Object.values(checks).every(Boolean);
    json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks });
  };
  const metricsText = async (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': metrics.contentType() }).end(await metrics.text());
  };
  const PROBES = new Set(['/healthz', '/readyz', '/metrics']);
  const maxBody = cfg.maxBodyBytes ?? parseMaxBodyBytes(undefined);
  const httpLog = log.child({ name: 'http' });
  // Our own HTTP server rather than Probot's: the body cap has to run before Probot's
  // webhook middleware, which reads the whole body before it checks the signature.
  const http = createServer((req, res) => {
    const started = performance.now();
    const path = pathOf(req.url);
    const d: { outcome?: string } = {};
    res.on('finish', () => {
      const line = `${req.method} ${req.url} ${res.statusCode} - ${Math.round(performance.now() - started)}ms`;
      // Probes come every few seconds from every kubelet and scraper: not worth an info line each.
      if (req.method === 'GET' && PROBES.has(path)) httpLog.debug(line);
      else httpLog.info({ delivery: req.headers['x-github-delivery'] }, line);
      if (req.method !== 'POST') return;
      const forge = path === GITHUB_WEBHOOK_PATH ? 'github' : path === GITLAB_WEBHOOK_PATH ? 'gitlab' : null;
      if (!forge) return;
      const event = deliveryEvent(forge, (forge === 'github' ? req.headers['x-github-event'] : req.headers['x-gitlab-event']));
      const outcome = d.outcome ?? (res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'refused' : 'ignored');
      metrics.deliveries.inc({ forge, event, outcome });
    });
    void delivery.run(d, async () => {
      if (req.method === 'GET' && path === '/healthz') return healthz(res);
      if (req.method === 'GET' && path === '/readyz') return readyz(res);
      if (req.method === 'GET' && path === '/metrics') return metricsText(res);
      if (req.method === 'POST' && path === GITHUB_WEBHOOK_PATH && github) {
        const body = await readBodyCapped(req, res, maxBody);
        if (body === null) {
          httpLog.warn({ delivery: req.headers['x-github-delivery'], maxBody }, 'webhook body over the size cap refused');
          return;
        }
        // @octokit/webhooks takes a body already read from `req.body` instead of the stream.
        (req as IncomingMessage & { body?: string }).body = body.toString('utf8');
        if (await github.handle(req, res)) return;
      }
      if (req.method === 'POST' && path === GITLAB_WEBHOOK_PATH && cfg.gitlab) {
        const delivery = req.headers['idempotency-key'] ?? req.headers['x-gitlab-event-uuid'];
        // The token is checked before the body is read: a stranger's body is not worth reading.
        if (!tokenMatches(req.headers['x-gitlab-token'], cfg.gitlab.webhookSecret)) {
          gitlabLog.warn({ delivery }, 'webhook with a wrong or missing X-Gitlab-Token refused');
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid X-Gitlab-Token"}');
          return;
        }
        const body = await readBodyCapped(req, res, maxBody);
        if (body === null) {
          gitlabLog.warn({ delivery, maxBody }, 'webhook body over the size cap refused');
          return;
        }
        const out = await receiveGitLab(req.headers, body, { secret: cfg.gitlab.webhookSecret, host: cfg.gitlab.url, sink });
        gitlabLog.info({ delivery, event: req.headers['x-gitlab-event'], result: out.result, reason: out.reason }, 'delivery');
        res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify({ result: out.result, ...(out.reason ? { reason: out.reason } : {}) }));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    }).catch((err: Error) => {
      log.error({ err: err.message }, 'request failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  // Forges and load balancers keep connections open between deliveries. Closing an idle
  // one first (Node's default is after 5 s) races the client's next request on it, which
  // then fails with ECONNRESET; load balancers' own idle timeouts are commonly 60 s.
  http.keepAliveTimeout = 65_000;
  http.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen({ port: cfg.port, host: cfg.host }, () => resolve());
  });
  const addr = http.address();
  const port = typeof addr === 'object' && addr ? addr.port : cfg.port;
  return {
    url: `http://${cfg.host === '0.0.0.0' ? '127.0.0.1' : cfg.host}:${port}`,
    queue,
    outcomes,
    failures,
    metrics,
    async stop(timeoutMs = 30_000) {
      stopping = true;
      clearInterval(maintainTimer);
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await queue.close(timeoutMs);
      await engine.close();
    },
  };
}

/** A request's path as the webhook routers match it: query and trailing slashes do not count. */
function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '') || '/';
  } catch {
    return '';
  }
}

function isEntryPoint(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  let cfg: ServerConfig;
  try {
    cfg = configFromEnv();
  } catch (err) {
    process.stderr.write(`ferry: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const running = await startServer(cfg);
  process.stderr.write(`ferry: listening on ${running.url}\n`);
  stopOnSignals((graceMs) => running.stop(graceMs), { graceMs: graceFromEnv() });
}
