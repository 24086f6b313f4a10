import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PLAN_MARKER } from '../../src/report/plan.js';
import { example } from '../helpers/github.js';
import { tempDir, type TestRepo } from '../helpers/gitrepo.js';
import { LoopbackGitHub } from '../helpers/loopback-github.js';
import { sarifValidator } from '../helpers/sarif.js';
import { cm, smallRepo } from '../cli/helpers.js';
import { argoApp } from '../helpers/argo.js';
import { ferryCi } from './helpers.js';

const PRIVILEGED = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\n  namespace: prod\nspec:\n  containers:\n    - name: sh\n      image: busybox:1.36\n      securityContext:\n        privileged: true\n';
const secret = (v: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${v}\n`;
/** Shaped like a GITHUB_TOKEN (ghs_ + 36), different in every run. */
const TOKEN = `ghs_${randomBytes(18).toString('hex')}`;

let gh: LoopbackGitHub;
const repos: TestRepo[] = [];

/**
 * A GitOps repository with a pull request: `feature` adds a privileged Pod (an error
 * finding) and changes a Secret, and the pull_request "opened" event from
 * @octokit/webhooks-examples points at its two commits.
 */
function pullRequest(config?: string) {
  const { r, first } = smallRepo(config);
  repos.push(r);
  r.write({ 'apps/app-1/secret.yaml': secret('old-secret-value-1') });
  const base = r.commit('secret');
  r.git('checkout', '--quiet', 'feature');
  r.git('merge', '--quiet', '--no-edit', 'main');
  r.write({ 'apps/app-2/pod.yaml': PRIVILEGED, 'apps/app-1/secret.yaml': secret('new-secret-value-2') });
  const head = r.commit('privileged pod');
  const event = example('pull_request', (p) => p.action === 'opened');
  event.pull_request.base.sha = base;
  event.pull_request.head.sha = head;
  const number = event.pull_request.number as number;
  gh.pulls.set(number, event.pull_request);
  const eventFile = path.join(tempDir('ferry-event-'), 'event.json');
  writeFileSync(eventFile, JSON.stringify(event));
  void first;
  return { r, base, head, number, event, eventFile };
}

function actionEnv(pr: ReturnType<typeof pullRequest>, extra: Record<string, string> = {}) {
  const out = path.join(tempDir('ferry-gh-output-'), 'output');
  writeFileSync(out, '');
  return {
    out,
    env: {
      GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: pr.eventFile, GITHUB_API_URL: gh.url, GITHUB_SERVER_URL: 'https://github.example',
      GITHUB_WORKSPACE: pr.r.dir, GITHUB_OUTPUT: out, FERRY_TOKEN: TOKEN, ...extra,
    },
  };
}

beforeAll(async () => {
  gh = await LoopbackGitHub.start('Codertocat', 'Hello-World', TOKEN);
});
afterEach(() => {
  gh.comments.length = 0;
  gh.requests.length = 0;
  gh.refuseWrites = null;
  expect(gh.unrouted).toEqual([]);
});
afterAll(async () => {
  await gh.close();
  repos.forEach((r) => r.cleanup());
});

describe('the GitHub Action entry against GitHub on loopback', () => {
  it('writes one sticky comment, updates it on the next push without a duplicate, writes valid SARIF, fails on the error', async () => {
    const pr = pullRequest();
    const { env, out } = actionEnv(pr);
    const first = await ferryCi('github', env, pr.r.dir);
    expect(first.code, first.err).toBe(1);
    const comments = gh.commentsOn(pr.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body.startsWith(PLAN_MARKER)).toBe(true);
    expect(comments[0]!.body).toContain('app-2');
    // Without check-run annotations the comment links each finding to its line at the head.
    expect(comments[0]!.body).toContain(`https://github.example/Codertocat/Hello-World/blob/${pr.head}/apps/app-2/pod.yaml#L11`);
    expect(readFileSync(out, 'utf8')).toMatch(/^errors=1\nwarnings=\d+\ncomment=written\nsarif-file=ferry.sarif\n$/);

    const sarif = JSON.parse(readFileSync(path.join(pr.r.dir, 'ferry.sarif'), 'utf8'));
    const validate = sarifValidator();
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    expect(sarif.runs[0].results).toContainEqual(expect.objectContaining({
      ruleId: 'privileged', level: 'error',
      locations: [expect.objectContaining({ physicalLocation: expect.objectContaining({ artifactLocation: expect.objectContaining({ uri: 'apps/app-2/pod.yaml' }) }) })],
    }));

    // A second push: the same comment is edited, no second one appears.
    pr.r.write({ 'apps/app-10/cm.yaml': cm('ten', 'pushed-again') });
    const next = pr.r.commit('second push');
    pr.event.pull_request.head.sha = next;
    writeFileSync(pr.eventFile, JSON.stringify(pr.event));
    const id = comments[0]!.id;
    const second = await ferryCi('github', actionEnv(pr).env, pr.r.dir);
    expect(second.code, second.err).toBe(1);
    expect(gh.commentsOn(pr.number).map((c) => c.id)).toEqual([id]);
    expect(gh.commentsOn(pr.number)[0]!.body).toContain('app-10');
    expect(gh.requests.filter((q) => q.method === 'PATCH')).toHaveLength(1);
    expect(gh.requests.filter((q) => q.method === 'POST')).toHaveLength(1);

    // Secret values are masked in the comment and the report; the token is nowhere.
    for (const text of [first.out, first.err, second.out, second.err, gh.commentsOn(pr.number)[0]!.body, JSON.stringify(sarif), readFileSync(out, 'utf8')]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('new-secret-value-2');
      expect(text).not.toContain('old-secret-value-1');
    }
  });

  it('fail-on: never passes with errors; warning fails on a warning that error lets through', async () => {
    const pr = pullRequest('environments:\n  - name: prod\n    path: apps\nvalidate:\n  rules: { privileged: warning }\n');
    expect((await ferryCi('github', actionEnv(pr, { FERRY_FAIL_ON: 'error' }).env, pr.r.dir)).code).toBe(0);
    expect((await ferryCi('github', actionEnv(pr, { FERRY_FAIL_ON: 'warning' }).env, pr.r.dir)).code).toBe(1);
    const strict = pullRequest();
    expect((await ferryCi('github', actionEnv(strict, { FERRY_FAIL_ON: 'never' }).env, strict.r.dir)).code).toBe(0);
    const bad = await ferryCi('github', actionEnv(strict, { FERRY_FAIL_ON: 'sometimes' }).env, strict.r.dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('fail-on must be one of error, warning, never');
  });

  it('the config and environment inputs reach the plan', async () => {
    const pr = pullRequest();
    const cfg = path.join(pr.r.dir, 'ci-ferry.yml');
    writeFileSync(cfg, 'environments:\n  - name: prod\n    path: apps\nvalidate:\n  rules: { privileged: off }\n');
    const res = await ferryCi('github', actionEnv(pr, { FERRY_CONFIG: 'ci-ferry.yml', FERRY_ENVIRONMENT: 'prod' }).env, pr.r.dir);
    expect(res.code, res.err).toBe(0);
    // An environment the config does not have is the CLI's usage error; no report, so no upload.
    const bad = actionEnv(pr, { FERRY_ENVIRONMENT: 'staging' });
    const unknown = await ferryCi('github', bad.env, pr.r.dir);
    expect(unknown.code).toBe(2);
    expect(readFileSync(bad.out, 'utf8')).toContain('sarif-file=\n');
  });

  it('a refused comment (a fork\'s read-only token) is logged without the token, and the findings still decide the status', async () => {
    const pr = pullRequest();
    gh.refuseWrites = 403;
    const res = await ferryCi('github', actionEnv(pr).env, pr.r.dir);
    expect(res.code).toBe(1);
    expect(res.err).toContain('could not write the plan comment (HTTP 403)');
    expect(gh.commentsOn(pr.number)).toEqual([]);
    expect(res.err + res.out).not.toContain(TOKEN);
  });

  it('a run for an older commit leaves the comment to the newer one', async () => {
    const pr = pullRequest();
    gh.pulls.get(pr.number)!.head = { ...gh.pulls.get(pr.number)!.head, sha: 'f'.repeat(40) };
    const res = await ferryCi('github', actionEnv(pr).env, pr.r.dir);
    expect(res.code).toBe(1);
    expect(res.err).toContain('has a newer commit');
    expect(gh.commentsOn(pr.number)).toEqual([]);
  });

  it("tells this repository's Argo CD sources from another's by the event's repository URLs", async () => {
    const pr = pullRequest();
    const source = (url: string, dir: string) => `  source:\n    repoURL: ${url}\n    path: ${dir}\n  destination:\n    namespace: web\n`;
    pr.r.write({
      // The event's base repository is Codertocat/Hello-World (html_url, clone_url, ssh_url).
      'apps/argo/mine.yaml': argoApp('mine', source('git@github.com:codertocat/hello-world.git', 'apps/app-1')),
      'apps/argo/theirs.yaml': argoApp('theirs', source('https://github.com/Codertocat/Other.git', 'apps/app-10')),
    });
    pr.event.pull_request.head.sha = pr.r.commit('applications');
    gh.pulls.set(pr.number, pr.event.pull_request);
    writeFileSync(pr.eventFile, JSON.stringify(pr.event));
    const { env } = actionEnv(pr, { FERRY_COMMENT: 'false', FERRY_FAIL_ON: 'never' });
    const run = await ferryCi('github', env, pr.r.dir);
    expect(run.code, run.err).toBe(0);
    const messages = (JSON.parse(readFileSync(path.join(pr.r.dir, 'ferry.sarif'), 'utf8')).runs[0].results as { message: { text: string } }[]).map((r) => r.message.text);
    expect(messages.filter((m) => /another repository|assumed to be this repository/.test(m))).toEqual([
      expect.stringContaining('repoURL https://github.com/Codertocat/Other.git is another repository: its path "apps/app-10" is not rendered offline'),
    ]);
  });
});
