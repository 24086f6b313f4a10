import type { Context, Probot } from 'probot';
import { summaryOf, type BotEvent } from '../../bot/events.js';
import type { ForgeRef, RepoRef } from '../types.js';
import { pullRequestFrom } from './forge.js';

/** Where events go once translated; the ingress knows nothing else of the bot. */
export interface EventSink {
  /** True the first time a delivery id is seen (GitHub retries a delivery with the same id). */
  firstDelivery(id: string): Promise<boolean>;
  handle(event: BotEvent): Promise<void>;
}

const CHANGED: Record<string, 'opened' | 'pushed' | 'reopened' | 'ready'> = {
  opened: 'opened',
  synchronize: 'pushed',
  reopened: 'reopened',
  ready_for_review: 'ready',
};

/**
 * GitHub's ingress as a Probot app: Probot verifies the signature; this de-duplicates
 * deliveries and turns a payload into a BotEvent. No rule of the bot lives here — which
 * job runs for which event is the dispatcher's (src/bot/dispatch.ts).
 */
export function gitHubIngress(sink: EventSink) {
  return (app: Probot) => {
    /** The event's installation, or null (no installation: nothing can be done for it). */
    const forgeOf = (context: Context): ForgeRef | null => {
      const id = (context.payload as { installation?: { id?: number } }).installation?.id;
      return typeof id === 'number' ? { kind: 'github', installationId: id } : null;
    };
    const repoOf = (context: Context): RepoRef => ({ forge: 'github', path: (context.payload as { repository: { full_name: string } }).repository.full_name });
    const accept = async (context: Context, make: (forge: ForgeRef) => BotEvent | null) => {
      const forge = forgeOf(context);
      if (!forge || !(await sink.firstDelivery(context.id))) return;
      const event = make(forge);
      if (event) await sink.handle(event);
    };

    app.on('pull_request', (context) => accept(context, (forge) => {
      const { payload } = context;
      const snapshot = pullRequestFrom(payload.pull_request as never);
      const pr = summaryOf(snapshot);
      if (payload.action === 'closed') return { type: 'pr.closed', forge, pr, snapshot };
      const reason = CHANGED[payload.action];
      if (reason) return { type: 'pr.changed', forge, reason, pr, snapshot };
      // An edit is a change only when it moved the PR to another base branch.
      if (payload.action === 'edited' && (payload as { changes?: { base?: unknown } }).changes?.base) return { type: 'pr.changed', forge, reason: 'base-changed', pr, snapshot };
      // Review rules may match labels.
      if ((payload.action === 'labeled' || payload.action === 'unlabeled') && pr.state === 'open') return { type: 'review.changed', forge, reason: 'labels', pr: { repo: pr.repo, number: pr.number } };
      return null;
    }));

    app.on(['pull_request_review.submitted', 'pull_request_review.edited', 'pull_request_review.dismissed'], (context) => accept(context, (forge) => {
      const pr = context.payload.pull_request;
      if (pr.state !== 'open') return null;
      return { type: 'review.changed', forge, reason: 'review', pr: { repo: repoOf(context), number: pr.number } };
    }));

    app.on('issue_comment.created', (context) => accept(context, (forge) => {
      const { issue, comment } = context.payload;
      if (!issue.pull_request) return null;
      return {
        type: 'comment.created',
        forge,
        pr: { repo: repoOf(context), number: issue.number },
        comment: { id: comment.id, author: comment.user?.login ?? '', byBot: comment.user?.type === 'Bot' || context.isBot, body: comment.body },
      };
    }));

    app.on('check_run.rerequested', (context) => accept(context, (forge) => {
      const run = context.payload.check_run;
      // The list can hold PRs of another repository whose head is a branch here (an
      // upstream's PR from this fork): only this repository's own PRs are re-run.
      const here = context.payload.repository.id;
      const pulls = run.pull_requests.filter((p) => p.base.repo.id === here).map((p) => p.number);
      return { type: 'rerun.requested', forge, repo: repoOf(context), check: run.name, pulls };
    }));

    app.on('status', (context) => accept(context, (forge) => {
      const { payload } = context;
      return payload.state === 'success' ? { type: 'commit.succeeded', forge, repo: repoOf(context), sha: payload.sha, check: payload.context } : null;
    }));

    app.on('check_run.completed', (context) => accept(context, (forge) => {
      const run = context.payload.check_run;
      return run.conclusion === 'success' ? { type: 'commit.succeeded', forge, repo: repoOf(context), sha: run.head_sha, check: run.name } : null;
    }));

    // Branch protection is audited on installation…
    app.on(['installation.created', 'installation_repositories.added'], (context) => accept(context, (forge) => {
      const p = context.payload as { repositories?: Array<{ full_name: string }>; repositories_added?: Array<{ full_name: string }> };
      const repos = (p.repositories_added ?? p.repositories ?? []).map((r): RepoRef => ({ forge: 'github', path: r.full_name }));
      return repos.length ? { type: 'repos.installed', forge, repos } : null;
    }));

    // …and when a change to ferry.yml lands on the default branch; a direct push to an
    // environment branch is reported (the dispatcher and the job decide which pushes matter).
    app.on('push', (context) => accept(context, (forge) => {
      const p = context.payload;
      if (p.deleted || !p.ref.startsWith('refs/heads/')) return null;
      const branch = p.ref.slice('refs/heads/'.length);
      // GitHub lists at most 20 commits of a push: past that, the files are not known.
      const changedFiles = p.commits.length >= 20 ? null : [...new Set(p.commits.flatMap((c) => [...(c.added ?? []), ...(c.modified ?? []), ...(c.removed ?? [])]))];
      return { type: 'branch.pushed', forge, repo: repoOf(context), branch, isDefault: branch === p.repository.default_branch, before: p.before, after: p.after, changedFiles };
    }));
  };
}
