import { describe, expect, it } from 'vitest';
import type { ReviewRule } from '../../src/config/types.js';
import { reviewCheck } from '../../src/review/check.js';
import { evaluateReview, type PushedChange, type ReviewInput } from '../../src/review/evaluate.js';
import type { AppPlan, Plan, ResourceChange, Review } from '../../src/types.js';

const HEAD = 'h'.repeat(40);
const OLD = 'o'.repeat(40);

const change = (kind: string, name: string, action: ResourceChange['action'] = 'changed'): ResourceChange => ({
  action, apiVersion: 'v1', kind, namespace: null, name, diff: '',
});
const app = (name: string, changes: ResourceChange[] = []): AppPlan => ({ name, path: `apps/${name}`, renderer: 'kustomize', status: 'rendered', resources: 1, changes, findings: [] });

/**
 * A PR that edits only `base/deployment.yaml`, a file both environments' overlays
 * include: the rendered plan changes staging and production though no file under
 * `envs/production` changed.
 */
function sharedBasePlan(extra: Partial<Plan> = {}): Plan {
  return {
    base: 'b'.repeat(40), head: HEAD,
    environments: [
      { name: 'staging', apps: [app('web', [change('Deployment', 'web')])] },
      { name: 'production', apps: [app('web', [change('Deployment', 'web')])] },
    ],
    findings: [],
    summary: { added: 0, changed: 2, removed: 0, errors: 0, warnings: 0 },
    ...extra,
  };
}

const rule = (r: Partial<ReviewRule> & { name: string }): ReviewRule => ({ when: {}, approvals: 1, teams: [], users: [], dismissStale: true, codeowners: false, ...r });
const approved = (user: string, commitSha: string | null = HEAD, bot = false): Review => ({ user, state: 'approved', commitSha, bot });

const TEAMS: Record<string, string[]> = { platform: ['pat', 'paula'], contractors: ['carl'] };

function input(over: Partial<ReviewInput>): ReviewInput & { asked: string[] } {
  const asked: string[] = [];
  return {
    rules: [], plan: sharedBasePlan(), changedFiles: ['base/deployment.yaml'], labels: [], author: 'alice', headSha: HEAD, reviews: [],
    canWrite: async () => true,
    inTeam: async (team, user) => {
      asked.push(`${team}:${user}`);
      return (TEAMS[team] ?? []).includes(user);
    },
    asked,
    ...over,
  };
}

const production = rule({ name: 'production needs platform', when: { environments: ['production'] }, approvals: 2, teams: ['platform'] });

