import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PLAN_MARKER } from '../../src/report/plan.js';
import { REPO_ROOT } from '../helpers/bin.js';
import { FakeGitLab, type Project } from '../helpers/fake-gitlab.js';
import type { TestRepo } from '../helpers/gitrepo.js';
import { cm, smallRepo } from '../cli/helpers.js';
import { argoApp } from '../helpers/argo.js';
import { ferryCi } from './helpers.js';

const PRIVILEGED = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\n  namespace: prod\nspec:\n  containers:\n    - name: sh\n      image: busybox:1.36\n      securityContext:\n        privileged: true\n';
const TOKEN = 'glpat-ci-test-7c1d9e2f4a';
/** A job token has no documented prefix the log redaction knows: it must still never show. */
const JOB_TOKEN = 'job-token-5b8e11aa90cc';
const NOTE_EDIT = 'PUT /projects/:id/merge_requests/:merge_request_iid/notes/:note_id' as const;
const NOTE_CREATE = 'POST /projects/:id/merge_requests/:merge_request_iid/notes' as const;

let gl: Awaited<ReturnType<typeof FakeGitLab.serve>>;
let project: Project;
const repos: TestRepo[] = [];

beforeAll(async () => {
  gl = await FakeGitLab.serve(TOKEN, 'project_7_bot_ferry');
  project = gl.addProject('acme/platform/gitops');
});
afterEach(() => {
  expect(gl.unrouted).toEqual([]);
});
afterAll(async () => {
  await gl.stop();
  repos.forEach((r) => r.cleanup());
});

let nextIid = 1;
/** A merge request whose source branch adds a privileged Pod (an error finding). */
function mergeRequest() {
  const { r, first } = smallRepo();
  repos.push(r);
  r.git('checkout', '--quiet', 'feature');
  r.write({ 'apps/app-2/pod.yaml': PRIVILEGED });
  const head = r.commit('privileged pod');
  const mr = gl.addMergeRequest(project, { iid: nextIid++, sha: head, base_sha: first, start_sha: first });
  return { r, base: first, head, mr };
}

const jobEnv = (m: ReturnType<typeof mergeRequest>, extra: Record<string, string> = {}) => ({
  CI: 'true', GITLAB_CI: 'true', CI_SERVER_URL: gl.url, CI_PROJECT_PATH: project.path, CI_PROJECT_ID: String(project.id), CI_PROJECT_DIR: m.r.dir,
  CI_PIPELINE_SOURCE: 'merge_request_event', CI_MERGE_REQUEST_IID: String(m.mr.iid), CI_MERGE_REQUEST_DIFF_BASE_SHA: m.base, CI_COMMIT_SHA: m.mr.sha,
  FERRY_GITLAB_TOKEN: TOKEN, CI_JOB_TOKEN: JOB_TOKEN, ...extra,
});

describe('the GitLab CI entry against GitLab on loopback', () => {
  it('writes one sticky note, edits it on the next push, writes the JUnit report, fails on the error; no token in the log', async () => {
    const m = mergeRequest();
    const first = await ferryCi('gitlab', jobEnv(m), m.r.dir);
    expect(first.code, first.err).toBe(1);
    const notes = gl.notesOf(project, m.mr.iid);
    expect(notes).toHaveLength(1);
    expect(notes[0]!.author).toBe('project_7_bot_ferry');
    expect(notes[0]!.body.startsWith(PLAN_MARKER)).toBe(true);
    expect(notes[0]!.body).toContain(`${gl.url}/acme/platform/gitops/-/blob/${m.head}/apps/app-2/pod.yaml#L11`);
    const junit = readFileSync(path.join(m.r.dir, 'ferry-junit.xml'), 'utf8');
    expect(junit).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /);
    expect(junit).toMatch(/<testcase classname="ferry.prod" name="app-2" file="apps\/app-2">\n {6}<failure message="1 error\(s\): [^"]*privileged/);

    m.r.write({ 'apps/app-10/cm.yaml': cm('ten', 'pushed-again') });
    m.mr.sha = m.r.commit('second push');
    const second = await ferryCi('gitlab', jobEnv(m), m.r.dir);
    expect(second.code, second.err).toBe(1);
    expect(gl.notesOf(project, m.mr.iid).map((n) => n.id)).toEqual([notes[0]!.id]);
    expect(gl.notesOf(project, m.mr.iid)[0]!.body).toContain('app-10');
    expect(gl.count(NOTE_CREATE)).toBe(1);
    expect(gl.count(NOTE_EDIT)).toBe(1);
    for (const text of [first.out, first.err, second.out, second.err, gl.notesOf(project, m.mr.iid)[0]!.body, junit]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(JOB_TOKEN);
    }
  });

  it('fail-on never passes; a wrong token fails the comment, not the job, and is not printed', async () => {
    const m = mergeRequest();
    expect((await ferryCi('gitlab', jobEnv(m, { FERRY_FAIL_ON: 'never' }), m.r.dir)).code).toBe(0);
    const wrong = await ferryCi('gitlab', jobEnv(m, { FERRY_GITLAB_TOKEN: 'glpat-wrong-token-000000' }), m.r.dir);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('could not write the plan comment');
    expect(wrong.err).not.toContain('glpat-wrong-token-000000');
  });

  it("tells the project's Argo CD sources from another's by the project's URLs, never CI_REPOSITORY_URL's token", async () => {
    const m = mergeRequest();
    const source = (url: string, dir: string) => `  source:\n    repoURL: ${url}\n    path: ${dir}\n  destination:\n    namespace: web\n`;
    const host = new URL(gl.url).hostname;
    m.r.write({
      'apps/argo/mine.yaml': argoApp('mine', source(`git@${host}:acme/platform/gitops.git`, 'apps/app-1')),
      'apps/argo/theirs.yaml': argoApp('theirs', source('https://gitlab.example.com/acme/other.git', 'apps/app-10')),
    });
    m.mr.sha = m.r.commit('applications');
    const run = await ferryCi('gitlab', jobEnv(m, {
      FERRY_COMMENT: 'false', FERRY_FAIL_ON: 'never', FERRY_SARIF_FILE: 'ferry.sarif',
      CI_REPOSITORY_URL: `https://gitlab-ci-token:${JOB_TOKEN}@${host}/acme/platform/gitops.git`,
    }), m.r.dir);
    expect(run.code, run.err).toBe(0);
    const sarif = readFileSync(path.join(m.r.dir, 'ferry.sarif'), 'utf8');
    const messages = (JSON.parse(sarif).runs[0].results as { message: { text: string } }[]).map((r) => r.message.text);
    expect(messages.filter((t) => /another repository|assumed to be this repository/.test(t))).toEqual([
      expect.stringContaining('repoURL https://gitlab.example.com/acme/other.git is another repository: its path "apps/app-10" is not rendered offline'),
    ]);
    expect(sarif + run.out + run.err).not.toContain(JOB_TOKEN);
  });

  it('outside a merge request pipeline it says what to add, exit 2', async () => {
    const m = mergeRequest();
    const res = await ferryCi('gitlab', jobEnv(m, { CI_MERGE_REQUEST_IID: '', CI_PIPELINE_SOURCE: 'push' }), m.r.dir);
    expect(res.code).toBe(2);
    expect(res.err).toContain('merge_request_event');
  });
});

