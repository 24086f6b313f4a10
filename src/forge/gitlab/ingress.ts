import { createHash, timingSafeEqual } from 'node:crypto';
import type { BotEvent, PullSummary } from '../../bot/events.js';
import type { ForgeRef, RepoRef } from '../types.js';

export const GITLAB_WEBHOOK_PATH = '/api/gitlab/webhooks';

/** Where translated events go; the ingress knows nothing else of the bot. */
export interface GitLabSink {
  /** True the first time a delivery id is seen. */
  firstDelivery(id: string): Promise<boolean>;
  handle(event: BotEvent): Promise<void>;
}

/** What a delivery came to: the HTTP status to answer, and why (for the log and the body). */
export interface Outcome {
  status: number;
  result: 'handled' | 'ignored' | 'duplicate' | 'unauthorized';
  reason?: string;
  event?: BotEvent['type'];
}

/**
 * `X-Gitlab-Token` against the secret in constant time: both sides are hashed first, so
 * neither the comparison's time nor an early length check tells anything of the secret.
 */
export function tokenMatches(given: string | string[] | undefined, secret: string): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(secret));
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * GitLab's ingress: verifies the token, de-duplicates by `Idempotency-Key` (or
 * `X-Gitlab-Event-UUID`), and turns the payload into a BotEvent. Every authenticated
 * delivery gets a 2xx, ignored ones too: GitLab disables a hook that keeps failing, and
 * a disabled hook is silent breakage. `host` is the configured instance, never read from
 * a payload.
 */
export async function receiveGitLab(
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  opts: { secret: string; host: string; sink: GitLabSink },
): Promise<Outcome> {
  if (!tokenMatches(headers['x-gitlab-token'], opts.secret)) return { status: 401, result: 'unauthorized' };
  const header = (name: string) => (typeof headers[name] === 'string' ? (headers[name] as string) : undefined);
  let payload: Json;
  try {
    payload = JSON.parse(body.toString('utf8')) as Json;
    if (!payload || typeof payload !== 'object') throw new Error('not an object');
  } catch {
    return { status: 202, result: 'ignored', reason: 'the body is not a JSON object' };
  }
  const id = header('idempotency-key') ?? header('x-gitlab-event-uuid');
  if (id && !(await opts.sink.firstDelivery(`gitlab:${id}`))) return { status: 200, result: 'duplicate' };
  const forge: ForgeRef = { kind: 'gitlab', host: opts.host };
  let event: BotEvent | string;
  try {
    event = translate(header('x-gitlab-event') ?? '', payload, forge);
  } catch (err) {
    // A payload missing what its event type promises is GitLab's to fix, not a reason to be disabled.
    return { status: 202, result: 'ignored', reason: `malformed payload: ${(err as Error).message}` };
  }
  if (typeof event === 'string') return { status: 202, result: 'ignored', reason: event };
  await opts.sink.handle(event);
  return { status: 202, result: 'handled', event: event.type };
}

function repoOf(project: Json): RepoRef {
  if (typeof project?.path_with_namespace !== 'string' || typeof project?.id !== 'number') throw new Error('no project');
  return { forge: 'gitlab', path: project.path_with_namespace, id: project.id };
}

