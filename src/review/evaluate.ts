import picomatch from 'picomatch';
import { CONFIG_FILES } from '../config/load.js';
import type { ReviewRule } from '../config/types.js';
import { CODEOWNERS_FILES } from './codeowners.js';
import type { Plan, Review } from '../types.js';

export interface ReviewInput {
  rules: ReviewRule[];
  plan: Pick<Plan, 'environments' | 'summary'>;
  changedFiles: string[];
  labels: string[];
  author: string;
  /** The PR's head: approvals on another commit may be stale for rules with `dismissStale`. */
  headSha: string;
  /** Oldest first, as the forge lists them. */
  reviews: Review[];
  /** The CODEOWNERS owners of a file at the base (`user`, `org/team`), for rules with `codeowners`. */
  ownersOf?: (file: string) => string[];
  /** Team membership, asked of the forge by the caller (this module does no I/O of its own). */
  inTeam: (team: string, user: string) => Promise<boolean>;
  /**
   * Whether the user may write to the repository. A rule that names nobody counts only
   * their approvals: on a public repository anyone can approve, a second account included.
   */
  canWrite: (user: string) => Promise<boolean>;
  /**
   * What the pushes since `commitSha` changed: the plan from that commit to the head, with
   * the PR's config; null when it cannot be known (the commit is gone). Without it, every
   * approval on another commit than the head is stale.
   */
  pushedSince?: (commitSha: string) => Promise<PushedChange | null>;
}

/** The change from an approved commit to the head. */
export interface PushedChange {
  plan: Pick<Plan, 'environments'>;
  changedFiles: string[];
}

export interface RuleOutcome {
  rule: string;
  applies: boolean;
  /** What made it apply: `environment production`, `file envs/a.yaml`, `kind ClusterRole/admin`, … */
  why: string[];
  required: number;
  /** Users whose approval counts, in the order they approved. */
  approvedBy: string[];
  /** Approvals that would count but were given before a push that changed the rule's scope. */
  stale: string[];
  /** Users who could satisfy the rule and whose latest review requests changes. */
  changesRequestedBy: string[];
  /** Who can still approve: users not yet counted, then `members of <team>`. Empty when met. */
  canSatisfy: string[];
  met: boolean;
}

export interface ReviewEvaluation {
  /** `success` when every applying rule is met, or none applies. */
  state: 'success' | 'pending';
  noneApplies: boolean;
  rules: RuleOutcome[];
}

/** At most this many items of one kind are named in `why`; the rest are counted. */
const WHY_LIMIT = 5;

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const isBot = (r: Review) => r.bot || r.user.toLowerCase().endsWith('[bot]');

function named(what: string, items: string[]): string {
  const shown = items.slice(0, WHY_LIMIT).join(', ');
  return `${what} ${shown}${items.length > WHY_LIMIT ? ` and ${items.length - WHY_LIMIT} more` : ''}`;
}

/** Apps Ferry could not render (an error, or skipped: no helm): they may change anything. */
const unrendered = (a: { status: string }) => a.status !== 'rendered';

/** Environments whose plan changes something; an app that did not render may change anything. */
function changedEnvironments(plan: Pick<Plan, 'environments'>): string[] {
  return plan.environments.filter((e) => e.apps.some((a) => a.changes.length > 0 || unrendered(a))).map((e) => e.name);
}

/** `Kind` matches every resource of the kind; `Kind/glob` the ones whose name matches. */
function kindMatcher(patterns: string[]): (kind: string, name: string) => boolean {
  const tests = patterns.map((p) => {
    const slash = p.indexOf('/');
    if (slash < 0) return (kind: string) => kind === p;
    const kind = p.slice(0, slash);
    const name = picomatch(p.slice(slash + 1), { dot: true });
    return (k: string, n: string) => k === kind && name(n);
  });
  return (kind, name) => tests.some((t) => t(kind, name));
}

