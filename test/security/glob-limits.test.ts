// Issue 8, item 16: a glob whose matching backtracks for minutes is refused at config load.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';

const FILE = '.github/ferry.yml';

const config = (keep: string[], paths: string[] = ['envs/production/**']) => `environments:
  - name: staging
    path: envs/staging
  - name: production
    path: envs/production
promotion:
  - from: staging
    to: production
    keep:
${keep.map((g) => `      - ${JSON.stringify(g)}`).join('\n')}
review:
  - name: prod
    when:
      paths:
${paths.map((g) => `        - ${JSON.stringify(g)}`).join('\n')}
`;

describe('glob complexity is bounded at config load', () => {
  it('refuses the pathological keep glob, naming the key and its line', () => {
    // `+(a*)b` took 20 s against a 30-character file name on the engine's thread.
    const r = parseConfig(config(['**/env-patch.yaml', '+(a*)b']), FILE);
    expect(r.ok).toBe(false);
    const findings = r.ok ? [] : r.findings;
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'config', file: FILE, line: 11 });
    expect(findings[0]!.message).toMatch(/^\.github\/ferry\.yml:11: promotion\[0\]\.keep\[1\]: glob "\+\(a\*\)b" .*repeating extglob/);
  });

  it.each([
    ['many `*` in one segment', '*a*a*a*a*a*a*b', /more than 2 `\*` wildcards in one path segment/],
    ['many `**/` segments', '**/a/**/a/**/a/**/b', /more than 2 `\*\*` segments/],
    ['a repeating extglob around a wildcard', '*(*a)b', /repeating extglob/],
    ['nested extglobs', '+(a|+(a|aa))b', /nests an extglob/],
    ['nested braces', '{a,{b,{c,d}}}.yaml', /nests a brace group/],
    ['too many wildcards overall', 'a?/b?/c?/d?/e?/f?/g?/h?/i?', /more than 8 wildcards/],
    ['a very long glob', `envs/${'x'.repeat(300)}/*.yaml`, /at most 256/],
  ])('refuses %s', (_label, glob, why) => {
    const r = parseConfig(config(['ok.yaml', glob]), FILE);
    expect(!r.ok && r.findings.map((f) => f.message)).toEqual([expect.stringMatching(why)]);
    expect(!r.ok && r.findings[0]!.message).toContain('promotion[0].keep[1]');
  });

  it('applies to review.when.paths as well', () => {
    const r = parseConfig(config(['ok.yaml'], ['envs/**', '*a*a*a*a*b']), FILE);
    expect(!r.ok && r.findings.map((f) => [f.line, f.message.split(': ').slice(1, 2)[0]])).toEqual([[16, 'review[0].when.paths[1]']]);
  });

  it('accepts the globs people write for paths', () => {
    const everyday = ['**/env-patch.yaml', '**/*.{yaml,yml}', 'envs/*/{values,secrets}.yaml', '*-patch-*.yaml', '!(*.md)', '**/web/**/x.yaml', 'web/[a-z]*.yaml', '\\*literal\\*\\*\\*'];
    const r = parseConfig(config(everyday, everyday), FILE);
    expect(r.ok ? [] : r.findings).toEqual([]);
  });
});