describe('evaluateReview: the policy matrix', () => {
  it('a shared base file that reaches production makes production\'s rule apply, though no production file changed', async () => {
    const ev = await evaluateReview(input({ rules: [production, rule({ name: 'prod files', when: { paths: ['envs/production/**'] } })] }));
    expect(ev.rules[0]).toMatchObject({ applies: true, why: ['environment production'], met: false, canSatisfy: ['members of platform'] });
    expect(ev.rules[1]).toMatchObject({ applies: false, met: true });
    expect(ev.state).toBe('pending');
    expect(ev.noneApplies).toBe(false);
  });

  it.each([
    { reviews: [], approvedBy: [], met: false },
    { reviews: [approved('pat')], approvedBy: ['pat'], met: false },
    { reviews: [approved('pat'), approved('paula')], approvedBy: ['pat', 'paula'], met: true },
    // Not in the team: does not count.
    { reviews: [approved('pat'), approved('mallory')], approvedBy: ['pat'], met: false },
    // An approval on an older commit is stale.
    { reviews: [approved('pat'), approved('paula', OLD)], approvedBy: ['pat'], stale: ['paula'], met: false },
    // Approving again after the push counts.
    { reviews: [approved('paula', OLD), approved('pat'), approved('paula')], approvedBy: ['pat', 'paula'], met: true },
  ])('team rule, approvals $reviews.length → $approvedBy', async ({ reviews, approvedBy, met, stale }) => {
    const ev = await evaluateReview(input({ rules: [production], reviews }));
    expect(ev.rules[0]).toMatchObject({ approvedBy, met, stale: stale ?? [] });
    expect(ev.state).toBe(met ? 'success' : 'pending');
  });

  it('dismissStale: false counts an approval given before the latest push', async () => {
    const ev = await evaluateReview(input({ rules: [{ ...production, dismissStale: false }], reviews: [approved('pat', OLD), approved('paula', OLD)] }));
    expect(ev.rules[0]).toMatchObject({ approvedBy: ['pat', 'paula'], stale: [], met: true });
  });

  it('an approval without a commit (GitLab) is not stale', async () => {
    const ev = await evaluateReview(input({ rules: [rule({ name: 'any' })], reviews: [approved('bob', null)] }));
    expect(ev.rules[0]).toMatchObject({ approvedBy: ['bob'], met: true });
  });

  it('the author\'s own approval never counts, even as a team member or a listed user', async () => {
    const ev = await evaluateReview(input({ author: 'pat', rules: [rule({ name: 'r', teams: ['platform'], users: ['pat'] })], reviews: [approved('pat')] }));
    expect(ev.rules[0]).toMatchObject({ approvedBy: [], met: false, canSatisfy: ['members of platform'] });
  });

  it('a bot\'s approval never counts, by flag or by a [bot] login', async () => {
    const ev = await evaluateReview(input({ rules: [rule({ name: 'anyone', approvals: 2 })], reviews: [approved('renovate[bot]'), approved('helper', HEAD, true), approved('bob')] }));
    expect(ev.rules[0]).toMatchObject({ approvedBy: ['bob'], met: false, canSatisfy: ['anyone with write access but the author'] });
  });

  it('a rule naming nobody counts approvals from people who may write to the repository only: anyone may review a public PR', async () => {
    const writers = new Set(['bob']);
    const ev = await evaluateReview(input({
      rules: [rule({ name: 'anyone', approvals: 1 })],
      reviews: [approved('sockpuppet')],
      canWrite: async (user) => writers.has(user),
    }));
    expect(ev.rules[0]).toMatchObject({ approvedBy: [], met: false, canSatisfy: ['anyone with write access but the author'] });
    const ok = await evaluateReview(input({ rules: [rule({ name: 'anyone', approvals: 1 })], reviews: [approved('sockpuppet'), approved('bob')], canWrite: async (user) => writers.has(user) }));
    expect(ok.rules[0]).toMatchObject({ approvedBy: ['bob'], met: true });
  });

  it('outstanding changes requested by someone who could satisfy the rule block it; a later approval lifts it', async () => {
    const blocked = await evaluateReview(input({ rules: [rule({ name: 'r', teams: ['platform'] })], reviews: [approved('pat'), { user: 'paula', state: 'changes_requested', commitSha: OLD, bot: false }] }));
    expect(blocked.rules[0]).toMatchObject({ approvedBy: ['pat'], changesRequestedBy: ['paula'], met: false });
    // A comment-only review leaves the request standing; someone outside the rule does not block.
    const stillBlocked = await evaluateReview(input({
      rules: [rule({ name: 'r', teams: ['platform'] })],
      reviews: [approved('pat'), { user: 'paula', state: 'changes_requested', commitSha: OLD, bot: false }, { user: 'paula', state: 'commented', commitSha: HEAD, bot: false }, { user: 'mallory', state: 'changes_requested', commitSha: HEAD, bot: false }],
    }));
    expect(stillBlocked.rules[0]).toMatchObject({ changesRequestedBy: ['paula'], met: false });
    const lifted = await evaluateReview(input({ rules: [rule({ name: 'r', teams: ['platform'] })], reviews: [{ user: 'paula', state: 'changes_requested', commitSha: OLD, bot: false }, approved('paula')] }));
    expect(lifted.rules[0]).toMatchObject({ approvedBy: ['paula'], changesRequestedBy: [], met: true });
    // A dismissed review is no stance at all.
    const dismissed = await evaluateReview(input({ rules: [rule({ name: 'r', teams: ['platform'] })], reviews: [approved('pat'), { user: 'paula', state: 'changes_requested', commitSha: OLD, bot: false }, { user: 'paula', state: 'dismissed', commitSha: OLD, bot: false }] }));
    expect(dismissed.rules[0]).toMatchObject({ approvedBy: ['pat'], changesRequestedBy: [], met: true });
  });

  it('users listed by name count, case-insensitively, and are named as able to satisfy the rule', async () => {
    const ev = await evaluateReview(input({ rules: [rule({ name: 'leads', users: ['Bob', 'carol', 'alice'], approvals: 2 })], reviews: [approved('bob')] }));
    expect(ev.rules[0]).toMatchObject({ approvedBy: ['bob'], met: false, canSatisfy: ['carol'] });
  });

  it('a deleted resource makes a removals rule apply; a plan without removals does not', async () => {
    const removing = sharedBasePlan({ environments: [{ name: 'staging', apps: [app('web', [change('ConfigMap', 'old', 'removed')])] }] });
    const r = rule({ name: 'deletions', when: { removals: true } });
    expect((await evaluateReview(input({ rules: [r], plan: removing }))).rules[0]).toMatchObject({ applies: true, why: ['removes ConfigMap/old'] });
    expect((await evaluateReview(input({ rules: [r] }))).rules[0]!.applies).toBe(false);
  });

  it('kinds, Kind/name-glob, errors and labels, combined with AND', async () => {
    const plan = sharedBasePlan({
      environments: [{ name: 'production', apps: [app('rbac', [change('ClusterRole', 'admin', 'added'), change('Secret', 'db-password')])] }],
      summary: { added: 1, changed: 1, removed: 0, errors: 1, warnings: 0 },
    });
    const ev = await evaluateReview(input({
      plan, labels: ['Sensitive'],
      rules: [
        rule({ name: 'rbac', when: { kinds: ['ClusterRole', 'RoleBinding'] } }),
        rule({ name: 'db secrets', when: { kinds: ['Secret/db-*'], labels: ['sensitive'] } }),
        rule({ name: 'other secrets', when: { kinds: ['Secret/cache-*'] } }),
        rule({ name: 'broken prod', when: { environments: ['production'], errors: true } }),
        rule({ name: 'clean prod', when: { environments: ['production'], errors: false } }),
      ],
    }));
    expect(ev.rules.map((r) => [r.rule, r.applies, r.why])).toEqual([
      ['rbac', true, ['resource ClusterRole/admin']],
      ['db secrets', true, ['resource Secret/db-password', 'label Sensitive']],
      ['other secrets', false, []],
      ['broken prod', true, ['environment production', '1 error finding']],
      ['clean prod', false, []],
    ]);
  });

  it('author in / notIn teams, asking each membership once', async () => {
    const rules = [
      rule({ name: 'contractors', when: { author: { in: ['contractors'] } } }),
      rule({ name: 'outsiders', when: { author: { notIn: ['platform', 'contractors'] } } }),
      rule({ name: 'contractors again', when: { author: { in: ['contractors'], notIn: ['platform'] } } }),
    ];
    const carl = input({ author: 'carl', rules });
    const ev = await evaluateReview(carl);
    expect(ev.rules.map((r) => [r.rule, r.applies])).toEqual([['contractors', true], ['outsiders', false], ['contractors again', true]]);
    expect(ev.rules[0]!.why).toEqual(['author in contractors']);
    expect(carl.asked.filter((a) => a === 'contractors:carl')).toHaveLength(1);
    const dana = await evaluateReview(input({ author: 'dana', rules }));
    expect(dana.rules.map((r) => r.applies)).toEqual([false, true, false]);
  });

  it('no rule applying is success, and the check says so', async () => {
    const ev = await evaluateReview(input({ rules: [rule({ name: 'prod files', when: { paths: ['envs/production/**'] } })] }));
    expect(ev).toMatchObject({ state: 'success', noneApplies: true });
    const check = reviewCheck(ev, 65_535);
    expect(check).toMatchObject({ name: 'ferry/review', conclusion: 'success', title: 'No review rule applies' });
    expect(check.summary).toContain('No review rule applies to this change');
    expect(check.summary).toContain('Not applying: prod files.');
  });
});

