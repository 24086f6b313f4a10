import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';

const FILE = '.github/ferry.yml';

function config(text: string) {
  const r = parseConfig(text, FILE);
  if (!r.ok) throw new Error(r.findings.map((f) => f.message).join('\n'));
  return r.config;
}

function errors(text: string): string[] {
  const r = parseConfig(text, FILE);
  if (r.ok) throw new Error('expected errors');
  return r.findings.map((f) => f.message);
}

describe('protect:', () => {
  it('is absent unless ferry.yml has it (nothing is audited then)', () => {
    expect(config('environments: [{ name: staging, path: envs/staging }]\n').protect).toBeUndefined();
  });

  it('fills defaults: ferry/plan and ferry/validate, one approval, stale approvals dismissed, no force pushes or deletions, admins included, report only', () => {
    expect(config('environments: [{ name: staging, path: envs/staging }]\nprotect: {}\n').protect).toEqual({
      enforce: false,
      settings: { checks: ['ferry/plan', 'ferry/validate'], approvals: 1, dismissStale: true, allowForcePushes: false, allowDeletions: false, includeAdmins: true },
      branches: {},
    });
  });

  it('requires ferry/review by default only when there are review rules (it is written only then)', () => {
    const c = config('environments: [{ name: staging, path: envs/staging }]\nreview: [{ name: any }]\nprotect: {}\n');
    expect(c.protect!.settings.checks).toEqual(['ferry/plan', 'ferry/validate', 'ferry/review']);
  });

  it('reads every key and per-branch overrides', () => {
    const c = config(`environments:
  - { name: staging, branch: staging }
  - { name: production, branch: production }
protect:
  enforce: true
  checks: [ferry/plan, ci/test, ci/test]
  approvals: 2
  dismissStale: false
  allowForcePushes: true
  allowDeletions: true
  includeAdmins: false
  branches:
    production: { approvals: 3, allowForcePushes: false }
`);
    expect(c.protect).toEqual({
      enforce: true,
      settings: { checks: ['ferry/plan', 'ci/test'], approvals: 2, dismissStale: false, allowForcePushes: true, allowDeletions: true, includeAdmins: false },
      branches: { production: { approvals: 3, allowForcePushes: false } },
    });
  });

  it('an unknown key, a wrong type and a branch that is no environment\'s are errors at their line', () => {
    expect(errors(`environments: [{ name: staging, path: envs/staging }]
protect:
  enforced: true
`)).toEqual([`${FILE}:3: protect.enforced: unknown key (did you mean "enforce"?); expected one of: enforce, checks, approvals, dismissStale, allowForcePushes, allowDeletions, includeAdmins, branches`]);
    expect(errors(`environments: [{ name: staging, path: envs/staging }]
protect:
  approvals: two
`)).toEqual([`${FILE}:3: protect.approvals: expected a whole number, got "two"`]);
    expect(errors(`environments:
  - { name: staging, branch: staging }
  - { name: production, branch: production }
protect:
  branches:
    prodution: { approvals: 2 }
`)).toEqual([`${FILE}:6: protect.branches.prodution: "prodution" is no environment's branch (did you mean "production"?); environment branches: staging, production`]);
  });

  it('a branch override may name the default branch when an environment is a folder', () => {
    expect(config(`environments:
  - { name: staging, path: envs/staging }
protect:
  branches:
    main: { approvals: 2 }
`).protect!.branches).toEqual({ main: { approvals: 2 } });
  });
});