/** The event a payload means, or why it is ignored. */
function translate(kind: string, p: Json, forge: ForgeRef): BotEvent | string {
  switch (kind) {
    case 'Merge Request Hook': {
      const oa = p.object_attributes as Json;
      const repo = repoOf(p.project);
      const pr: PullSummary = {
        repo,
        number: num(oa.iid),
        headSha: str(oa.last_commit?.id),
        state: oa.state === 'opened' ? 'open' : 'closed',
        merged: oa.state === 'merged' || oa.action === 'merge',
        fromFork: oa.source_project_id !== oa.target_project_id,
      };
      switch (oa.action) {
        case 'open':
          return { type: 'pr.changed', forge, reason: 'opened', pr };
        case 'reopen':
          return { type: 'pr.changed', forge, reason: 'reopened', pr };
        case 'merge':
        case 'close':
          return { type: 'pr.closed', forge, pr };
        // `approved`/`unapproved`: the merge request became (or stopped being) approved as
        // its rules require; `approval`/`unapproval`: one user approved or revoked.
        case 'approved':
        case 'unapproved':
        case 'approval':
        case 'unapproval':
          return pr.state === 'open' ? { type: 'review.changed', forge, reason: 'approval', pr: { repo, number: pr.number } } : `${oa.action} on a closed merge request`;
        case 'update': {
          const changes = (p.changes ?? {}) as Json;
          // `oldrev` is only there when commits were pushed.
          if (oa.oldrev) return { type: 'pr.changed', forge, reason: 'pushed', pr };
          if (changes.draft && changes.draft.previous === true && changes.draft.current === false) return { type: 'pr.changed', forge, reason: 'ready', pr };
          if (changes.target_branch) return { type: 'pr.changed', forge, reason: 'base-changed', pr };
          if (labelsChanged(changes.labels) && pr.state === 'open') return { type: 'review.changed', forge, reason: 'labels', pr: { repo, number: pr.number } };
          return 'an update that changed neither commits, draft state, target branch nor labels';
        }
        default:
          return `merge request action ${JSON.stringify(String(oa.action))}`;
      }
    }
    case 'Note Hook': {
      const oa = p.object_attributes as Json;
      if (oa.noteable_type !== 'MergeRequest') return 'a note on something other than a merge request';
      // Edits arrive as `update`; only new notes carry commands.
      if (oa.action !== undefined && oa.action !== 'create') return `note action ${JSON.stringify(String(oa.action))}`;
      // The command job reads the note back from GitLab (author, text, system) and drops
      // Ferry's own: a delivery is answered without waiting on the API.
      return {
        type: 'comment.created',
        forge,
        pr: { repo: repoOf(p.project), number: num(p.merge_request?.iid) },
        comment: { id: num(oa.id), author: str(p.user?.username), byBot: oa.system === true, body: typeof oa.note === 'string' ? oa.note : '' },
      };
    }
    case 'Pipeline Hook': {
      const oa = p.object_attributes as Json;
      if (oa.status !== 'success') return `pipeline ${JSON.stringify(String(oa.status))}`;
      return { type: 'commit.succeeded', forge, repo: repoOf(p.project), sha: str(oa.sha), check: 'pipeline' };
    }
    case 'Push Hook': {
      // https://docs.gitlab.com/user/project/integrations/webhook_events/#push-events
      const branch = typeof p.ref === 'string' && p.ref.startsWith('refs/heads/') ? p.ref.slice('refs/heads/'.length) : null;
      if (!branch) return 'a push that is not to a branch';
      if (/^0+$/.test(str(p.after))) return 'a branch deletion';
      const commits = Array.isArray(p.commits) ? (p.commits as Json[]) : [];
      // The hook lists at most 20 commits (total_commits_count says how many there were).
      const complete = typeof p.total_commits_count === 'number' && p.total_commits_count <= commits.length;
      const changedFiles = complete ? [...new Set(commits.flatMap((c) => [...(c.added ?? []), ...(c.modified ?? []), ...(c.removed ?? [])].map(String)))] : null;
      return { type: 'branch.pushed', forge, repo: repoOf(p.project), branch, isDefault: branch === p.project?.default_branch, before: str(p.before), after: str(p.after), changedFiles };
    }
    default:
      return `event ${JSON.stringify(kind)}`;
  }
}

/** `changes.labels` lists label objects before and after; review rules care only when the names differ. */
function labelsChanged(change: Json | undefined): boolean {
  if (!change) return false;
  const names = (l: unknown) => (Array.isArray(l) ? l.map((x: Json) => String(x?.title ?? '')).sort().join('\0') : '');
  return names(change.previous) !== names(change.current);
}

function num(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error('a number is missing');
  return v;
}

function str(v: unknown): string {
  if (typeof v !== 'string' || !v) throw new Error('a field is missing');
  return v;
}