describe('reviewCheck', () => {
  it('an unmet rule fails the check as "Waiting for review", with a table of who can still satisfy it', async () => {
    const ev = await evaluateReview(input({ rules: [production, rule({ name: 'anyone' })], reviews: [approved('pat'), approved('paula', OLD), approved('bob')] }));
    const check = reviewCheck(ev, 65_535);
    expect(check.conclusion).toBe('failure');
    expect(check.title).toBe('Waiting for review: production needs platform');
    expect(check.summary).toContain('| rule | why it applies | approvals counted | who can still satisfy it |');
    expect(check.summary).toContain('| ⏳ production needs platform | environment production | 1/2: pat<br>not counted, given before a push that changed what this rule covers: paula | members of platform |');
    expect(check.summary).toContain('| ✅ anyone | every change | 2/1: pat, bob<br>not counted, given before a push that changed what this rule covers: paula | — |');
    expect(check.summary).toContain('it is not a problem with the change');
  });

  it('all met is success', async () => {
    const ev = await evaluateReview(input({ rules: [production], reviews: [approved('pat'), approved('paula')] }));
    expect(reviewCheck(ev, 65_535)).toMatchObject({ conclusion: 'success', title: 'Review rules met' });
  });
});

describe('apps Ferry could not render fail closed', () => {
  const unrenderedPlan = (status: AppPlan['status']): Plan => sharedBasePlan({
    environments: [
      { name: 'staging', apps: [app('web')] },
      { name: 'production', apps: [{ ...app('chart'), renderer: 'helm', status }] },
    ],
  });

  for (const status of ['skipped', 'error'] as const) {
    it(`an app ${status} in production: environment, kind and removal rules all apply`, async () => {
      const ev = await evaluateReview(input({
        plan: unrenderedPlan(status),
        changedFiles: ['envs/production/chart/Chart.yaml'],
        rules: [
          rule({ name: 'prod', when: { environments: ['production'] } }),
          rule({ name: 'rbac', when: { kinds: ['ClusterRoleBinding'] } }),
          rule({ name: 'deletions', when: { removals: true } }),
        ],
      }));
      expect(ev.rules.map((r) => [r.rule, r.applies])).toEqual([['prod', true], ['rbac', true], ['deletions', true]]);
      expect(ev.state).toBe('pending');
      expect(ev.rules[1]!.why.join(' ')).toContain('not rendered');
    });
  }
});

