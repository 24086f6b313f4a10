import type { ProtectionSettings } from '../config/types.js';
import type { DesiredBranch } from './desired.js';
import { protectionDrifts, strengthened } from './diff.js';
import type { BranchAudit, ProtectionRead } from './types.js';

/** How the audit reads and writes a forge: callbacks, so this stays free of any forge. */
export interface AuditAccess {
  read(branch: string): Promise<ProtectionRead>;
  /** Writes the branch's protection; present only with `enforce: true`. Throws with a readable message when refused. */
  apply?(branch: string, settings: ProtectionSettings): Promise<void>;
}

/**
 * Audits each branch: reads its protection, lists what is weaker than asked and, when
 * `apply` is given, writes the strengthened protection and reads it back, so what the
 * issue says Ferry changed is what the forge now has.
 */
export async function auditBranches(desired: DesiredBranch[], access: AuditAccess): Promise<BranchAudit[]> {
  const out: BranchAudit[] = [];
  for (const d of desired) {
    const audit: BranchAudit = { branch: d.branch, environments: d.environments, wanted: d.settings, problem: null, drifts: [], applied: [] };
    out.push(audit);
    const read = await access.read(d.branch);
    if (!read.ok) {
      audit.problem = read.problem;
      continue;
    }
    audit.drifts = protectionDrifts(d.branch, d.settings, read.live);
    if (!audit.drifts.length || !access.apply) continue;
    try {
      await access.apply(d.branch, strengthened(d.settings, read.live));
    } catch (err) {
      audit.problem = (err as Error).message;
      continue;
    }
    const after = await access.read(d.branch);
    if (!after.ok) {
      audit.problem = after.problem;
      continue;
    }
    const left = protectionDrifts(d.branch, d.settings, after.live);
    audit.applied = audit.drifts.filter((x) => !left.some((y) => y.setting === x.setting));
    audit.drifts = left;
  }
  return out;
}