/** Whether the rule's `when` holds, and what made it hold. Every key set must hold. */
async function applies(rule: ReviewRule, input: ReviewInput, memo: Membership): Promise<{ applies: boolean; why: string[] }> {
  const w = rule.when;
  const why: string[] = [];
  if (w.environments) {
    const hit = changedEnvironments(input.plan).filter((e) => w.environments!.includes(e));
    if (!hit.length) return { applies: false, why: [] };
    why.push(named(hit.length === 1 ? 'environment' : 'environments', hit));
  }
  if (w.paths) {
    const match = picomatch(w.paths, { dot: true });
    const hit = input.changedFiles.filter((f) => match(f));
    if (!hit.length) return { applies: false, why: [] };
    why.push(named(hit.length === 1 ? 'file' : 'files', hit));
  }
  if (w.kinds) {
    const match = kindMatcher(w.kinds);
    const hit = new Set<string>();
    for (const e of input.plan.environments) for (const a of e.apps) for (const c of a.changes) if (match(c.kind, c.name)) hit.add(`${c.kind}/${c.name}`);
    // What an app that did not render would change is unknown: the rule applies (fail closed).
    for (const e of input.plan.environments) for (const a of e.apps) if (unrendered(a)) hit.add(`anything in ${e.name}/${a.name} (not rendered)`);
    if (!hit.size) return { applies: false, why: [] };
    why.push(named(hit.size === 1 ? 'resource' : 'resources', [...hit].sort()));
  }
  if (w.removals !== undefined) {
    const removed = input.plan.environments.flatMap((e) => e.apps.flatMap((a) => [
      ...a.changes.filter((c) => c.action === 'removed').map((c) => `${c.kind}/${c.name}`),
      ...(unrendered(a) ? [`anything in ${e.name}/${a.name} (not rendered)`] : []),
    ]));
    if (w.removals !== removed.length > 0) return { applies: false, why: [] };
    why.push(w.removals ? named('removes', removed) : 'removes nothing');
  }
  if (w.errors !== undefined) {
    const errors = input.plan.summary.errors;
    if (w.errors !== errors > 0) return { applies: false, why: [] };
    why.push(w.errors ? `${errors} error finding${errors === 1 ? '' : 's'}` : 'no error findings');
  }
  if (w.labels) {
    const hit = input.labels.filter((l) => w.labels!.some((x) => same(x, l)));
    if (!hit.length) return { applies: false, why: [] };
    why.push(named(hit.length === 1 ? 'label' : 'labels', hit));
  }
  if (w.author) {
    const { in: inTeams, notIn } = w.author;
    if (inTeams) {
      const hit = await memo.firstTeam(inTeams, input.author);
      if (!hit) return { applies: false, why: [] };
      why.push(`author in ${hit}`);
    }
    if (notIn) {
      if (await memo.firstTeam(notIn, input.author)) return { applies: false, why: [] };
      why.push(`author not in ${notIn.join(', ')}`);
    }
  }
  if (!why.length) why.push('every change');
  return { applies: true, why };
}

const GOVERNING_FILES = new Set([...CONFIG_FILES, ...CODEOWNERS_FILES]);

/**
 * Whether the pushes after an approval changed what the rule is about: an environment,
 * file or kind it names, a removal it asks about, or a file with code owners. Any of them
 * (not all: a push that reaches production through a base file changes what was
 * approved). A rule about none of these (labels, author, errors, or nothing) is about
 * every change. An app that did not render may have changed anything.
 */
function pushTouchesScope(rule: ReviewRule, pushed: PushedChange, ownersOf: ReviewInput['ownersOf']): boolean {
  // The pushes are planned with the base config, so an edit of ferry.yml or CODEOWNERS
  // changes no environment there; merged, it sets the rules of every later PR.
  if (pushed.changedFiles.some((f) => GOVERNING_FILES.has(f))) return true;
  const w = rule.when;
  const apps = pushed.plan.environments.flatMap((e) => e.apps.map((a) => ({ env: e.name, app: a })));
  const scoped = w.environments || w.paths || w.kinds || w.removals === true || rule.codeowners;
  if (!scoped) return pushed.changedFiles.length > 0 || apps.some(({ app }) => app.changes.length > 0 || unrendered(app));
  if (w.environments && changedEnvironments(pushed.plan).some((e) => w.environments!.includes(e))) return true;
  if (w.paths) {
    const match = picomatch(w.paths, { dot: true });
    if (pushed.changedFiles.some((f) => match(f))) return true;
  }
  if (w.kinds || w.removals === true) {
    const kind = w.kinds ? kindMatcher(w.kinds) : null;
    for (const { app } of apps) {
      if (unrendered(app)) return true;
      for (const c of app.changes) if ((kind && kind(c.kind, c.name)) || (w.removals === true && c.action === 'removed')) return true;
    }
  }
  if (rule.codeowners && ownersOf && pushed.changedFiles.some((f) => ownersOf(f).length > 0)) return true;
  return false;
}

/** Plans the pushes since each approved commit once per evaluation, however many rules ask. */
class Pushes {
  private readonly asked = new Map<string, Promise<PushedChange | null>>();
  constructor(private readonly since: ReviewInput['pushedSince']) {}

  of(sha: string): Promise<PushedChange | null> {
    let p = this.asked.get(sha);
    if (!p) this.asked.set(sha, (p = this.since ? this.since(sha).catch(() => null) : Promise.resolve(null)));
    return p;
  }
}

/** Asks each (team, user) once per evaluation, however many rules name the team. */
class Membership {
  private readonly asked = new Map<string, Promise<boolean>>();
  constructor(private readonly inTeam: ReviewInput['inTeam']) {}

  member(team: string, user: string): Promise<boolean> {
    const key = `${team.toLowerCase()}\0${user.toLowerCase()}`;
    let p = this.asked.get(key);
    if (!p) this.asked.set(key, (p = this.inTeam(team, user)));
    return p;
  }

  async firstTeam(teams: string[], user: string): Promise<string | null> {
    for (const t of teams) if (await this.member(t, user)) return t;
    return null;
  }
}

/**
 * The latest review per user that says something about approval: a comment-only review
 * leaves an earlier approval or request for changes standing, as on GitHub; a dismissal
 * clears it.
 */
