import { describe } from 'vitest';
import path2 from 'node:path';
import { FakeForge } from '../helpers/fake-forge.js';
import { TestRepo } from '../helpers/gitrepo.js';
import { forgeContract } from './contract.js';

describe('FakeForge keeps the Forge contract', () => {
  forgeContract(async () => {
    const fake = new FakeForge({ forge: 'github', path: 'acme/gitops' });
    const pr = fake.putPull({ number: 7, headRef: 'feature', baseRef: 'main' });
    return {
      forge: fake,
      pr,
      comments: async (n) => fake.commentsOf(n).map((c) => ({ id: c.id, author: c.author, body: c.body })),
      commentAs: async (n, author, body) => fake.postAs(n, author, body).id,
      reactions: async (id) => [...fake.state.comments.values()].flat().find((c) => c.id === id)?.reactions ?? [],
      checks: async () => fake.state.checks.map((c) => ({ name: c.name, sha: c.sha, status: c.status, ...(c.result ? { conclusion: c.result.conclusion } : {}) })),
      grant: (user, level) => fake.state.permissions.set(user, level),
      team: (team, members) => fake.state.teams.set(team, members),
      report: (sha, name, state, via) => {
        const list = (fake.state.commitChecks.get(sha) ?? []).filter((c) => c.name !== name);
        fake.state.commitChecks.set(sha, [...list, { name, state, via }]);
      },
      labels: async (n) => fake.state.labels.get(n) ?? [],
      approve: (n, user) => fake.review(n, { user, state: 'approved', commitSha: fake.state.pulls.get(n)!.headSha, bot: false }),
      merged: (n, sha) => void fake.putPull({ number: n, state: 'closed', merged: true, mergeCommitSha: sha }),
      close: async () => undefined,
      branch: (name) => void fake.state.branches.add(name),
      protect: (branch, settings) => (settings ? fake.state.protection.set(branch, { protection: settings, rulesets: [] }) : fake.state.protection.delete(branch), undefined),
      administration: (level) => void (fake.state.administration = level),
      file: (path, content) => {
        const repo = new TestRepo().write({ [path]: content });
        repo.commit('file');
        fake.state.repoInfo = { ...fake.state.repoInfo, cloneUrl: path2.join(repo.dir, '.git') };
      },
      issues: async () => fake.state.issues.map((i) => ({ ...i })),
      issueAs: async (author, title, body) => void fake.state.issues.push({ number: 900 + fake.state.issues.length, author, title, body, state: 'open' }),
    };
  });
});
