import { CONFIG_FILES } from '../config/index.js';
import { pullKey } from '../forge/types.js';
import { ferryCommands } from './commands/handle.js';
import type { BotEvent } from './events.js';
import { auditJob, autoPromoteJob, pushCheckJob, commandJob, nextStepJob, planJob, recheckJob, rerunJob, reviewJob, type JobSpec } from './jobs/spec.js';

/** What the core does for an event: queue jobs, or drop a PR's queued and running work. */
export type Action =
  | { do: 'enqueue'; job: JobSpec; delayMs?: number }
  | { do: 'cancel'; key: string };

/** Ferry's own checks: they are not gates, and they complete on every plan. */
const isOwnCheck = (name: string) => name.startsWith('ferry/');

/**
 * Which jobs run for an event: every rule of the bot about events, in one pure
 * function. Handlers only enqueue, so a delivery is acknowledged in milliseconds
 * whatever the size of the plan.
 */
export function dispatch(event: BotEvent): Action[] {
  switch (event.type) {
    case 'pr.changed':
      return event.pr.state === 'open' ? [{ do: 'enqueue', job: planJob(event.forge, event.pr, event.snapshot) }] : [];
    case 'pr.closed': {
      const { pr } = event;
      const out: Action[] = [{ do: 'cancel', key: pullKey(pr) }];
      // A fork's merged change is never promoted automatically, nor offered a next step.
      if (pr.merged && !pr.fromFork) {
        out.push({ do: 'enqueue', job: nextStepJob(event.forge, pr, event.snapshot) }, { do: 'enqueue', job: autoPromoteJob(event.forge, pr, true, event.snapshot) });
      }
      return out;
    }
    case 'comment.created': {
      const { comment } = event;
      // Bots (Ferry included) are not obeyed; a comment with no command for Ferry costs nothing.
      if (comment.byBot || ferryCommands(comment.body).length === 0) return [];
      return [{ do: 'enqueue', job: commandJob(event.forge, event.pr, comment) }];
    }
    case 'commit.succeeded':
      // A gate may be met now: auto-promotions waiting on this commit look again.
      return isOwnCheck(event.check) ? [] : [{ do: 'enqueue', job: recheckJob(event.forge, event.repo, event.sha) }];
    case 'review.changed':
      return [{ do: 'enqueue', job: reviewJob(event.forge, event.pr) }];
    case 'repos.installed':
      return event.repos.map((repo) => ({ do: 'enqueue', job: auditJob(event.forge, repo, 'installed') }) as const);
    case 'branch.pushed': {
      const out: Action[] = [];
      // A change to ferry.yml may change `protect:`; a push the forge did not list in full may have.
      if (event.isDefault && (!event.changedFiles || event.changedFiles.some((f) => CONFIG_FILES.includes(f)))) {
        out.push({ do: 'enqueue', job: auditJob(event.forge, event.repo, 'config-changed') });
      }
      // A push that created the branch has nothing to compare with; Ferry's own branches are promotions.
      if (!/^0+$/.test(event.before) && !event.branch.startsWith('ferry/')) {
        out.push({ do: 'enqueue', job: pushCheckJob(event.forge, event.repo, event.branch, event.before, event.after) });
      }
      return out;
    }
    case 'rerun.requested':
      if (!isOwnCheck(event.check)) return [];
      return event.pulls.map((number) => ({ do: 'enqueue', job: rerunJob(event.forge, { repo: event.repo, number }) }) as const);
  }
}
