export { auditBranches, type AuditAccess } from './audit.js';
export { desiredProtection, type DesiredBranch } from './desired.js';
export { effective, protectionDrifts, strengthened, UNPROTECTED } from './diff.js';
export { PROTECT_ISSUE_MARKER, PROTECT_ISSUE_TITLE, protectIssue, type ProtectIssue } from './issue.js';
export { EVERY_CHECK } from './types.js';
export type { BranchAudit, Drift, LiveProtection, ProtectionRead, ProtectionSettings, RulesetProtection } from './types.js';
export { directPushCheck, PUSH_CHECK } from './push.js';