/**
 * Job keywords from GitLab's CI/CD YAML reference (https://docs.gitlab.com/ci/yaml/,
 * "Job keywords"), and the keys of the ones the template nests.
 */
const JOB_KEYWORDS = new Set([
  'after_script', 'allow_failure', 'artifacts', 'before_script', 'cache', 'coverage', 'dast_configuration', 'dependencies', 'environment', 'extends', 'hooks',
  'identity', 'id_tokens', 'image', 'inherit', 'interruptible', 'manual_confirmation', 'needs', 'pages', 'parallel', 'release', 'resource_group', 'retry', 'rules',
  'run', 'script', 'secrets', 'services', 'stage', 'tags', 'timeout', 'trigger', 'variables', 'when',
]);
const ARTIFACTS_KEYS = new Set(['paths', 'exclude', 'expire_in', 'expose_as', 'name', 'public', 'access', 'reports', 'untracked', 'when']);
const CACHE_KEYS = new Set(['paths', 'key', 'untracked', 'unprotect', 'when', 'policy', 'fallback_keys']);
const RULES_KEYS = new Set(['if', 'changes', 'exists', 'when', 'allow_failure', 'needs', 'variables', 'interruptible']);
/** spec:inputs keys (https://docs.gitlab.com/ci/inputs/). */
const INPUT_KEYS = new Set(['default', 'description', 'options', 'regex', 'type', 'rules']);

describe('ci/gitlab/ferry.yml', () => {
  const text = readFileSync(path.join(REPO_ROOT, 'ci', 'gitlab', 'ferry.yml'), 'utf8');
  const docs = parseAllDocuments(text);
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

  it('is a spec header and a job that uses only GitLab CI keywords', () => {
    expect(Array.isArray(docs)).toBe(true);
    const [header, body] = docs as Array<ReturnType<typeof parseAllDocuments> extends Array<infer D> ? D : never>;
    expect(docs).toHaveLength(2);
    for (const d of docs as any[]) expect(d.errors).toEqual([]);
    const spec = (header as any).toJS().spec;
    expect(Object.keys((header as any).toJS())).toEqual(['spec']);
    for (const [name, input] of Object.entries(spec.inputs as Record<string, Record<string, unknown>>)) {
      for (const k of Object.keys(input)) expect(INPUT_KEYS, `${name}.${k}`).toContain(k);
    }
    const jobs = (body as any).toJS() as Record<string, Record<string, any>>;
    expect(Object.keys(jobs)).toEqual(['ferry-plan']);
    const job = jobs['ferry-plan']!;
    for (const k of Object.keys(job)) expect(JOB_KEYWORDS, k).toContain(k);
    for (const k of Object.keys(job.artifacts)) expect(ARTIFACTS_KEYS, k).toContain(k);
    for (const k of Object.keys(job.cache)) expect(CACHE_KEYS, k).toContain(k);
    for (const rule of job.rules) for (const k of Object.keys(rule)) expect(RULES_KEYS, k).toContain(k);
    expect(job.rules).toEqual([{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }]);
    expect(Object.keys(job.artifacts.reports)).toEqual(['junit']);
    expect(job.variables.GIT_DEPTH).toBe('0');

    // Every interpolated input is declared, and every declared one is used.
    const used = new Set([...text.matchAll(/\$\[\[\s*inputs\.([\w-]+)\s*\]\]/g)].map((x) => x[1]));
    expect([...used].sort()).toEqual(Object.keys(spec.inputs).sort());
    // The variables it sets are the ones the entry reads; the command is the package's bin.
    const entry = readFileSync(path.join(REPO_ROOT, 'src', 'ci', 'gitlab.ts'), 'utf8') + readFileSync(path.join(REPO_ROOT, 'src', 'ci', 'run.ts'), 'utf8');
    for (const v of Object.keys(job.variables).filter((k) => k.startsWith('FERRY_') && k !== 'FERRY_CACHE_DIR')) expect(entry, v).toContain(`env.${v}`);
    expect(job.script).toEqual([expect.stringContaining(' ferry-ci gitlab')]);
    expect(pkg.bin['ferry-ci']).toBe('dist/ci/main.js');
    expect(spec.inputs.version.default).toBe(pkg.version);
  });
});
