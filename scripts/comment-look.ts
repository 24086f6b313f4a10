/**
 * `npx tsx scripts/comment-look.ts [OUT_DIR]`: how the plan comment looks. Renders the
 * comment for 1, 10, 60 and 1,000 changed apps with a GitHub-flavoured Markdown renderer
 * (marked, GFM) and GitHub-like styles, opens it in headless Chromium, prints the page
 * height collapsed (as a reader first sees it) and expanded, and writes a screenshot of
 * each (collapsed) to OUT_DIR (default: a temporary folder). Asserts nothing.
 *
 * Needs Chromium (`apt-get install chromium`, or CHROMIUM=/path/to/chrome) and the dev
 * dependencies marked and playwright-core. Not part of the test suite: CI has no browser.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { marked } from 'marked';
import { chromium } from 'playwright-core';
import { fitPlanComment } from '../src/report/fit.js';
import type { AppPlan, Finding, Plan, ResourceChange } from '../src/types.js';

/** As the GitHub forge links a finding: the file at the head commit. */
const fileLink = (file: string, line: number | null) => `https://github.com/acme/gitops/blob/${'8be41c07'.padEnd(40, '0')}/${file}${line ? `#L${line}` : ''}`;

/** GitHub's comment body limit. */
const LIMIT = 65_536;
const SIZES = [1, 10, 60, 1000];
/** Width of a comment's body on a pull request page at a common window size. */
const WIDTH = 900;

function diff(kind: string, ns: string, name: string, i: number): string {
  return [
    `--- a/${kind}/${ns}/${name}`,
    `+++ b/${kind}/${ns}/${name}`,
    '@@ -14,7 +14,7 @@',
    '     spec:',
    '       containers:',
    `         - name: ${name}`,
    `-          image: registry.example.com/${name}:1.${i}.0`,
    `+          image: registry.example.com/${name}:1.${i}.1`,
    '           resources:',
    '             limits:',
    '               memory: 256Mi',
    '',
  ].join('\n');
}

/**
 * `n` changed apps over two environments, each with its own change (the worst case for
 * length: nothing is shared), every fifth with a warning, every seventh with a finding
 * already in base, one with an error.
 */
function planOf(n: number, shared = false): Plan {
  const apps = (env: string, count: number, offset: number): AppPlan[] => Array.from({ length: count }, (_, k) => {
    const i = offset + k;
    const name = `app-${String(i).padStart(4, '0')}`;
    const changes: ResourceChange[] = [
      { action: 'changed', apiVersion: 'apps/v1', kind: 'Deployment', namespace: env, name, diff: diff('Deployment', env, name, shared ? 0 : i) },
    ];
    if (i % 3 === 0) changes.push({ action: 'added', apiVersion: 'v1', kind: 'ConfigMap', namespace: env, name: `${name}-flags`, diff: `--- /dev/null\n+++ b/ConfigMap/${env}/${name}-flags\n@@ -0,0 +1,6 @@\n+apiVersion: v1\n+kind: ConfigMap\n+metadata:\n+  name: ${name}-flags\n+data:\n+  beta: "${shared ? 'on' : i}"\n` });
    const findings: Finding[] = [];
    if (!shared && i % 5 === 4) findings.push({ severity: 'warning', rule: 'resource-limits', message: 'container has no CPU limit', file: `envs/${env}/${name}/deployment.yaml`, line: 21, resource: `Deployment/${env}/${name}` });
    if (!shared && i % 7 === 6) findings.push({ severity: 'warning', rule: 'no-latest-tag', message: 'image uses the latest tag', file: `base/${name}/sidecar.yaml`, line: 9, resource: `Deployment/${env}/${name}`, inBase: true });
    if (!shared && i === 2) findings.push({ severity: 'error', rule: 'schema', message: 'spec.replicas: expected integer, got string', file: `envs/${env}/${name}/deployment.yaml`, line: 8, resource: `Deployment/${env}/${name}` });
    return { name, path: `envs/${env}/${name}`, renderer: 'kustomize', status: 'rendered', resources: 4, changes, findings };
  });
  const staging = Math.ceil(n / 2);
  const environments = [{ name: 'staging', apps: apps('staging', staging, 0) }, { name: 'production', apps: apps('production', n - staging, shared ? 0 : staging) }];
  const all = environments.flatMap((e) => e.apps);
  const count = (f: (c: ResourceChange) => boolean) => all.reduce((s, a) => s + a.changes.filter(f).length, 0);
  const findings = all.flatMap((a) => a.findings);
  return {
    base: '3f9c2a1d'.padEnd(40, '0'),
    head: '8be41c07'.padEnd(40, '0'),
    environments,
    findings: [],
    summary: {
      added: count((c) => c.action === 'added'), changed: count((c) => c.action === 'changed'), removed: 0,
      errors: findings.filter((f) => f.severity === 'error').length, warnings: findings.filter((f) => f.severity === 'warning').length,
    },
    promotesTo: ['production'],
  };
}

