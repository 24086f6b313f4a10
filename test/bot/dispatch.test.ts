import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src/bot/dispatch.js';
import { summaryOf, type BotEvent } from '../../src/bot/events.js';
import type { ForgeRef, PullRequest, RepoRef } from '../../src/forge/types.js';

const forge: ForgeRef = { kind: 'github', installationId: 42 };
const repo: RepoRef = { forge: 'github', path: 'Acme/GitOps' };

function pr(over: Partial<PullRequest> = {}): PullRequest {
  return {
    repo, number: 7, headSha: 'a'.repeat(40), baseSha: 'b'.repeat(40), baseRef: 'main', state: 'open', draft: false,
    cloneUrl: 'https://github.com/Acme/GitOps.git', headRefspec: 'refs/pull/7/head', headRef: 'feature', fromFork: false,
    merged: false, mergedAt: null, mergeCommitSha: null, title: 't', body: '', url: '', author: 'alice', labels: [], ...over,
  };
}

const kinds = (e: BotEvent) => dispatch(e).map((a) => (a.do === 'cancel' ? `cancel ${a.key}` : `${a.job.kind} ${a.job.key} @${a.job.version}${a.delayMs ? ` +${a.delayMs}` : ''}`));

describe('dispatch: which jobs run for which event', () => {
  it('a changed open PR is planned at its head; the key is per PR, case-insensitive, the version its head', () => {
    for (const reason of ['opened', 'pushed', 'reopened', 'ready', 'base-changed'] as const) {
      expect(kinds({ type: 'pr.changed', forge, reason, pr: summaryOf(pr()) })).toEqual([`plan github:acme/gitops#7 @${'a'.repeat(40)}`]);
    }
    const draft = pr({ draft: true });
    const [action] = dispatch({ type: 'pr.changed', forge, reason: 'pushed', pr: summaryOf(draft), snapshot: draft });
    // Drafts are planned too (the comment says it is a draft); the job carries the PR and the forge, no token.
    expect(action).toEqual({ do: 'enqueue', job: { kind: 'plan', key: 'github:acme/gitops#7', version: 'a'.repeat(40), forge, pr: { repo, number: 7 }, headSha: 'a'.repeat(40), snapshot: draft } });
    // Without a snapshot (GitLab's payloads lack the base commit), the job reads the PR itself.
    const [bare] = dispatch({ type: 'pr.changed', forge, reason: 'pushed', pr: summaryOf(draft) });
    expect(bare).toEqual({ do: 'enqueue', job: { kind: 'plan', key: 'github:acme/gitops#7', version: 'a'.repeat(40), forge, pr: { repo, number: 7 }, headSha: 'a'.repeat(40) } });
  });

  it('a change to a PR that is no longer open plans nothing', () => {
    expect(kinds({ type: 'pr.changed', forge, reason: 'pushed', pr: summaryOf(pr({ state: 'closed' })) })).toEqual([]);
  });

  it('closing a PR cancels its work; merging also offers the next step and runs auto-promotion', () => {
    expect(kinds({ type: 'pr.closed', forge, pr: summaryOf(pr({ state: 'closed' })) })).toEqual(['cancel github:acme/gitops#7']);
    expect(kinds({ type: 'pr.closed', forge, pr: summaryOf(pr({ state: 'closed', merged: true, mergeCommitSha: 'm'.repeat(40) })) })).toEqual([
      'cancel github:acme/gitops#7',
      `next-step github:acme/gitops#7:merged @${'a'.repeat(40)}`,
      'auto-promote github:acme/gitops#7:auto @auto',
    ]);
    const auto = dispatch({ type: 'pr.closed', forge, pr: summaryOf(pr({ state: 'closed', merged: true })) })[2]!;
    expect(auto.do === 'enqueue' && auto.job.kind === 'auto-promote' && auto.job.announce).toBe(true);
  });

  it('a merged PR from a fork is never promoted', () => {
    expect(kinds({ type: 'pr.closed', forge, pr: summaryOf(pr({ state: 'closed', merged: true, fromFork: true })) })).toEqual(['cancel github:acme/gitops#7']);
  });

  it('a comment with a command for Ferry is a command job; bots, plain text and foreign slash commands are not', () => {
    const comment = (body: string, byBot = false): BotEvent => ({ type: 'comment.created', forge, pr: { repo, number: 7 }, comment: { id: 99, author: 'alice', byBot, body } });
    expect(kinds(comment('/plan'))).toEqual(['command github:acme/gitops#7:comment:99 @99']);
    expect(kinds(comment('/promot production'))).toEqual(['command github:acme/gitops#7:comment:99 @99']);
    expect(kinds(comment('/plan', true))).toEqual([]);
    expect(kinds(comment('looks good to me'))).toEqual([]);
    expect(kinds(comment('/shrug'))).toEqual([]);
    expect(kinds(comment('```\n/plan\n```'))).toEqual([]);
  });

  it('a successful check re-checks waiting promotions, unless it is one of Ferry\'s own', () => {
    expect(kinds({ type: 'commit.succeeded', forge, repo, sha: 'c'.repeat(40), check: 'argocd/staging' })).toEqual([`recheck github:acme/gitops@${'c'.repeat(40)}:recheck @${'c'.repeat(40)}`]);
    expect(kinds({ type: 'commit.succeeded', forge, repo, sha: 'c'.repeat(40), check: 'ferry/plan' })).toEqual([]);
  });

  it('a re-run of a Ferry check re-plans each PR it belongs to; other checks are not Ferry\'s', () => {
    expect(kinds({ type: 'rerun.requested', forge, repo, check: 'ferry/validate', pulls: [7, 8] })).toEqual([
      'rerun github:acme/gitops#7:rerun @rerun',
      'rerun github:acme/gitops#8:rerun @rerun',
    ]);
    expect(kinds({ type: 'rerun.requested', forge, repo, check: 'ci/build', pulls: [7] })).toEqual([]);
  });

  it('a review, an approval or a label change re-evaluates ferry/review; events while one runs wait for it', () => {
    for (const reason of ['review', 'approval', 'labels'] as const) {
      expect(kinds({ type: 'review.changed', forge, reason, pr: { repo, number: 7 } })).toEqual(['review github:acme/gitops#7:review @review']);
    }
  });

  it('installation audits each repository; a push to the default branch audits when it changed ferry.yml, or when its files are not known', () => {
    const other: RepoRef = { forge: 'github', path: 'Acme/Other' };
    expect(kinds({ type: 'repos.installed', forge, repos: [repo, other] })).toEqual(['audit github:acme/gitops@audit @audit', 'audit github:acme/other@audit @audit']);
    const push = { type: 'branch.pushed', forge, repo, branch: 'main', isDefault: true, before: '1'.repeat(40), after: '2'.repeat(40) } as const;
    const check = `push-check github:acme/gitops@push:${'2'.repeat(40)} @${'2'.repeat(40)}`;
    expect(kinds({ ...push, changedFiles: ['envs/a.yaml', '.github/ferry.yml'] })).toEqual(['audit github:acme/gitops@audit @audit', check]);
    expect(kinds({ ...push, changedFiles: ['envs/a.yaml'] })).toEqual([check]);
    expect(kinds({ ...push, changedFiles: null })).toEqual(['audit github:acme/gitops@audit @audit', check]);
  });

  it('a push to any branch may be a direct push to an environment branch; not one that created the branch, nor Ferry\'s own branches', () => {
    const push = { type: 'branch.pushed', forge, repo, branch: 'production', isDefault: false, before: '1'.repeat(40), after: '2'.repeat(40), changedFiles: ['.github/ferry.yml'] as string[] } as const;
    expect(kinds(push)).toEqual([`push-check github:acme/gitops@push:${'2'.repeat(40)} @${'2'.repeat(40)}`]);
    expect(kinds({ ...push, before: '0'.repeat(40) })).toEqual([]);
    expect(kinds({ ...push, branch: 'ferry/promote/staging-to-production/web' })).toEqual([]);
  });

  it('every job is plain data: it survives JSON unchanged', () => {
    const events: BotEvent[] = [
      { type: 'pr.changed', forge, reason: 'opened', pr: summaryOf(pr()), snapshot: pr() },
      { type: 'pr.closed', forge, pr: summaryOf(pr({ state: 'closed', merged: true })), snapshot: pr({ state: 'closed', merged: true }) },
      { type: 'comment.created', forge, pr: { repo, number: 7 }, comment: { id: 1, author: 'a', byBot: false, body: '/plan' } },
      { type: 'commit.succeeded', forge, repo, sha: 'c'.repeat(40), check: 'ci' },
      { type: 'rerun.requested', forge, repo, check: 'ferry/plan', pulls: [7] },
      { type: 'review.changed', forge, reason: 'review', pr: { repo, number: 7 } },
      { type: 'repos.installed', forge, repos: [repo] },
    ];
    const jobs = events.flatMap(dispatch).flatMap((a) => (a.do === 'enqueue' ? [a.job] : []));
    expect(jobs.map((j) => j.kind).sort()).toEqual(['audit', 'auto-promote', 'command', 'next-step', 'plan', 'recheck', 'rerun', 'review']);
    for (const j of jobs) expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });
});
