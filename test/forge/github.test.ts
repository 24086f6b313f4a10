import nock from 'nock';
import { ProbotOctokit } from 'probot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubForge } from '../../src/forge/github/forge.js';
import { FakeGitHub } from '../helpers/fake-github.js';
import { forgeContract } from './contract.js';

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
        close: async () => gh.mock.done(),
      };
    });
  });
}

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
