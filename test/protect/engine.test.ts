import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import type { FerryConfig, ProtectionSettings } from '../../src/config/types.js';
import { auditBranches, desiredProtection, effective, protectIssue, protectionDrifts, strengthened, UNPROTECTED, type LiveProtection, type ProtectionRead } from '../../src/protect/index.js';

const WANTED: ProtectionSettings = { checks: ['ferry/plan', 'ferry/validate'], approvals: 1, dismissStale: true, allowForcePushes: false, allowDeletions: false, includeAdmins: true };

function config(text: string): FerryConfig {
  const r = parseConfig(text, '.github/ferry.yml');
  if (!r.ok) throw new Error(r.findings.map((f) => f.message).join('\n'));
  return r.config;
}

const live = (protection: ProtectionSettings | null, rulesets: LiveProtection['rulesets'] = []): LiveProtection => ({ protection, rulesets });

describe('desiredProtection', () => {
  it('the directory strategy protects the default branch, which holds every environment\'s folder', () => {
    const c = config('environments: [{ name: staging, path: envs/staging }, { name: production, path: envs/production }]\nprotect: { approvals: 2 }\n');
    expect(desiredProtection(c, 'main')).toEqual([{ branch: 'main', environments: ['staging', 'production'], settings: { ...WANTED, approvals: 2 } }]);
  });

  it('branch per environment: each branch, with its overrides', () => {
    const c = config('environments: [{ name: staging, branch: staging }, { name: production, branch: production }]\nprotect: { branches: { production: { approvals: 2 } } }\n');
    expect(desiredProtection(c, 'main')).toEqual([
      { branch: 'staging', environments: ['staging'], settings: WANTED },
      { branch: 'production', environments: ['production'], settings: { ...WANTED, approvals: 2 } },
    ]);
  });

  it('nothing without protect:', () => {
    expect(desiredProtection(config('environments: [{ name: staging, path: envs/staging }]\n'), 'main')).toEqual([]);
  });
});

describe('protectionDrifts', () => {
  it('an unprotected branch drifts on every setting', () => {
    expect(protectionDrifts('main', WANTED, live(null))).toEqual([
      { branch: 'main', setting: 'checks', wanted: ['ferry/plan', 'ferry/validate'], found: [] },
      { branch: 'main', setting: 'approvals', wanted: 1, found: 0 },
      { branch: 'main', setting: 'dismissStale', wanted: true, found: false },
      { branch: 'main', setting: 'allowForcePushes', wanted: false, found: true },
      { branch: 'main', setting: 'allowDeletions', wanted: false, found: true },
      { branch: 'main', setting: 'includeAdmins', wanted: true, found: false },
    ]);
  });

  it('exactly as asked, or stricter, is no drift', () => {
    expect(protectionDrifts('main', WANTED, live(WANTED))).toEqual([]);
    expect(protectionDrifts('main', WANTED, live({ ...WANTED, checks: ['ci', ...WANTED.checks], approvals: 3 }))).toEqual([]);
    // Asking for less than the branch has (force pushes allowed) is no drift either.
    expect(protectionDrifts('main', { ...WANTED, allowForcePushes: true, dismissStale: false }, live(WANTED))).toEqual([]);
  });

  it('"every status" (GitLab\'s pipelines must succeed) satisfies any check asked for', () => {
    expect(protectionDrifts('main', WANTED, live({ ...WANTED, checks: ['*'] }))).toEqual([]);
  });

  it('one missing check, one approval short', () => {
    expect(protectionDrifts('main', WANTED, live({ ...WANTED, checks: ['ferry/plan'], approvals: 0 })).map((d) => d.setting)).toEqual(['checks', 'approvals']);
  });

  it('a ruleset that applies makes up for branch protection (the strictest binds)', () => {
    const rules = [{ name: 'org baseline', settings: { checks: ['ferry/validate'], approvals: 2, allowForcePushes: false } }];
    const l = live({ ...UNPROTECTED, checks: ['ferry/plan'], dismissStale: true, allowDeletions: false, includeAdmins: true }, rules);
    expect(effective(l)).toEqual({ checks: ['ferry/plan', 'ferry/validate'], approvals: 2, dismissStale: true, allowForcePushes: false, allowDeletions: false, includeAdmins: true });
    expect(protectionDrifts('main', WANTED, l)).toEqual([]);
  });

  it('strengthened writes what is asked without loosening anything, nor copying rulesets', () => {
    const l = live({ ...UNPROTECTED, checks: ['ci'], approvals: 3, allowForcePushes: true }, [{ name: 'r', settings: { checks: ['from-ruleset'] } }]);
    expect(strengthened(WANTED, l)).toEqual({ checks: ['ci', 'ferry/plan', 'ferry/validate'], approvals: 3, dismissStale: true, allowForcePushes: false, allowDeletions: false, includeAdmins: true });
    expect(strengthened({ ...WANTED, allowForcePushes: true }, live(WANTED)).allowForcePushes).toBe(false);
  });
});

