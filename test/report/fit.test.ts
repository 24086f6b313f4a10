import { describe, expect, it } from 'vitest';
import { fitPlanComment, PLAN_PART_MARKER } from '../../src/report/fit.js';
import { renderMarkdown } from '../../src/report/plan.js';
import { splitMarkdown } from '../../src/report/split.js';
import type { Finding, Plan, ResourceChange } from '../../src/types.js';

const LIMIT = 65_536;

/** Every part must close what it opens: fences and <details>. */
function assertBalanced(part: string) {
  let fence: string | null = null;
  let details = 0;
  for (const line of part.split('\n')) {
    const f = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (fence) {
      if (f && f[1]![0] === fence[0] && f[1]!.length >= fence.length && !f[2]!.trim()) fence = null;
      continue;
    }
    if (f) {
      fence = f[1]!;
      continue;
    }
    details += (line.match(/<details(?: open)?>/g) ?? []).length;
    details -= (line.match(/<\/details>/g) ?? []).length;
    expect(details).toBeGreaterThanOrEqual(0);
  }
  expect(fence).toBeNull();
  expect(details).toBe(0);
}

function diffOf(name: string, lines: number): string {
  const body = Array.from({ length: lines }, (_, i) => (i % 3 === 0 ? `-  key${i}: old-${name}\n+  key${i}: new-${name}` : `   key${i}: same`)).join('\n');
  return `--- a/ConfigMap/ns/${name}\n+++ b/ConfigMap/ns/${name}\n@@ -1,${lines} +1,${lines} @@\n${body}\n`;
}

function bigPlan(resources: number, opts: { hugeDiff?: number } = {}): Plan {
  const apps = Array.from({ length: 20 }, (_, a) => {
    const changes: ResourceChange[] = Array.from({ length: resources / 20 }, (_, i) => ({
      action: 'changed', apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: `cm-${a}-${i}`, diff: diffOf(`cm-${a}-${i}`, 20 + ((a * 7 + i) % 40)),
    }));
    if (opts.hugeDiff && a === 0) changes[0]!.diff = diffOf('huge', opts.hugeDiff);
    const findings: Finding[] = [{ severity: 'error', rule: 'no-latest-tag', message: `error finding in app-${a}`, file: `envs/prod/app-${a}/d.yaml`, line: 3, resource: null }];
    return { name: `app-${a}`, path: `envs/prod/app-${a}`, renderer: 'kustomize' as const, status: 'rendered' as const, changes, findings };
  });
  const changed = apps.reduce((n, a) => n + a.changes.length, 0);
  return { base: 'a'.repeat(40), head: 'b'.repeat(40), environments: [{ name: 'production', apps }], findings: [], summary: { added: 0, changed, removed: 0, errors: 20, warnings: 0 } };
}

