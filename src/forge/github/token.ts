import { ProbotOctokit } from 'probot';
import type { Forge } from '../types.js';
import { GitHubForge } from './forge.js';

export interface TokenForgeOptions {
  /** A workflow's GITHUB_TOKEN (or another installation token): never logged, never in an error. */
  token: string;
  /** The REST API root: `GITHUB_API_URL` (https://api.github.com, or https://HOST/api/v3). */
  apiUrl: string;
  /** The web host for links to files: `GITHUB_SERVER_URL`. */
  webUrl: string;
  /**
   * The login the token writes comments as. A GITHUB_TOKEN cannot ask (`GET /user` and
   * `GET /app` refuse it); it is always `github-actions[bot]`.
   */
  login: string;
}

/**
 * A GitHub forge for one workflow run: the same adapter the App uses, authenticated with
 * a token the runner was given instead of one minted for an App installation.
 */
export function gitHubTokenForge(opts: TokenForgeOptions): Forge {
  const octokit = new ProbotOctokit({
    auth: { token: opts.token },
    baseUrl: opts.apiUrl.replace(/\/+$/, ''),
    // A run is short: a rate limit is reported, not slept through.
    throttle: { enabled: false },
  });
  return new GitHubForge(octokit, async () => opts.login, async () => opts.token, opts.webUrl);
}