describe('dismissStale per rule: only a push that changed the rule\'s scope makes an approval stale', () => {
  const OLD2 = 'p'.repeat(40);
  /** What the pushes since each approved commit changed. */
  const since = (by: Record<string, PushedChange | null>) => {
    const asked: string[] = [];
    return {
      asked,
      pushedSince: async (sha: string) => {
        asked.push(sha);
        if (!(sha in by)) throw new Error(`no commit ${sha}`);
        return by[sha]!;
      },
    };
  };
  const pushed = (envs: Record<string, ResourceChange[]>, changedFiles: string[]): PushedChange => ({
    plan: { environments: Object.entries(envs).map(([name, changes]) => ({ name, apps: [app('web', changes)] })) },
    changedFiles,
  });
  const stagingOnly = pushed({ staging: [change('Deployment', 'web')], production: [] }, ['envs/staging/web/patch.yaml']);
  const reachesProduction = pushed({ staging: [], production: [change('Deployment', 'web')] }, ['base/deployment.yaml']);

  it.each([
    { what: 'a push that changed only staging keeps production\'s approvals', push: stagingOnly, approvedBy: ['pat', 'paula'], stale: [] },
    { what: 'a push that reached production through a base file makes them stale', push: reachesProduction, approvedBy: [], stale: ['pat', 'paula'] },
    { what: 'a commit that cannot be planned (gone after a force-push) makes them stale', push: null, approvedBy: [], stale: ['pat', 'paula'] },
  ])('$what', async ({ push, approvedBy, stale }) => {
    const s = since({ [OLD]: push });
    const ev = await evaluateReview(input({ rules: [production], reviews: [approved('pat', OLD), approved('paula', OLD)], pushedSince: s.pushedSince }));
    expect(ev.rules[0]).toMatchObject({ approvedBy, stale, met: stale.length === 0 });
    // Planned once for both approvals on the same commit.
    expect(s.asked).toEqual([OLD]);
  });

  it('a planning error is stale too (fail closed)', async () => {
    const ev = await evaluateReview(input({ rules: [production], reviews: [approved('pat', 'x'.repeat(40)), approved('paula', 'x'.repeat(40))], pushedSince: since({}).pushedSince }));
    expect(ev.rules[0]).toMatchObject({ approvedBy: [], stale: ['pat', 'paula'] });
  });

  it('each approval is judged by the pushes since its own commit', async () => {
    const s = since({ [OLD]: reachesProduction, [OLD2]: stagingOnly });
    const ev = await evaluateReview(input({ rules: [production], reviews: [approved('pat', OLD), approved('paula', OLD2)], pushedSince: s.pushedSince }));
    expect(ev.rules[0]).toMatchObject({ approvedBy: ['paula'], stale: ['pat'], met: false });
  });

  it('paths, kinds, removals and codeowners rules look at what they name; the scope keys are ORed', async () => {
    const readmeOnly = pushed({ staging: [], production: [] }, ['README.md']);
    const rbac = pushed({ staging: [change('ClusterRole', 'admin')] }, ['base/rbac.yaml']);
    const removal = pushed({ staging: [change('ConfigMap', 'old', 'removed')] }, ['base/cm.yaml']);
    const rules = [
      rule({ name: 'paths', when: { paths: ['envs/production/**'] } }),
      rule({ name: 'kinds', when: { kinds: ['ClusterRole'] } }),
      rule({ name: 'removals', when: { removals: true } }),
      rule({ name: 'owners', codeowners: true }),
      rule({ name: 'env or path', when: { environments: ['production'], paths: ['envs/staging/**'] } }),
    ];
    const judge = async (push: PushedChange) => {
      // Every rule applies to the PR as a whole (the plan at head removes a ClusterRole in production).
      const plan = sharedBasePlan({ environments: [{ name: 'production', apps: [app('web', [change('ClusterRole', 'admin', 'removed')])] }] });
      const ev = await evaluateReview(input({
        plan, changedFiles: ['envs/production/web/a.yaml', 'envs/staging/web/b.yaml'], rules, reviews: [approved('bob', OLD)],
        ownersOf: (f) => (f.startsWith('base/') ? ['carol'] : []),
        pushedSince: since({ [OLD]: push }).pushedSince,
      }));
      return Object.fromEntries(ev.rules.map((r) => [r.rule, r.stale.length > 0 ? 'stale' : r.approvedBy.length ? 'counts' : r.applies ? 'none' : 'n/a']));
    };
    expect(await judge(readmeOnly)).toEqual({ paths: 'counts', kinds: 'counts', removals: 'counts', owners: 'counts', 'env or path': 'counts' });
    expect(await judge(rbac)).toEqual({ paths: 'counts', kinds: 'stale', removals: 'counts', owners: 'stale', 'env or path': 'counts' });
    expect(await judge(removal)).toEqual({ paths: 'counts', kinds: 'counts', removals: 'stale', owners: 'stale', 'env or path': 'counts' });
    expect(await judge(stagingOnly)).toEqual({ paths: 'counts', kinds: 'counts', removals: 'counts', owners: 'counts', 'env or path': 'stale' });
  });

  it('a rule about no scope (every change) is stale after any push that changed a file; not after an empty one', async () => {
    const every = rule({ name: 'every change' });
    const judge = async (push: PushedChange) => (await evaluateReview(input({ rules: [every], reviews: [approved('bob', OLD)], pushedSince: since({ [OLD]: push }).pushedSince }))).rules[0]!;
    expect(await judge(pushed({ staging: [] }, ['README.md']))).toMatchObject({ stale: ['bob'], met: false });
    // A rebase onto the same content, or an empty commit.
    expect(await judge(pushed({ staging: [] }, []))).toMatchObject({ approvedBy: ['bob'], met: true });
  });

  it('a push that edits ferry.yml or CODEOWNERS makes every approval stale: the rules of later PRs come from them', async () => {
    const paths = rule({ name: 'prod files', when: { paths: ['envs/production/**'] } });
    for (const file of ['.github/ferry.yml', '.gitlab/ferry.yaml', '.github/CODEOWNERS', 'CODEOWNERS']) {
      // Planned with the base config, the edit changes no environment and no scoped path.
      const push = pushed({ staging: [], production: [] }, [file]);
      const ev = await evaluateReview(input({ rules: [production, paths], changedFiles: ['envs/production/web/a.yaml'], reviews: [approved('pat', OLD), approved('paula', OLD)], pushedSince: since({ [OLD]: push }).pushedSince }));
      expect(ev.rules.map((r) => r.stale), file).toEqual([['pat', 'paula'], ['pat', 'paula']]);
    }
  });

  it('an app that did not render in the pushes may have changed anything in its environment', async () => {
    const unrenderedIn = (env: string): PushedChange => ({ plan: { environments: [{ name: env, apps: [{ ...app('chart'), renderer: 'helm', status: 'error' }] }] }, changedFiles: ['charts/x/values.yaml'] });
    const judge = async (env: string) => (await evaluateReview(input({ rules: [production], reviews: [approved('pat', OLD)], pushedSince: since({ [OLD]: unrenderedIn(env) }).pushedSince }))).rules[0]!;
    expect(await judge('production')).toMatchObject({ stale: ['pat'] });
    expect(await judge('staging')).toMatchObject({ stale: [], approvedBy: ['pat'] });
  });
});
