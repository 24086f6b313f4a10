import type { ProtectionSettings } from '../config/types.js';
import { EVERY_CHECK, type Drift, type LiveProtection } from './types.js';

/** A branch nothing protects. */
export const UNPROTECTED: ProtectionSettings = { checks: [], approvals: 0, dismissStale: false, allowForcePushes: true, allowDeletions: true, includeAdmins: false };

/** The stricter of two settings, key by key (what binds when both apply). */
function stricter(a: ProtectionSettings, b: Partial<ProtectionSettings>): ProtectionSettings {
  return {
    checks: [...new Set([...a.checks, ...(b.checks ?? [])])],
    approvals: Math.max(a.approvals, b.approvals ?? 0),
    dismissStale: a.dismissStale || !!b.dismissStale,
    allowForcePushes: a.allowForcePushes && b.allowForcePushes !== false,
    allowDeletions: a.allowDeletions && b.allowDeletions !== false,
    includeAdmins: a.includeAdmins || !!b.includeAdmins,
  };
}

/** What binds the branch: its protection and every ruleset that applies, the strictest of each. */
export function effective(live: LiveProtection): ProtectionSettings {
  return live.rulesets.reduce((acc, r) => stricter(acc, r.settings), live.protection ?? UNPROTECTED);
}

/**
 * Settings weaker than ferry.yml asks. Stricter live settings (another required check,
 * more approvals) are no drift: ferry.yml states a floor, and a team may raise it.
 */
export function protectionDrifts(branch: string, wanted: ProtectionSettings, live: LiveProtection): Drift[] {
  const found = effective(live);
  const weaker: Record<keyof ProtectionSettings, boolean> = {
    checks: !found.checks.includes(EVERY_CHECK) && wanted.checks.some((c) => !found.checks.includes(c)),
    approvals: found.approvals < wanted.approvals,
    dismissStale: wanted.dismissStale && !found.dismissStale,
    allowForcePushes: !wanted.allowForcePushes && found.allowForcePushes,
    allowDeletions: !wanted.allowDeletions && found.allowDeletions,
    includeAdmins: wanted.includeAdmins && !found.includeAdmins,
  };
  return (Object.keys(weaker) as Array<keyof ProtectionSettings>)
    .filter((k) => weaker[k])
    .map((setting) => ({ branch, setting, wanted: wanted[setting], found: found[setting] }));
}

/**
 * The protection to write so that no drift is left, loosening nothing: each setting is
 * the stricter of what the branch's own protection has and what ferry.yml asks. Rulesets
 * are not copied into it.
 */
export function strengthened(wanted: ProtectionSettings, live: LiveProtection): ProtectionSettings {
  return stricter(live.protection ?? UNPROTECTED, wanted);
}