describe('auditBranches', () => {
  const desired = [{ branch: 'main', environments: ['staging'], settings: WANTED }];

  it('reports a branch it cannot read, with the reason', async () => {
    const audits = await auditBranches(desired, { read: async () => ({ ok: false, problem: 'Ferry cannot read branch protection: grant Administration: read' }) });
    expect(audits).toEqual([{ branch: 'main', environments: ['staging'], wanted: WANTED, problem: 'Ferry cannot read branch protection: grant Administration: read', drifts: [], applied: [] }]);
  });

  it('applies the strengthened settings and reports as applied only what the forge has afterwards', async () => {
    let stored: ProtectionSettings | null = { ...UNPROTECTED, checks: ['ci'] };
    const writes: ProtectionSettings[] = [];
    const read = async (): Promise<ProtectionRead> => ({ ok: true, live: live(stored) });
    // The forge drops the admin setting (as a plan without it would): it stays a drift.
    const apply = async (_b: string, s: ProtectionSettings) => void (writes.push(s), (stored = { ...s, includeAdmins: false }));
    const [a] = await auditBranches(desired, { read, apply });
    expect(writes).toEqual([{ ...WANTED, checks: ['ci', 'ferry/plan', 'ferry/validate'] }]);
    expect(a!.applied.map((d) => d.setting)).toEqual(['checks', 'approvals', 'dismissStale', 'allowForcePushes', 'allowDeletions']);
    expect(a!.drifts.map((d) => d.setting)).toEqual(['includeAdmins']);
  });

  it('a refused write is the branch\'s problem, and the drifts stay', async () => {
    const [a] = await auditBranches(desired, {
      read: async () => ({ ok: true, live: live(null) }),
      apply: async () => { throw new Error('Ferry cannot change branch protection: grant Administration: write'); },
    });
    expect(a!.problem).toBe('Ferry cannot change branch protection: grant Administration: write');
    expect(a!.drifts).toHaveLength(6);
    expect(a!.applied).toEqual([]);
  });
});

describe('protectIssue', () => {
  const audit = (over: Partial<Parameters<typeof protectIssue>[0][number]> = {}) => ({ branch: 'main', environments: ['staging'], wanted: WANTED, problem: null, drifts: [], applied: [], ...over });
  const opts = { configFile: '.github/ferry.yml', enforce: false, ref: 'main' };

  it('lists each drift in a table and stays open', () => {
    const issue = protectIssue([audit({ drifts: protectionDrifts('main', WANTED, live({ ...WANTED, approvals: 0, checks: ['ferry/plan'] })) })], opts);
    expect(issue.open).toBe(true);
    expect(issue.body).toContain('<!-- ferry:protect -->');
    expect(issue.body).toContain('| required status checks | `ferry/plan`, `ferry/validate` | `ferry/plan` |');
    expect(issue.body).toContain('| required approvals | 1 | 0 |');
    expect(issue.body).toContain('protect.enforce: true');
  });

  it('a problem is said, and keeps the issue open', () => {
    const issue = protectIssue([audit({ problem: 'Ferry cannot read branch protection: grant Administration: read' })], opts);
    expect(issue.open).toBe(true);
    expect(issue.body).toContain('⚠️ Ferry cannot read branch protection: grant Administration: read');
  });

  it('nothing left: closed, saying so; what Ferry changed is listed', () => {
    const fixed = protectIssue([audit({ applied: [{ branch: 'main', setting: 'approvals', wanted: 1, found: 0 }] })], { ...opts, enforce: true });
    expect(fixed.open).toBe(false);
    expect(fixed.body).toContain('✅ Every environment branch (`main`) is protected');
    expect(fixed.body).toContain('- `main`: required approvals was 0, now 1');
  });

  it('escapes branch and check names from the repository', () => {
    const evil = 'x|`@admins <img src=x>';
    const body = protectIssue([audit({ branch: 'main', environments: ['@team'], drifts: [{ branch: 'main', setting: 'checks', wanted: [evil], found: [] }], problem: '[click](https://evil) @org/team' })], opts).body;
    expect(body).toContain('``x\\|`@admins <img src=x>``');
    expect(body).not.toMatch(/\]\(https:\/\/evil/);
    expect(body).not.toMatch(/(^|[^`])@org\/team/);
    // One row per drift: the `|` in the name did not add a cell.
    const row = body.split('\n').find((l) => l.startsWith('| required status checks'))!;
    expect(row.replace(/\\\|/g, '').split('|').length).toBe(5);
  });
});
