import nock from 'nock';
import { ProbotOctokit } from 'probot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubForge } from '../../src/forge/github/forge.js';
import type { ProtectionSettings } from '../../src/config/types.js';
import { FakeGitHub, protectionView } from '../helpers/fake-github.js';
import { openApiBodyErrors } from '../helpers/github.js';
import { forgeContract } from './contract.js';

/** What an admin would set in the settings page for these settings. */
const protectionPut = (s: ProtectionSettings) => ({
  required_status_checks: s.checks.length ? { strict: false, contexts: s.checks } : null,
  enforce_admins: s.includeAdmins,
  required_pull_request_reviews: s.approvals ? { required_approving_review_count: s.approvals, dismiss_stale_reviews: s.dismissStale } : null,
  restrictions: null,
  allow_force_pushes: s.allowForcePushes,
  allow_deletions: s.allowDeletions,
});

beforeAll(() => {
  nock.disableNetConnect();
});
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

for (const apiRoot of ['https://api.github.com', 'https://ghe.example.test/api/v3']) {
  describe(`GitHubForge keeps the Forge contract (${apiRoot})`, () => {
    forgeContract(async () => {
      const gh = new FakeGitHub('Acme', 'GitOps', apiRoot);
      gh.addPull({ number: 7, head: { sha: 'a'.repeat(40), ref: 'feature', repo: { full_name: 'Acme/GitOps' } } });
      const octokit = new ProbotOctokit({ auth: { token: 'ghs_contract' }, baseUrl: apiRoot, retry: { enabled: false }, throttle: { enabled: false } });
      const forge = new GitHubForge(octokit, async () => 'ferry[bot]', async () => 'ghs_contract');
      const pr = await forge.getPull({ forge: 'github', path: 'Acme/GitOps' }, 7);
      return {
        forge,
        pr,
        comments: async (n) => (gh.comments.get(n) ?? []).map((c) => ({ id: c.id, author: c.user.login, body: c.body })),
        commentAs: async (n, author, body) => gh.comment(n, author, body).id,
        reactions: async (id) => [...gh.comments.values()].flat().find((c) => c.id === id)?.reactions ?? [],
        checks: async () => [...gh.mock.runs.values()].map((r) => ({ name: r.name, sha: r.head_sha, status: r.status === 'completed' ? 'completed' as const : 'running' as const, ...(r.conclusion ? { conclusion: r.conclusion } : {}) })),
        grant: (user, level) => gh.permissions.set(user, level),
        team: (team, members) => gh.teams.set(team.toLowerCase(), members),
        report: (sha, name, state, via) => {
          if (via === 'status') gh.statuses.set(sha, [...(gh.statuses.get(sha) ?? []), { context: name, state }]);
          else gh.reportedRuns.set(sha, [...(gh.reportedRuns.get(sha) ?? []), { name, status: state === 'pending' ? 'in_progress' : 'completed', conclusion: state === 'pending' ? null : state }]);
        },
        labels: async (n) => gh.pulls.get(n)?.labels ?? [],
        approve: (n, user) => gh.reviews.set(n, [...(gh.reviews.get(n) ?? []), { login: user, state: 'APPROVED', commit_id: gh.pulls.get(n)!.head.sha }]),
        merged: (n, sha) => Object.assign(gh.pulls.get(n)!, { state: 'closed', merged_at: new Date().toISOString(), merge_commit_sha: sha }),
        close: async () => {
          expect(gh.mock.bodyErrors).toEqual([]);
          gh.mock.done();
        },
        branch: (name) => void gh.branches.add(name),
        protect: (branch, settings) => void (settings ? gh.protection.set(branch, protectionView(protectionPut(settings))) : gh.protection.delete(branch)),
        administration: (level) => void (gh.administration = level),
        issues: async () => gh.issues.map((i) => ({ number: i.number, author: i.user.login, title: i.title, body: i.body, state: i.state })),
        file: (path, content) => void gh.files.set(`main:${path}`, content),
        issueAs: async (author, title, body) => void gh.issues.push({ number: 900 + gh.issues.length, title, body, state: 'open', user: { login: author, type: 'User' } }),
      };
    });
  });
}

describe('GitHubForge.fileLink', () => {
  it('links a finding to its line at the head commit on the PR\'s host, every path segment encoded', () => {
    const forge = new GitHubForge(new ProbotOctokit({ auth: { token: 'x' } }), async () => 'ferry[bot]', async () => 'x');
    const pr = { url: 'https://ghe.example.test/acme/gitops/pull/7', headSha: 'b'.repeat(40) } as Parameters<GitHubForge['fileLink']>[0];
    expect(forge.fileLink(pr, 'envs/team=platform/web (old)/svc.yaml', 12)).toBe(`https://ghe.example.test/acme/gitops/blob/${'b'.repeat(40)}/envs/team%3Dplatform/web%20%28old%29/svc.yaml#L12`);
    expect(forge.fileLink(pr, 'a.yaml', null)).toBe(`https://ghe.example.test/acme/gitops/blob/${'b'.repeat(40)}/a.yaml`);
    expect(forge.fileLink({ ...pr, url: '' }, 'a.yaml', 1)).toBeNull();
  });
});

