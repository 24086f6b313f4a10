import { code, inline } from '../report/markdown.js';
import type { ProtectionSettings } from '../config/types.js';
import { EVERY_CHECK, type BranchAudit, type Drift } from './types.js';

/** Marks Ferry's own issue: found again by it (and its author), never by title. */
export const PROTECT_ISSUE_MARKER = '<!-- ferry:protect -->';
export const PROTECT_ISSUE_TITLE = 'Ferry: branch protection is weaker than ferry.yml asks';

/** The issue Ferry keeps for a repository: open while anything is left to fix. */
export interface ProtectIssue {
  title: string;
  body: string;
  open: boolean;
}

const LABELS: Record<keyof ProtectionSettings, string> = {
  checks: 'required status checks',
  approvals: 'required approvals',
  dismissStale: 'stale approvals dismissed on push',
  allowForcePushes: 'force pushes allowed',
  allowDeletions: 'branch deletion allowed',
  includeAdmins: 'rules bind administrators',
};

/** A setting's value; check names come from the repository and are code spans. */
function value(v: Drift['wanted']): string {
  if (Array.isArray(v)) return v.length ? v.map((c) => (c === EVERY_CHECK ? 'every status (pipelines must succeed)' : code(c, { table: true }))).join(', ') : 'none';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

/**
 * The issue after one audit of a repository. Open while a branch is weaker than asked or
 * could not be read (a missing permission is said, never skipped); closed, saying so,
 * once nothing is left. Every name from the repository is escaped.
 */
export function protectIssue(audits: BranchAudit[], opts: { configFile: string; enforce: boolean; ref: string }): ProtectIssue {
  const left = audits.filter((a) => a.problem || a.drifts.length);
  const applied = audits.filter((a) => a.applied.length);
  const lines: string[] = [PROTECT_ISSUE_MARKER, ''];
  lines.push(`Ferry compares each environment branch's protection with \`protect:\` in ${code(opts.configFile)} on ${code(opts.ref)}. It updates this issue on every audit — on installation, when ferry.yml changes on the default branch, and daily — and closes it once nothing is left.`, '');
  if (!left.length) lines.push(`✅ Every environment branch (${audits.map((a) => code(a.branch)).join(', ') || 'none'}) is protected at least as ferry.yml asks.`, '');
  for (const a of left) {
    lines.push(`### Branch ${code(a.branch)} (${a.environments.map((e) => code(e)).join(', ')})`, '');
    if (a.problem) lines.push(`⚠️ ${inline(a.problem)}`, '');
    if (a.drifts.length) {
      lines.push('| setting | ferry.yml asks | found |', '| --- | --- | --- |');
      for (const d of a.drifts) lines.push(`| ${LABELS[d.setting]} | ${value(d.wanted)} | ${value(d.found)} |`);
      lines.push('');
    }
  }
  if (applied.length) {
    lines.push('### Changed by Ferry (`enforce: true`)', '');
    for (const a of applied) for (const d of a.applied) lines.push(`- ${code(a.branch)}: ${LABELS[d.setting]} was ${value(d.found)}, now ${value(d.wanted)}`);
    lines.push('');
  }
  if (left.some((a) => a.drifts.length)) {
    lines.push(opts.enforce
      ? 'Ferry applies these itself (`enforce: true`) once it may; what is listed above it could not apply.'
      : 'Fix these in the repository settings, or set `protect.enforce: true` to let Ferry apply them (it then needs the Administration: write permission).');
  }
  return { title: PROTECT_ISSUE_TITLE, body: lines.join('\n').trimEnd() + '\n', open: left.length > 0 };
}
