// Issue 15: the comment as a person reads it — one collapsible section per app, the same change once.
import { describe, expect, it } from 'vitest';
import { fitPlanComment } from '../../src/report/fit.js';
import { FOLD_SECTIONS, renderMarkdown } from '../../src/report/plan.js';
import type { AppPlan, Finding, Plan, ResourceChange } from '../../src/types.js';

const bump = (ns: string, image = 'web:1.2'): ResourceChange => ({
  action: 'changed', apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web',
  diff: `--- a/Deployment/${ns}/web\n+++ b/Deployment/${ns}/web\n@@ -3,1 +3,1 @@\n-        image: web:1.1\n+        image: ${image}\n`,
});

function app(name: string, changes: ResourceChange[], findings: Finding[] = [], status: AppPlan['status'] = 'rendered'): AppPlan {
  return { name, path: `envs/${name}`, renderer: 'kustomize', status, changes, findings };
}

function planOf(environments: Plan['environments']): Plan {
  return { base: 'a'.repeat(40), head: 'b'.repeat(40), environments, findings: [], summary: { added: 0, changed: 1, removed: 0, errors: 0, warnings: 0 } };
}

const sections = (md: string) => md.split('\n').filter((l) => /^<details( open)?><summary><b>/.test(l));

describe('one collapsible section per app', () => {
  it('each changed app is one <details>, its diffs inside; closed unless it has an error or failed to render', () => {
    const err: Finding = { severity: 'error', rule: 'schema', message: 'bad', file: 'envs/b/d.yaml', line: 4, resource: null };
    const md = renderMarkdown(planOf([{ name: 'staging', apps: [
      app('a', [bump('a')]),
      app('b', [bump('b', 'web:9')], [err]),
      app('c', [], [{ ...err, rule: 'render-error', file: null, line: null }], 'error'),
    ] }]));
    expect(sections(md)).toEqual([
      '<details><summary><b>staging / a</b> <code>+0 ~1 -0</code> ✅</summary>',
      '<details open><summary><b>staging / b</b> <code>+0 ~1 -0</code> ❌ 1 error</summary>',
      '<details open><summary><b>staging / c</b> <code>+0 ~0 -0</code> ❌ render failed</summary>',
    ]);
    // The diff and the finding are inside the app's section.
    const b = md.slice(md.indexOf('<b>staging / b</b>'), md.indexOf('<b>staging / c</b>'));
    expect(b).toContain('**`~ Deployment/b/web`**\n\n```diff\n--- a/Deployment/b/web');
    expect(b).toContain('- ❌ **schema** `envs/b/d.yaml:4`: bad\n\n</details>');
    // No heading per app: a collapsed comment is one line per app.
    expect(md).not.toMatch(/^#### staging/m);
  });

  it('apps with the same change, across environments and namespaces, share one section that lists them', () => {
    const md = renderMarkdown(planOf([
      { name: 'staging', apps: [app('web', [bump('staging')]), app('api', [bump('staging', 'web:2.0')])] },
      { name: 'production', apps: [app('web', [bump('production')]), app('shop', [bump('production')])] },
    ]));
    expect(sections(md)).toEqual([
      '<details><summary><b>staging / web</b> <code>+0 ~1 -0</code> ✅ · same change in 2 more apps</summary>',
      '<details><summary><b>staging / api</b> <code>+0 ~1 -0</code> ✅</summary>',
    ]);
    expect(md).toContain('Same change in 3 apps: staging / web, production / web, production / shop');
    // Shown once; the namespace differs between them, so it is named neither above nor in the diff.
    expect(md.match(/image: web:1\.2/g)).toHaveLength(1);
    expect(md).toContain('**`~ Deployment/web`**\n\n```diff\n--- a/Deployment/web\n+++ b/Deployment/web\n@@');
    // The one with a different diff keeps its own namespace.
    expect(md).toContain('**`~ Deployment/staging/web`**');
  });

  it('the same change up to the app\'s own name (a shared sidecar bump) is shown once, for the first app', () => {
    const sidecar = (name: string, ns: string): ResourceChange => ({
      action: 'changed', apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: `${name}-server`,
      diff: `--- a/Deployment/${ns}/${name}-server\n+++ b/Deployment/${ns}/${name}-server\n@@ -9,2 +9,2 @@\n       - name: ${name}\n-        image: envoy:1.30\n+        image: envoy:1.31\n`,
    });
    const md = renderMarkdown(planOf([{ name: 'staging', apps: [app('billing', [sidecar('billing', 'pay')]), app('search', [sidecar('search', 'pay')]), app('db', [sidecar('db', 'pay')])] }]));
    // `db` is too short a name to generalise: it keeps its own section.
    expect(sections(md)).toEqual([
      '<details><summary><b>staging / billing</b> <code>+0 ~1 -0</code> ✅ · same change in 1 more app</summary>',
      '<details><summary><b>staging / db</b> <code>+0 ~1 -0</code> ✅</summary>',
    ]);
    expect(md).toContain('Same change in 2 apps (shown for staging / billing; in the others, the resources carry their own app\'s name): staging / billing, staging / search');
    expect(md).toContain('**`~ Deployment/pay/billing-server`**');
    expect(md).not.toContain('search-server');
  });

  it('a namespace every app of the group has stays; apps with findings never share a section', () => {
    const warn: Finding = { severity: 'warning', rule: 'no-latest-tag', message: 'm', file: 'envs/y/d.yaml', line: 1, resource: null };
    const md = renderMarkdown(planOf([{ name: 'staging', apps: [app('x', [bump('shared')]), app('y', [bump('shared')], [warn]), app('z', [bump('shared')])] }]));
    expect(sections(md)).toEqual([
      '<details><summary><b>staging / x</b> <code>+0 ~1 -0</code> ✅ · same change in 1 more app</summary>',
      '<details><summary><b>staging / y</b> <code>+0 ~1 -0</code> ⚠️ 1 warning</summary>',
    ]);
    expect(md).toContain('**`~ Deployment/shared/web`**\n\n```diff\n--- a/Deployment/shared/web');
  });

  it('60 apps with one image bump collapse to one line; every part of a split comment still closes its sections', () => {
    const many = Array.from({ length: 60 }, (_, i) => app(`app-${i}`, [bump(`ns-${i}`)]));
    expect(sections(renderMarkdown(planOf([{ name: 'production', apps: many }])))).toHaveLength(1);
    const distinct = Array.from({ length: 300 }, (_, i) => app(`app-${i}`, [bump(`ns-${i}`, `web:${i}`)], [{ severity: 'error', rule: 'schema', message: `e${i}`, file: `envs/app-${i}/d.yaml`, line: 1, resource: null }]));
    const parts = fitPlanComment(planOf([{ name: 'production', apps: distinct }]), { limit: 12_000 });
    expect(parts.length).toBeGreaterThan(1);
    // The first part opens with a row per app.
    expect(parts[0]).toContain('| production | app-0 |');
    for (const p of parts) {
      expect((p.match(/<details( open)?>/g) ?? []).length).toBe((p.match(/<\/details>/g) ?? []).length);
    }
    // A section cut between parts reopens expanded, as it was.
    expect(parts.slice(1).some((p) => /<details open><summary>.*\(continued\)<\/summary>/.test(p))).toBe(true);
  });
});

describe('diffs left out to fit', () => {
  it('still tell apps apart: different changes never share a section for lack of a diff', () => {
    const big = (i: number): ResourceChange => ({ ...bump('ns', `web:${i}`), diff: `${bump('ns', `web:${i}`).diff}${'+ filler\n'.repeat(400)}` });
    const apps = Array.from({ length: 10 }, (_, i) => app(`svc-${i}`, [big(i)]));
    apps.push(app('svc-copy', [big(0)]));
    const [body, ...rest] = fitPlanComment(planOf([{ name: 'staging', apps }]), { limit: 8_000 });
    expect(rest).toEqual([]);
    expect(body).toContain('_Diff left out to fit the comment');
    expect(sections(body!)).toHaveLength(10);
    expect(sections(body!)[0]).toContain('same change in 1 more app');
  });
});

describe('past FOLD_SECTIONS sections', () => {
  it('each environment\'s closed sections fold under one line; sections with an error stay outside, first', () => {
    const err: Finding = { severity: 'error', rule: 'schema', message: 'bad', file: 'envs/x/d.yaml', line: 1, resource: null };
    const warn: Finding = { ...err, severity: 'warning', rule: 'resource-limits' };
    const many = (env: string, n: number) => Array.from({ length: n }, (_, i) => app(`${env}-${i}`, [bump(env, `web:${env.length}.${i}`)], i === 3 ? [warn] : []));
    const broken = app('broken', [bump('staging', 'web:x')], [err]);
    const md = renderMarkdown(planOf([{ name: 'staging', apps: [...many('staging', FOLD_SECTIONS), broken] }, { name: 'production', apps: many('production', 5) }]), { overview: true });
    const top = md.split('\n').filter((l) => l.startsWith('<details'));
    expect(top.slice(0, 2)).toEqual([
      '<details open><summary><b>staging / broken</b> <code>+0 ~1 -0</code> ❌ 1 error</summary>',
      `<details><summary><b>staging</b>: ${FOLD_SECTIONS} changed apps <code>+0 ~${FOLD_SECTIONS} -0</code> ⚠️ 1 warning</summary>`,
    ]);
    expect(top).toContain('<details><summary><b>production</b>: 5 changed apps <code>+0 ~5 -0</code> ⚠️ 1 warning</summary>');
    // A change shared across environments folds under the first one, which says so.
    const shared = renderMarkdown(planOf([{ name: 'staging', apps: many('staging', FOLD_SECTIONS + 1) }, { name: 'production', apps: [app('production-0', [bump('production', 'web:7.0')])] }]));
    expect(shared).toContain(`<details><summary><b>staging</b>: ${FOLD_SECTIONS + 1} changed apps and 1 elsewhere with the same change <code>+0 ~${FOLD_SECTIONS + 2} -0</code> ⚠️ 1 warning</summary>`);
    expect(shared).not.toContain('<b>production</b>:');
    // The fold replaces the table of apps.
    expect(md).not.toContain('| Environment |');
    // At the threshold, nothing folds.
    const few = renderMarkdown(planOf([{ name: 'staging', apps: many('staging', FOLD_SECTIONS) }]));
    expect(few).not.toContain('<b>staging</b>:');
    expect(sections(few)).toHaveLength(FOLD_SECTIONS);
  });
});

describe('the footer', () => {
  const p = { ...planOf([{ name: 'staging', apps: [app('web', [bump('staging')])] }]), promotesTo: ['production'] };

  it('names the commands the reader can comment, in the forge\'s words', () => {
    expect(renderMarkdown(p, { command: '/' })).toContain('<sub>Comment `/plan` to plan again; once merged, `/promote production` promotes it; `/help` lists the commands.</sub>');
    expect(renderMarkdown(p, { command: '/ferry ' })).toContain('<sub>Comment `/ferry plan` to plan again; once merged, `/ferry promote production` promotes it; `/ferry help` lists the commands.</sub>');
    expect(fitPlanComment(p, { limit: 65_536, command: '/ferry ' })[0]).toContain('`/ferry plan`');
  });

  it('without promotion steps says nothing of /promote; without a forge (the CLI) names no command', () => {
    expect(renderMarkdown({ ...p, promotesTo: [] }, { command: '/' })).toContain('<sub>Comment `/plan` to plan again; `/help` lists the commands.</sub>');
    expect(renderMarkdown(p)).not.toContain('Comment `');
  });
});