describe('splitMarkdown', () => {
  it('keeps every part under the limit and closes and reopens fences and details', () => {
    const text = ['# title', '<details><summary>one</summary>', '', '```diff', ...Array.from({ length: 400 }, (_, i) => `+ line ${i} ${'x'.repeat(40)}`), '```', '</details>', 'tail'].join('\n');
    const parts = splitMarkdown(text, 4000);
    expect(parts.length).toBeGreaterThan(4);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(4000);
      assertBalanced(p);
    }
    expect(parts[1]).toMatch(/^<details><summary>one \(continued\)<\/summary>\n\n```diff\n/);
    // Nothing is lost: every line appears in some part.
    for (let i = 0; i < 400; i += 57) expect(parts.some((p) => p.includes(`+ line ${i} `))).toBe(true);
  });

  it('cuts a single line longer than a part', () => {
    const parts = splitMarkdown(`start\n${'y'.repeat(10_000)}\nend`, 3000);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(3000);
    expect(parts.join('').replace(/\n/g, '')).toContain('y'.repeat(2000));
    expect(parts[parts.length - 1]).toContain('end');
  });
});

describe('fitPlanComment', () => {
  it('returns the plain body when it fits', () => {
    const plan = bigPlan(20);
    expect(fitPlanComment(plan, { limit: LIMIT })).toEqual([renderMarkdown(plan)]);
  });

  it('leaves out one huge diff instead of splitting', () => {
    const plan = bigPlan(20, { hugeDiff: 12_000 });
    expect(renderMarkdown(plan).length).toBeGreaterThan(300_000);
    const parts = fitPlanComment(plan, { limit: LIMIT });
    expect(parts).toHaveLength(1);
    expect(parts[0]!.length).toBeLessThanOrEqual(LIMIT);
    expect(parts[0]).toContain('Diff left out to fit the comment');
    expect(parts[0]).toContain('new-cm-1-0'); // the small diffs stay
    expect(parts[0]).not.toContain('new-huge');
  });

  it('a plan of 2,000 changed resources: every part fits, summary first, every error kept', () => {
    const plan = bigPlan(2000);
    const parts = fitPlanComment(plan, { limit: LIMIT });
    expect(parts.length).toBeGreaterThan(1);
    expect(parts[0]!.startsWith('<!-- ferry:plan -->')).toBe(true);
    expect(parts[0]).toContain('| production | app-19 |');
    parts.forEach((p, i) => {
      expect(p.length).toBeLessThanOrEqual(LIMIT);
      assertBalanced(p);
      if (i > 0) expect(p.startsWith(PLAN_PART_MARKER(i + 1))).toBe(true);
    });
    for (let a = 0; a < 20; a++) expect(parts.some((p) => p.includes(`error finding in app-${a}`))).toBe(true);
    expect(fitPlanComment(plan, { limit: LIMIT })).toEqual(parts);
  });

  it('past the part cap, drops resource listings but never findings', () => {
    const parts = fitPlanComment(bigPlan(2000), { limit: 20_000, maxParts: 3 });
    expect(parts.length).toBeLessThanOrEqual(3);
    expect(parts.join('')).toContain('not listed: the plan is too large for comments');
    for (let a = 0; a < 20; a++) expect(parts.some((p) => p.includes(`error finding in app-${a}`))).toBe(true);
  });

  it('5,000 changed apps: at most 5 parts, and the last one says which apps were left out and where the rest is', () => {
    const apps = Array.from({ length: 5000 }, (_, a) => ({
      name: `app-${String(a).padStart(4, '0')}`,
      path: `envs/prod/app-${a}`,
      renderer: 'kustomize' as const,
      status: 'rendered' as const,
      changes: [{ action: 'changed' as const, apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: `cm-${a}`, diff: diffOf(`cm-${a}`, 6) }],
      findings: [{ severity: 'warning' as const, rule: 'resource-limits', message: `warning in app-${a}`, file: `envs/prod/app-${a}/d.yaml`, line: 3, resource: null }],
    }));
    const plan: Plan = { base: 'a'.repeat(40), head: 'b'.repeat(40), environments: [{ name: 'production', apps }], findings: [], summary: { added: 0, changed: 5000, removed: 0, errors: 0, warnings: 5000 } };
    const parts = fitPlanComment(plan, { limit: LIMIT });
    expect(parts.length).toBeLessThanOrEqual(5);
    parts.forEach((p, i) => {
      expect(p.length).toBeLessThanOrEqual(LIMIT);
      assertBalanced(p);
      if (i > 0) expect(p.startsWith(PLAN_PART_MARKER(i + 1))).toBe(true);
    });
    expect(parts[0]).toContain('**0 to add, 5000 to change, 0 to remove**');
    // App names in the table, the sections and the note (which names the first one left out).
    const shown = new Set(parts.join('\n').match(/app-\d{4}/g));
    const note = /Left out to fit in 5 comments:\*\* (\d+) more app\(s\) with (\d+) finding\(s\), from `production \/ (app-\d{4})` on\./.exec(parts[parts.length - 1]!);
    expect(note).not.toBeNull();
    // Exactly the apps not shown are counted, and the first of them is named.
    expect(Number(note![1])).toBe(5000 - shown.size + 1);
    expect(Number(note![2])).toBe(Number(note![1]));
    expect(shown.has(`app-${String(5000 - Number(note![1]) - 1).padStart(4, '0')}`)).toBe(true);
    expect(note![3]).toBe(`app-${String(5000 - Number(note![1])).padStart(4, '0')}`);
    expect(parts[parts.length - 1]).toContain('The `ferry/plan` check run has the rest of this plan');
  });
});
