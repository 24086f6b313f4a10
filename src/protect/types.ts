import type { ProtectionSettings } from '../config/types.js';

export type { ProtectionSettings } from '../config/types.js';

/** What one ruleset that applies to a branch asks; a key it does not set is absent. */
export interface RulesetProtection {
  name: string;
  settings: Partial<ProtectionSettings>;
}

/**
 * A branch's protection as the forge has it, normalized: the settings Ferry may write
 * (GitHub's branch protection, GitLab's protected branch and approval settings) apart
 * from those it only reads (GitHub rulesets), so enforcing never copies a ruleset's
 * rules into branch protection.
 */
export interface LiveProtection {
  /** The writable protection, or null when the branch has none. */
  protection: ProtectionSettings | null;
  /** Rulesets that apply to the branch (read-only). */
  rulesets: RulesetProtection[];
}

/** Reading a branch's protection: its settings, or why they could not be read (shown in the issue, never dropped). */
export type ProtectionRead =
  | { ok: true; live: LiveProtection }
  | { ok: false; problem: string; missingBranch?: boolean };

/** One setting of one branch that is weaker than ferry.yml asks. */
export interface Drift {
  branch: string;
  setting: keyof ProtectionSettings;
  wanted: ProtectionSettings[keyof ProtectionSettings];
  found: ProtectionSettings[keyof ProtectionSettings];
}

/** One branch's audit. */
export interface BranchAudit {
  branch: string;
  /** The environments this branch holds. */
  environments: string[];
  wanted: ProtectionSettings;
  /** Why the live settings could not be read, or could not be written. */
  problem: string | null;
  drifts: Drift[];
  /** Drifts Ferry fixed (enforce: true). */
  applied: Drift[];
}

/**
 * A required check that stands for every status on the commit (GitLab's "Pipelines must
 * succeed"): it satisfies any check ferry.yml asks for.
 */
export const EVERY_CHECK = '*';
