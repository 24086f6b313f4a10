import { afterEach, describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import { configMap, twoEnvConfig } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const RULE = 'review:\n  - name: production needs sre\n    when: { environments: [production] }\n    approvals: 2\n    users: [sre1, sre2]\n';

const repos: TestRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

/**
 * A PR branch that changes production, forked from main when main's ferry.yml was
 * `then`; main's ferry.yml is `now` by the time it is planned (merge base as the bot does).
 */
async function planBranchedWhen(then: string, now: Record<string, string>) {
  const repo = new TestRepo().write({ '.github/ferry.yml': then, 'envs/production/app/cm.yaml': configMap('app'), 'envs/staging/app/cm.yaml': configMap('app') });
  repos.push(repo);
  repo.commit('before');
  repo.git('checkout', '--quiet', '-b', 'feature');
  repo.write({ 'envs/production/app/cm.yaml': configMap('app').replace('k: v', 'k: changed') });
  repo.commit('change production');
  repo.git('checkout', '--quiet', 'main');
  repo.write(now);
  repo.commit('main moves on');
  return plan({ repo: repo.dir, base: 'main', head: 'feature', mergeBase: true, cacheDir: tempDir('ferry-cache-') });
}

describe('review rules come from the base branch as it is now', () => {
  it('a PR branched before the rules were added is still judged by them (the diff stays against the merge base)', async () => {
    const result = await planBranchedWhen(twoEnvConfig(), { '.github/ferry.yml': twoEnvConfig(RULE), 'CODEOWNERS': '* @sre1\n' });
    expect(result.review?.map((r) => r.name)).toEqual(['production needs sre']);
    // Only the PR's own change is in the diff.
    expect(result.changedFiles).toEqual(['envs/production/app/cm.yaml']);
  });

  it('rules removed from the base branch since the PR branched no longer apply', async () => {
    const result = await planBranchedWhen(twoEnvConfig(RULE), { '.github/ferry.yml': twoEnvConfig() });
    expect(result.review).toBeUndefined();
  });

  it('an invalid ferry.yml at the tip falls back to the merge base\'s rules, and says so', async () => {
    const result = await planBranchedWhen(twoEnvConfig(RULE), { '.github/ferry.yml': 'environments: [\n' });
    expect(result.review?.map((r) => r.name)).toEqual(['production needs sre']);
    expect(result.findings.map((f) => f.message)).toContainEqual(expect.stringContaining("on the base branch's tip is invalid"));
  });
});