/** Enough of GitHub's comment styles that heights compare: fonts, spacing, code, tables, details. */
const CSS = `
body { margin: 0; background: #fff; color: #1f2328; font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
.comment { width: ${WIDTH}px; margin: 16px; border: 1px solid #d1d9e0; border-radius: 6px; padding: 16px; box-sizing: border-box; }
.comment + .comment { margin-top: 16px; }
h3, h4 { margin: 24px 0 16px; font-weight: 600; line-height: 1.25; } h3 { font-size: 1.25em; } h4 { font-size: 1em; }
h3:first-child { margin-top: 0; }
p, ul, table, pre, details { margin: 0 0 16px; }
ul { padding-left: 2em; }
code { font: 85% ui-monospace, SFMono-Regular, Menlo, monospace; background: rgba(129,139,152,.12); border-radius: 6px; padding: .2em .4em; }
pre { background: #f6f8fa; border-radius: 6px; padding: 16px; overflow: auto; font: 85%/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre code { background: none; padding: 0; font-size: 100%; }
table { border-collapse: collapse; } th, td { border: 1px solid #d1d9e0; padding: 6px 13px; } th { font-weight: 600; }
tr:nth-child(2n) { background: #f6f8fa; }
summary { cursor: pointer; } details > :not(summary) { margin-left: 0; }
sub { font-size: 75%; }
a { color: #0969da; text-decoration: none; }
`;

function page(parts: string[]): string {
  const bodies = parts.map((md) => `<div class="comment">${marked.parse(md, { gfm: true, async: false })}</div>`).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><style>${CSS}</style></head><body>${bodies}</body></html>`;
}

async function main() {
  const out = process.argv[2] ? path.resolve(process.argv[2]) : mkdtempSync(path.join(tmpdir(), 'ferry-look-'));
  mkdirSync(out, { recursive: true });
  const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath}: apt-get install chromium, or set CHROMIUM`);
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  try {
    const tab = await browser.newPage({ viewport: { width: WIDTH + 32, height: 200 } });
    console.log('apps  | kind     | comments | characters | collapsed px | expanded px | collapsed/expanded');
    console.log('----- | -------- | -------- | ---------- | ------------ | ----------- | ------------------');
    for (const n of SIZES) {
      for (const shared of [false, true]) {
        const parts = fitPlanComment(planOf(n, shared), { limit: LIMIT, command: '/', fileLink });
        const file = path.join(out, `comment-${n}${shared ? '-shared' : ''}.html`);
        writeFileSync(file, page(parts));
        await tab.goto(`file://${file}`);
        const collapsed = await tab.evaluate(() => document.documentElement.scrollHeight);
        await tab.screenshot({ path: path.join(out, `comment-${n}${shared ? '-shared' : ''}.png`), fullPage: true });
        await tab.evaluate(() => document.querySelectorAll('details').forEach((d) => d.setAttribute('open', '')));
        const expanded = await tab.evaluate(() => document.documentElement.scrollHeight);
        const chars = parts.reduce((s, p) => s + p.length, 0);
        console.log(`${String(n).padStart(5)} | ${(shared ? 'shared' : 'distinct').padEnd(8)} | ${String(parts.length).padStart(8)} | ${String(chars).padStart(10)} | ${String(collapsed).padStart(12)} | ${String(expanded).padStart(11)} | ${(collapsed / expanded).toFixed(3).padStart(18)}`);
      }
    }
    console.log(`\nscreenshots and pages in ${out}`);
  } finally {
    await browser.close();
  }
}

await main();