describe('GitHubForge.reviews', () => {
  it('maps review states, leaves out a pending (unsubmitted) review, marks bots, keeps the commit', async () => {
    const gh = new FakeGitHub('Acme', 'GitOps');
    gh.addPull({ number: 7, head: { sha: 'a'.repeat(40), ref: 'feature', repo: { full_name: 'Acme/GitOps' } } });
    gh.reviews.set(7, [
      { login: 'bob', state: 'CHANGES_REQUESTED', commit_id: 'c'.repeat(40) },
      { login: 'carol', state: 'PENDING', commit_id: 'a'.repeat(40) },
      { login: 'renovate[bot]', state: 'APPROVED', commit_id: 'a'.repeat(40) },
      { login: 'dave', state: 'COMMENTED', commit_id: 'a'.repeat(40) },
      { login: 'bob', state: 'DISMISSED', commit_id: 'c'.repeat(40) },
    ]);
    const octokit = new ProbotOctokit({ auth: { token: 'ghs_x' }, retry: { enabled: false }, throttle: { enabled: false } });
    const forge = new GitHubForge(octokit, async () => 'ferry[bot]', async () => 'ghs_x');
    const pr = await forge.getPull({ forge: 'github', path: 'Acme/GitOps' }, 7);
    expect(await forge.reviews(pr)).toEqual([
      { user: 'bob', state: 'changes_requested', commitSha: 'c'.repeat(40), bot: false },
      { user: 'renovate[bot]', state: 'approved', commitSha: 'a'.repeat(40), bot: true },
      { user: 'dave', state: 'commented', commitSha: 'a'.repeat(40), bot: false },
      { user: 'bob', state: 'dismissed', commitSha: 'c'.repeat(40), bot: false },
    ]);
    gh.mock.done();
  });
});

describe('request bodies are checked against the OpenAPI description', () => {
  it('a body GitHub would refuse is caught; a conforming one passes', () => {
    const path = '/repos/Acme/GitOps/branches/main/protection';
    expect(openApiBodyErrors('PUT', path, { enforce_admins: 'yes' }).join('\n')).toMatch(/required_status_checks[\s\S]*enforce_admins|enforce_admins[\s\S]*required/);
    expect(openApiBodyErrors('PUT', path, { required_status_checks: null, enforce_admins: true, required_pull_request_reviews: null, restrictions: null })).toEqual([]);
    expect(openApiBodyErrors('PATCH', '/repos/Acme/GitOps/issues/3', { state: 'shut' })).not.toEqual([]);
  });
});

describe('GitHubForge branch protection', () => {
  const make = () => {
    const gh = new FakeGitHub('Acme', 'GitOps');
    const octokit = new ProbotOctokit({ auth: { token: 'ghs_x' }, retry: { enabled: false }, throttle: { enabled: false } });
    return { gh, forge: new GitHubForge(octokit, async () => 'ferry[bot]', async () => 'ghs_x'), repo: { forge: 'github' as const, path: 'Acme/GitOps' } };
  };

  it('reads the rulesets that apply to the branch, grouped by ruleset', async () => {
    const { gh, forge, repo } = make();
    gh.rules.set('main', [
      { type: 'required_status_checks', ruleset_id: 7, ruleset_source_type: 'Organization', ruleset_source: 'Acme', parameters: { strict_required_status_checks_policy: false, required_status_checks: [{ context: 'ferry/plan' }] } },
      { type: 'pull_request', ruleset_id: 7, ruleset_source_type: 'Organization', ruleset_source: 'Acme', parameters: { required_approving_review_count: 2, dismiss_stale_reviews_on_push: true, require_code_owner_review: false, require_last_push_approval: false, required_review_thread_resolution: false } },
      { type: 'non_fast_forward', ruleset_id: 8, ruleset_source_type: 'Repository', ruleset_source: 'Acme/GitOps' },
    ]);
    expect(await forge.readProtection(repo, 'main')).toEqual({
      ok: true,
      live: {
        protection: null,
        rulesets: [
          { name: 'ruleset 7 of Acme', settings: { checks: ['ferry/plan'], approvals: 2, dismissStale: true } },
          { name: 'ruleset 8 of Acme/GitOps', settings: { allowForcePushes: false } },
        ],
      },
    });
    gh.mock.done();
  });

  it('a write keeps what Ferry does not manage (push restrictions, linear history, code owner reviews), in a body GitHub accepts', async () => {
    const { gh, forge, repo } = make();
    gh.protection.set('main', protectionView({
      required_status_checks: { strict: true, contexts: ['ci'] }, enforce_admins: false, restrictions: { users: ['ops'], teams: ['platform'], apps: [] },
      required_pull_request_reviews: { required_approving_review_count: 1, require_code_owner_reviews: true }, required_linear_history: true,
    }));
    await forge.applyProtection(repo, 'main', { checks: ['ci', 'ferry/plan'], approvals: 2, dismissStale: true, allowForcePushes: false, allowDeletions: false, includeAdmins: true });
    const put = gh.mock.requests.find((r) => r.method === 'PUT')!.body as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(put).toMatchObject({
      required_status_checks: { strict: true, contexts: ['ci', 'ferry/plan'] }, enforce_admins: true, restrictions: { users: ['ops'], teams: ['platform'], apps: [] },
      required_pull_request_reviews: { required_approving_review_count: 2, dismiss_stale_reviews: true, require_code_owner_reviews: true }, required_linear_history: true,
      allow_force_pushes: false, allow_deletions: false,
    });
    expect(gh.mock.bodyErrors).toEqual([]);
    gh.mock.done();
  });
});