function latestStances(reviews: Review[]): Map<string, Review> {
  const out = new Map<string, Review>();
  for (const r of reviews) {
    if (r.state === 'commented') continue;
    const key = r.user.toLowerCase();
    out.delete(key); // re-inserted last: the map keeps the order people last took a stance
    out.set(key, r);
  }
  return out;
}

async function isOwner(owners: string[], user: string, memo: Membership): Promise<boolean> {
  for (const o of owners) if (o.includes('/') ? await memo.member(o, user) : same(o, user)) return true;
  return false;
}

/** Changed files with owners, for a rule with `codeowners`; empty otherwise. */
function ownedFiles(rule: ReviewRule, input: ReviewInput): Array<{ file: string; owners: string[] }> {
  if (!rule.codeowners || !input.ownersOf) return [];
  return input.changedFiles.map((file) => ({ file, owners: input.ownersOf!(file) })).filter((f) => f.owners.length > 0);
}

async function eligible(rule: ReviewRule, owned: Array<{ owners: string[] }>, user: string, memo: Membership, canWrite: ReviewInput['canWrite']): Promise<boolean> {
  if (rule.teams.length === 0 && rule.users.length === 0 && owned.length === 0) return canWrite(user);
  if (rule.users.some((u) => same(u, user))) return true;
  if ((await memo.firstTeam(rule.teams, user)) !== null) return true;
  for (const f of owned) if (await isOwner(f.owners, user, memo)) return true;
  return false;
}

/**
 * Evaluates the review rules of a PR: which apply, whose approvals count for each, and
 * whether every applying rule is met.
 */
export async function evaluateReview(input: ReviewInput): Promise<ReviewEvaluation> {
  const memo = new Membership(input.inTeam);
  const pushes = new Pushes(input.pushedSince);
  // Asked once per user however many rules name nobody.
  const asked = new Map<string, Promise<boolean>>();
  const writers = (user: string) => {
    const key = user.toLowerCase();
    let p = asked.get(key);
    if (!p) asked.set(key, (p = input.canWrite(user)));
    return p;
  };
  // Unknown (no way to plan the pushes, or the commit is gone) is stale: fail closed.
  const stale = async (rule: ReviewRule, sha: string) => {
    const pushed = await pushes.of(sha);
    return !pushed || pushTouchesScope(rule, pushed, input.ownersOf);
  };
  const stances = [...latestStances(input.reviews).values()].filter((r) => !isBot(r) && !same(r.user, input.author));
  const rules: RuleOutcome[] = [];
  for (const rule of input.rules) {
    const { applies: on, why } = await applies(rule, input, memo);
    const outcome: RuleOutcome = { rule: rule.name, applies: on, why, required: rule.approvals, approvedBy: [], stale: [], changesRequestedBy: [], canSatisfy: [], met: true };
    rules.push(outcome);
    if (!on) continue;
    const owned = ownedFiles(rule, input);
    for (const r of stances) {
      if (!(await eligible(rule, owned, r.user, memo, writers))) continue;
      if (r.state === 'changes_requested') outcome.changesRequestedBy.push(r.user);
      else if (r.state === 'approved') {
        // GitLab's approvals carry no commit: its own "reset approvals on push" decides there.
        if (rule.dismissStale && r.commitSha !== null && r.commitSha !== input.headSha && (await stale(rule, r.commitSha))) outcome.stale.push(r.user);
        else outcome.approvedBy.push(r.user);
      }
    }
    // With `codeowners`, every changed file that has owners needs one of them among the approvals.
    const uncovered: typeof owned = [];
    for (const f of owned) {
      let covered = false;
      for (const u of outcome.approvedBy) if ((covered = await isOwner(f.owners, u, memo))) break;
      if (!covered) uncovered.push(f);
    }
    if (owned.length) outcome.why.push(named(owned.length === 1 ? 'code owners of' : 'code owners of files', owned.map((f) => f.file)));
    outcome.met = outcome.approvedBy.length >= rule.approvals && outcome.changesRequestedBy.length === 0 && uncovered.length === 0;
    if (!outcome.met) {
      const counted = new Set(outcome.approvedBy.map((u) => u.toLowerCase()));
      const people = rule.users.filter((u) => !counted.has(u.toLowerCase()) && !same(u, input.author));
      const owners = [...new Set(uncovered.flatMap((f) => f.owners))].filter((o) => !counted.has(o.toLowerCase()) && !same(o, input.author));
      outcome.canSatisfy = rule.teams.length === 0 && rule.users.length === 0 && owned.length === 0
        ? ['anyone with write access but the author']
        : [...people, ...rule.teams.map((t) => `members of ${t}`), ...owners.map((o) => (o.includes('/') ? `members of ${o}` : o)).map((o) => `${o} (code owner)`)];
    }
  }
  const applying = rules.filter((r) => r.applies);
  return { state: applying.every((r) => r.met) ? 'success' : 'pending', noneApplies: applying.length === 0, rules };
}
