import { appendFile, readFile } from 'node:fs/promises';
import { gitHubTokenForge } from '../forge/github/token.js';
import { CI_EXIT, FAIL_ON, runCi, scrub, type FailOn } from './run.js';
import { presentStrings } from '../util/present.js';

type Env = Record<string, string | undefined>;

/** What the action reads of a `pull_request` (or `pull_request_target`) event. */
interface PullRequestEvent {
  pull_request?: {
    number: number;
    base: { sha: string; repo: { full_name: string; html_url?: string; clone_url?: string; ssh_url?: string } };
    head: { sha: string };
  };
}

/**
 * The GitHub Action (action.yml): plans the pull request of the workflow's event and
 * writes the App's sticky comment with the workflow's token. Inputs arrive as FERRY_*
 * variables (action.yml maps them), the run's context as GitHub's GITHUB_* variables.
 */
export async function githubAction(env: Env, err: (s: string) => void): Promise<number> {
  const token = env.FERRY_TOKEN;
  const log = (line: string) => err(`${scrub(line, [token])}\n`);
  const failOn = (env.FERRY_FAIL_ON || 'error') as FailOn;
  if (!FAIL_ON.includes(failOn)) {
    log(`ferry: fail-on must be one of ${FAIL_ON.join(', ')}, got "${failOn}"`);
    return CI_EXIT.usage;
  }
  if (!env.GITHUB_EVENT_PATH) {
    log('ferry: GITHUB_EVENT_PATH is not set: this runs in a GitHub Actions workflow');
    return CI_EXIT.usage;
  }
  const event = JSON.parse(await readFile(env.GITHUB_EVENT_PATH, 'utf8')) as PullRequestEvent;
  const pull = event.pull_request;
  if (!pull) {
    log(`ferry: the ${env.GITHUB_EVENT_NAME ?? ''} event has no pull request: run this action on pull_request events`);
    return CI_EXIT.usage;
  }
  const comment = env.FERRY_COMMENT !== 'false';
  if (comment && !token) {
    log('ferry: no token: set the `token` input (default: the workflow\'s GITHUB_TOKEN), or `comment: false`');
    return CI_EXIT.usage;
  }
  const forge = gitHubTokenForge({
    token: token ?? '',
    apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
    webUrl: env.GITHUB_SERVER_URL || 'https://github.com',
    login: env.FERRY_BOT_LOGIN || 'github-actions[bot]',
  });
  const sarifFile = env.FERRY_SARIF_FILE === undefined ? 'ferry.sarif' : env.FERRY_SARIF_FILE;
  const dir = env.GITHUB_WORKSPACE || process.cwd();
  // The event's own URLs, and the server's (Enterprise hosts included) should the event lack them.
  const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
  const repositoryURLs = presentStrings([pull.base.repo.html_url, pull.base.repo.clone_url, pull.base.repo.ssh_url, `${server}/${pull.base.repo.full_name}`]);
  const outcome = await runCi({
    forge,
    repo: { forge: 'github', path: pull.base.repo.full_name },
    number: pull.number,
    dir,
    base: pull.base.sha,
    head: pull.head.sha,
    env: env.FERRY_ENVIRONMENT,
    configFile: env.FERRY_CONFIG || undefined,
    failOn,
    sarifFile: sarifFile || undefined,
    comment,
    cacheDir: env.FERRY_CACHE_DIR || undefined,
    repositoryURLs,
    log,
  });
  if (env.GITHUB_OUTPUT) {
    // No path when no report was written (a config error): the upload step is skipped then.
    const sarif = outcome.reports.includes(sarifFile) ? sarifFile : '';
    const lines = [`errors=${outcome.errors}`, `warnings=${outcome.warnings}`, `comment=${outcome.comment}`, `sarif-file=${sarif}`];
    await appendFile(env.GITHUB_OUTPUT, lines.join('\n') + '\n');
  }
  return outcome.code;
}
