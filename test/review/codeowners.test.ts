import { describe, expect, it } from 'vitest';
import type { ReviewRule } from '../../src/config/types.js';
import { parseCodeowners } from '../../src/review/codeowners.js';
import { evaluateReview } from '../../src/review/evaluate.js';
import type { Review } from '../../src/types.js';

describe('parseCodeowners', () => {
  it('GitHub syntax: the last matching line wins; anchors, folders, `docs/*`, no owners, comments, e-mails', () => {
    const owners = parseCodeowners(`# comment
*                 @everyone
*.yaml            @yaml-team-lead
/envs/production/ @acme/platform @pat  # inline comment
apps/             @apps-owner
docs/*            @docs
envs/production/legacy.yaml
scripts/run.sh    ops@example.com
`, 'github');
    expect(owners('README.md')).toEqual(['everyone']);
    expect(owners('base/web/deployment.yaml')).toEqual(['yaml-team-lead']);
    expect(owners('envs/production/web/kustomization.yaml')).toEqual(['acme/platform', 'pat']);
    expect(owners('nested/apps/x/y.txt')).toEqual(['apps-owner']);
    expect(owners('docs/a.md')).toEqual(['docs']);
    expect(owners('docs/deep/a.md')).toEqual(['everyone']);
    // A later line without owners leaves the file unowned.
    expect(owners('envs/production/legacy.yaml')).toEqual([]);
    expect(owners('scripts/run.sh')).toEqual([]);
    // Anchored: a production folder elsewhere is not the root one.
    expect(owners('x/envs/production/a.txt')).toEqual(['everyone']);
  });

  it('skips what GitHub does not support (negation, ranges, braces, extglobs) instead of reading it as picomatch would', () => {
    const owners = parseCodeowners(`*            @everyone
!docs/a.md   @negated
envs/[ab]/   @range
{x,y}.yaml   @brace
+(p|q).yaml  @extglob
`, 'github');
    // `!docs/a.md` read as a picomatch negation would own every file but docs/a.md.
    expect(owners('envs/production/app.yaml')).toEqual(['everyone']);
    expect(owners('docs/a.md')).toEqual(['everyone']);
    expect(owners('envs/a/app.yaml')).toEqual(['everyone']);
    expect(owners('x.yaml')).toEqual(['everyone']);
    expect(owners('p.yaml')).toEqual(['everyone']);
    // Literal names with those characters still match literally.
    expect(parseCodeowners('{x,y}.yaml @brace\n', 'gitlab')('{x,y}.yaml')).toEqual(['brace']);
  });

  it('GitLab sections: each section\'s last match, all sections together, default owners after the header', () => {
    const text = `*.yaml @yaml
[Production][2] @acme/platform
/envs/production/
/envs/production/secrets/ @security
^[Docs]
docs/ @docs
`;
    const owners = parseCodeowners(text, 'gitlab');
    expect(owners('envs/production/web.yaml')).toEqual(['yaml', 'acme/platform']);
    expect(owners('envs/production/secrets/db.yaml')).toEqual(['yaml', 'security']);
    expect(owners('docs/a.md')).toEqual(['docs']);
    // GitLab 17.10's exclusions: a section's `!pattern` frees a file of that section's owners, wherever the line is.
    const excluded = parseCodeowners(`* @all
!*.lock
[Ruby] @ruby
*.rb
!/config/*
/config/x.rb @cfg
`, 'gitlab');
    expect(excluded('Gemfile.lock')).toEqual([]);
    expect(excluded('app/a.rb')).toEqual(['all', 'ruby']);
    expect(excluded('config/x.rb')).toEqual(['all']);
    // On GitHub a `[Section]` line is no section.
    expect(parseCodeowners(text, 'github')('envs/production/web.yaml')).toEqual([]);
  });
});

describe('a rule with codeowners: true', () => {
  const HEAD = 'h'.repeat(40);
  const rule: ReviewRule = { name: 'owners', when: {}, approvals: 1, teams: [], users: [], dismissStale: true, codeowners: true };
  const plan = { environments: [], summary: { added: 0, changed: 0, removed: 0, errors: 0, warnings: 0 } };
  const ownersOf = parseCodeowners('/envs/production/ @acme/platform\n/base/ @bob\n', 'github');
  const approved = (user: string): Review => ({ user, state: 'approved', commitSha: HEAD, bot: false });
  const evaluate = (changedFiles: string[], reviews: Review[]) => evaluateReview({
    rules: [rule], plan, changedFiles, labels: [], author: 'alice', headSha: HEAD, reviews, ownersOf,
    inTeam: async (team, user) => team === 'acme/platform' && user === 'pat',
    canWrite: async () => true,
  });

  it('needs an owner of every owned changed file; someone else\'s approval does not count', async () => {
    const files = ['envs/production/web/a.yaml', 'base/web/b.yaml', 'README.md'];
    const none = await evaluate(files, [approved('mallory')]);
    expect(none.rules[0]).toMatchObject({ met: false, approvedBy: [], why: ['every change', 'code owners of files envs/production/web/a.yaml, base/web/b.yaml'], canSatisfy: ['members of acme/platform (code owner)', 'bob (code owner)'] });
    const half = await evaluate(files, [approved('pat')]);
    expect(half.rules[0]).toMatchObject({ met: false, approvedBy: ['pat'], canSatisfy: ['bob (code owner)'] });
    const both = await evaluate(files, [approved('pat'), approved('bob')]);
    expect(both.rules[0]).toMatchObject({ met: true, approvedBy: ['pat', 'bob'] });
  });

  it('without owned files it counts like a rule without codeowners', async () => {
    const ev = await evaluate(['README.md'], [approved('mallory')]);
    expect(ev.rules[0]).toMatchObject({ met: true, approvedBy: ['mallory'] });
  });
});
