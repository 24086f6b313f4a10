import { GitLabForge } from '../forge/gitlab/forge.js';
import { gitLabClient } from '../forge/gitlab/client.js';
import { gitLabSelf } from '../forge/gitlab/self.js';
import { CI_EXIT, FAIL_ON, runCi, scrub, type FailOn } from './run.js';
import { presentStrings } from '../util/present.js';

type Env = Record<string, string | undefined>;

/**
 * The GitLab CI job (ci/gitlab/ferry.yml) in a merge request pipeline: plans from the
 * merge request's diff base to the commit the pipeline runs for and writes the App's
 * sticky note with a token from a CI/CD variable. CI_JOB_TOKEN cannot write notes.
 */
export async function gitlabJob(env: Env, err: (s: string) => void): Promise<number> {
  const token = env.FERRY_GITLAB_TOKEN;
  const log = (line: string) => err(`${scrub(line, [token, env.CI_JOB_TOKEN])}\n`);
  const failOn = (env.FERRY_FAIL_ON || 'error') as FailOn;
  if (!FAIL_ON.includes(failOn)) {
    log(`ferry: fail-on must be one of ${FAIL_ON.join(', ')}, got "${failOn}"`);
    return CI_EXIT.usage;
  }
  const iid = Number(env.CI_MERGE_REQUEST_IID);
  const base = env.CI_MERGE_REQUEST_DIFF_BASE_SHA;
  // In a merged results pipeline CI_COMMIT_SHA is GitLab's merge of source into target;
  // the change itself is the source branch's commit.
  const head = env.CI_MERGE_REQUEST_SOURCE_BRANCH_SHA || env.CI_COMMIT_SHA;
  const project = env.CI_MERGE_REQUEST_PROJECT_PATH || env.CI_PROJECT_PATH;
  if (!Number.isInteger(iid) || iid <= 0 || !base || !head || !project) {
    log('ferry: not a merge request pipeline (CI_MERGE_REQUEST_IID, CI_MERGE_REQUEST_DIFF_BASE_SHA are unset): add `rules: - if: $CI_PIPELINE_SOURCE == "merge_request_event"`');
    return CI_EXIT.usage;
  }
  const comment = env.FERRY_COMMENT !== 'false';
  if (comment && !token) {
    log('ferry: FERRY_GITLAB_TOKEN is not set: add a masked CI/CD variable with a project access token (scope api, role Reporter or higher), or set the comment input to false');
    return CI_EXIT.usage;
  }
  const url = (env.CI_SERVER_URL || 'https://gitlab.com').replace(/\/+$/, '');
  const client = gitLabClient({ url, token: token ?? '' });
  const forge = new GitLabForge({ url, token: token ?? '', client, self: gitLabSelf(client) });
  // Not CI_REPOSITORY_URL: it carries the job token.
  const sshHost = env.CI_SERVER_SHELL_SSH_HOST;
  const repositoryURLs = presentStrings([env.CI_MERGE_REQUEST_PROJECT_URL, `${url}/${project}`, sshHost ? `git@${sshHost}:${project}.git` : undefined]);
  const junitFile = env.FERRY_JUNIT_FILE === undefined ? 'ferry-junit.xml' : env.FERRY_JUNIT_FILE;
  const outcome = await runCi({
    forge,
    repo: { forge: 'gitlab', path: project, ...(Number(env.CI_MERGE_REQUEST_PROJECT_ID || env.CI_PROJECT_ID) > 0 ? { id: Number(env.CI_MERGE_REQUEST_PROJECT_ID || env.CI_PROJECT_ID) } : {}) },
    number: iid,
    dir: env.CI_PROJECT_DIR || process.cwd(),
    base,
    head,
    env: env.FERRY_ENVIRONMENT,
    configFile: env.FERRY_CONFIG || undefined,
    failOn,
    junitFile: junitFile || undefined,
    sarifFile: env.FERRY_SARIF_FILE || undefined,
    comment,
    cacheDir: env.FERRY_CACHE_DIR || undefined,
    repositoryURLs,
    log,
  });
  return outcome.code;
}
