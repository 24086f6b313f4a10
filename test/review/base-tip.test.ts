import { afterEach, describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import { configMap } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const ENVS = 'environments:\n  - name: staging\n    path: envs/staging\n  - name: production\n    path: envs/production\n';
const RULE = 'review:\n  - name: production needs sre\n    when: { environments: [production] }\n    approvals: 2\n    users: [sre1, sre2]\n';

const repos: TestRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

describe('review rules come from the base branch as it is now', () => {
  it('a PR branched before the rules were added is still judged by them (the diff stays against the merge base)', async () => {
    const repo = new TestRepo().write({ '.github/ferry.yml': ENVS, 'envs/production/app/cm.yaml': configMap('app'), 'envs/staging/app/cm.yaml': configMap('app') });
    repos.push(repo);
    repo.commit('no rules yet');
    repo.git('checkout', '--quiet', '-b', 'feature');
    repo.write({ 'envs/production/app/cm.yaml': configMap('app').replace('k: v', 'k: changed') });
    repo.commit('change production');
    repo.git('checkout', '--quiet', 'main');
    repo.write({ '.github/ferry.yml': ENVS + RULE, 'CODEOWNERS': '* @sre1\n' });
    repo.commit('add review rules');
    const result = await plan({ repo: repo.dir, base: 'main', head: 'feature', mergeBase: true, cacheDir: tempDir('ferry-cache-') });
    expect(result.review?.map((r) => r.name)).toEqual(['production needs sre']);
    // Only the PR's own change is in the diff.
    expect(result.changedFiles).toEqual(['envs/production/app/cm.yaml']);
  });

  it('rules removed from the base branch since the PR branched no longer apply', async () => {
    const repo = new TestRepo().write({ '.github/ferry.yml': ENVS + RULE, 'envs/production/app/cm.yaml': configMap('app') });
    repos.push(repo);
    repo.commit('rules');
    repo.git('checkout', '--quiet', '-b', 'feature');
    repo.write({ 'envs/production/app/cm.yaml': configMap('app').replace('k: v', 'k: changed') });
    repo.commit('change production');
    repo.git('checkout', '--quiet', 'main');
    repo.write({ '.github/ferry.yml': ENVS });
    repo.commit('drop the rules');
    const result = await plan({ repo: repo.dir, base: 'main', head: 'feature', mergeBase: true, cacheDir: tempDir('ferry-cache-') });
    expect(result.review).toBeUndefined();
  });
});
