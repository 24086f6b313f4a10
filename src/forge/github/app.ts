import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { createNodeMiddleware, Probot, ProbotOctokit } from 'probot';
import type { ApiObserver, Forge, ForgeRef } from '../types.js';
import { gitHubIngress, type EventSink } from './ingress.js';
import { gitHubForges } from './registry.js';

export const GITHUB_WEBHOOK_PATH = '/api/github/webhooks';

export interface GitHubAppConfig {
  appId: string;
  privateKey: string;
  webhookSecret: string;
  /** GitHub Enterprise Server API root, e.g. https://ghe.example.com/api/v3. */
  baseUrl?: string;
  /** Octokit plugin options merged into Probot's (tests shorten retries, turn off throttling). */
  octokit?: { retry?: object; throttle?: object };
}

export interface GitHubApp {
  /** Serves the webhook path (signature verified by Probot); false for any other request. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Forges for jobs that name an installation. */
  forges: (ref: Extract<ForgeRef, { kind: 'github' }>) => Promise<Forge>;
}

/** The GitHub side of the server: Probot for webhooks and Octokit, and nothing of the bot's rules. */
export async function gitHubApp(cfg: GitHubAppConfig, log: Logger, sink: EventSink, observe?: ApiObserver): Promise<GitHubApp> {
  // Function-form defaults: Probot passes its own throttle options per instance, and an
  // object default would be replaced by them instead of merged.
  const Octokit = ProbotOctokit.defaults((instance: Record<string, any>) => ({ // eslint-disable-line @typescript-eslint/no-explicit-any
    ...instance,
    ...(cfg.baseUrl ? { baseUrl: cfg.baseUrl } : {}),
    ...Object.fromEntries(Object.entries(cfg.octokit ?? {}).map(([k, v]) => [k, { ...(instance[k] ?? {}), ...(v as object) }])),
  })).plugin((octokit) => {
    if (!observe) return {};
    // Every request's answer by status, and the rate-limit budget when GitHub sent it.
    const left = (headers: Record<string, unknown> | undefined) => {
      const n = Number(headers?.['x-ratelimit-remaining'] ?? NaN);
      return Number.isFinite(n) ? n : null;
    };
    octokit.hook.wrap('request', async (request, options) => {
      try {
        const res = await request(options);
        observe(res.status, left(res.headers as Record<string, unknown>));
        return res;
      } catch (err) {
        const e = err as { status?: number; response?: { headers?: Record<string, unknown> } };
        observe(typeof e.status === 'number' ? e.status : 0, left(e.response?.headers));
        throw err;
      }
    });
    return {};
  });
  const probot = new Probot({
    appId: cfg.appId,
    privateKey: cfg.privateKey,
    secret: cfg.webhookSecret,
    Octokit,
    log,
    ...(cfg.baseUrl ? { baseUrl: cfg.baseUrl } : {}),
  });
  const handle = await createNodeMiddleware((app) => gitHubIngress(sink)(app), { probot, webhooksPath: GITHUB_WEBHOOK_PATH });
  return { handle: async (req, res) => !!(await handle(req, res)), forges: gitHubForges(probot) };
}
