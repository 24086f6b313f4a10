import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import type { FerryConfig } from '../../src/config/types.js';
import { chooseStep, nextSteps } from '../../src/promote/steps.js';

function config(text: string): FerryConfig {
  const r = parseConfig(text, 'ferry.yml');
  if (!r.ok) throw new Error(r.findings.map((f) => f.message).join('\n'));
  return r.config;
}

const chain = config(`environments:
  - { name: dev, path: envs/dev }
  - { name: staging, path: envs/staging }
  - { name: production, path: envs/production }
  - { name: eu, path: envs/eu }
promotion:
  - { from: dev, to: staging }
  - { from: staging, to: production, auto: true }
  - { from: staging, to: eu }
`);

describe('chooseStep', () => {
  it('picks the one step starting in the environment the PR changed', () => {
    const c = chooseStep(chain, 'main', ['envs/dev/web/a.yaml'], null);
    expect(c.ok && [c.step.from, c.step.to]).toEqual(['dev', 'staging']);
  });

  it('asks for a target when the changed environment fans out, and takes the named one', () => {
    const c = chooseStep(chain, 'main', ['envs/staging/web/a.yaml'], null);
    expect(c).toEqual({ ok: false, reason: 'this pull request can be promoted to `production` or `eu`; name one, e.g. `/promote production`' });
    // On GitLab the hint is the command as GitLab users type it.
    expect(chooseStep(chain, 'main', ['envs/staging/web/a.yaml'], null, undefined, '/ferry ')).toMatchObject({ reason: expect.stringContaining('e.g. `/ferry promote production`') });
    const named = chooseStep(chain, 'main', ['envs/staging/web/a.yaml'], 'eu');
    expect(named.ok && named.to.name).toBe('eu');
  });

  it('auto-promotion only considers auto steps', () => {
    const c = chooseStep(chain, 'main', ['envs/staging/web/a.yaml'], null, (s) => s.auto);
    expect(c.ok && c.to.name).toBe('production');
  });

  it('explains an unknown target, a step that does not exist and a PR outside every environment', () => {
    expect(chooseStep(chain, 'main', ['envs/dev/x.yaml'], 'prod')).toEqual({ ok: false, reason: 'there is no environment `prod` (defined: `dev`, `staging`, `production`, `eu`)' });
    expect(chooseStep(chain, 'main', ['envs/dev/x.yaml'], 'production')).toEqual({
      ok: false,
      reason: 'this pull request changed `dev`, and no promotion step leads from there to `production` (steps: `dev` → `staging`, `staging` → `production`, `staging` → `eu`)',
    });
    expect(chooseStep(chain, 'main', ['README.md'], null)).toEqual({
      ok: false,
      reason: 'this pull request changed no environment Ferry promotes from (merged into `main`), and no promotion step starts there (steps: `dev` → `staging`, `staging` → `production`, `staging` → `eu`)',
    });
  });

  it('the branch strategy goes by the branch the PR merged into', () => {
    const branches = config(`environments:
  - { name: staging, branch: staging }
  - { name: production, branch: production }
promotion:
  - { from: staging, to: production, strategy: branch }
`);
    expect(chooseStep(branches, 'staging', ['anything.yaml'], null).ok).toBe(true);
    expect(chooseStep(branches, 'production', ['anything.yaml'], null).ok).toBe(false);
  });

  it('a folder environment on its own branch counts only for PRs into that branch', () => {
    const both = config(`environments:
  - { name: staging, path: envs/staging, branch: main }
  - { name: production, path: envs/production, branch: main }
promotion:
  - { from: staging, to: production }
`);
    expect(chooseStep(both, 'main', ['envs/staging/a/x.yaml'], null).ok).toBe(true);
    expect(chooseStep(both, 'feature', ['envs/staging/a/x.yaml'], null).ok).toBe(false);
  });

  it('nextSteps lists what continues from an environment', () => {
    expect(nextSteps(chain, 'staging').map((s) => s.to)).toEqual(['production', 'eu']);
    expect(nextSteps(chain, 'production')).toEqual([]);
  });
});
