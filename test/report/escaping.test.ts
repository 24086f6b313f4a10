// Issue 15: Markdown escaping, not HTML escaping, on every path from PR text to a comment.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { promotionBody } from '../../src/promote/body.js';
import { planChecks } from '../../src/report/checks.js';
import { fitPlanComment } from '../../src/report/fit.js';
import { login } from '../../src/report/markdown.js';
import { renderMarkdown } from '../../src/report/plan.js';
import { template, TEMPLATE_DIR } from '../../src/report/templates.js';
import type { AppPlan, Plan } from '../../src/types.js';
import { outsideCode } from '../helpers/markdown.js';

/** Helpers whose output is escaped for where it lands, or is Ferry's own text. */
const SAFE_HELPERS = new Set(['md', 'cell', 'code', 'html', 'login', 'short', 'fenced', 'statusIcon', 'actionSign', 'severityIcon', 'errorsLabel', 'warningsLabel', 'plural']);
/** Bare `{{x}}`: numbers, enums and the forge's own words; never a name, path or message. */
const BARE = new Set([
  'summary.added', 'summary.changed', 'summary.removed', 'added', 'changed', 'removed', 'more', 'members.length', 'changes.length',
  'baseFindings.length', 'inBase', 'warnings', 'elsewhere', 'files.written', 'files.deleted', 'files.more', 'kept.length', 'ignored', 'max', 'maxParts', 'apps', 'findings',
  'renderer', 'status', 'pull', 'write', 'command',
  // Made by Ferry or git: a forge's PR reference (`#7`), a duration, a commit id.
  'ref', 'soakLeft', 'sourceCommit',
]);
/** `{{{x}}}`: built by Ferry from escaped parts (gates, refusals, links) or already-rendered Markdown. */
const RAW = new Set(['marker', 'url', 'gate', 'reason', 'link', 'what', 'existing', 'refusal', 'body', 'plan']);

function mustaches(node: hbs.AST.Node, out: hbs.AST.MustacheStatement[] = []): hbs.AST.MustacheStatement[] {
  if (node.type === 'MustacheStatement') out.push(node as hbs.AST.MustacheStatement);
  const n = node as unknown as { body?: hbs.AST.Statement[]; program?: hbs.AST.Program; inverse?: hbs.AST.Program };
  for (const child of [...(n.body ?? []), n.program, n.inverse]) if (child) mustaches(child, out);
  return out;
}

describe('every {{x}} in the Markdown templates', () => {
  const files = readdirSync(TEMPLATE_DIR).filter((f) => f.endsWith('.md.hbs'));

  it('is a safe helper, a number or one of Ferry\'s words; {{{x}}} only for text Ferry built', () => {
    expect(files.length).toBeGreaterThan(15);
    const unsafe: string[] = [];
    for (const f of files) {
      for (const m of mustaches(Handlebars.parse(readFileSync(path.join(TEMPLATE_DIR, f), 'utf8')))) {
        const name = (m.path as hbs.AST.PathExpression).original;
        const ok = m.params.length > 0 ? SAFE_HELPERS.has(name) || (!m.escaped && name === 'fenced') : m.escaped ? BARE.has(name) : RAW.has(name);
        if (!ok) unsafe.push(`${f}: ${m.escaped ? '{{' : '{{{'}${name}${m.params.length ? ' …' : ''}`);
      }
    }
    expect(unsafe).toEqual([]);
  });

  it('no template HTML-escapes: `=`, `\'` and backticks stay themselves', () => {
    const out = template('plan-left-out.md.hbs')({ maxParts: 5, apps: 2, findings: 0, first: 'prod / team=platform' });
    expect(out).toContain('`prod / team=platform`');
    // A bare {{x}} writes its value as it is (Handlebars' default would write `&#x3D;`, `&#x27;`).
    expect(template('promotion-waiting.md.hbs')({ from: 'a', to: 'b', gates: [], soakLeft: "1 h = 60 min, it's" })).toContain("(soak: 1 h = 60 min, it's to go)");
  });
});

const HOSTILE = [
  'team=platform',
  'a`b``c',
  'x|y|z',
  '<script>alert(1)</script>',
  '@admins',
  'e](javascript:alert(1))',
  '_em_ *st* ~~s~~',
];

function planWith(names: string[]): Plan {
  const apps: AppPlan[] = names.map((n, i) => ({
    name: n,
    path: `envs/${n}`,
    renderer: 'kustomize',
    status: 'rendered',
    changes: [{ action: 'changed', apiVersion: 'v1', kind: 'ConfigMap', namespace: n, name: n, diff: `--- a/x\n+++ b/x\n@@ -1 +1 @@\n-k: ${i}\n+k: ${n}\n` }],
    findings: [{ severity: 'warning', rule: 'no-latest-tag', message: `bad ${n}`, file: `envs/${n}/d.yaml`, line: 2, resource: `Deployment/${n}`, inBase: i % 2 === 1 }],
  }));
  return { base: 'a'.repeat(40), head: 'b'.repeat(40), environments: [{ name: 'staging', apps }], findings: [], summary: { added: 0, changed: apps.length, removed: 0, errors: 0, warnings: apps.length } };
}

describe('hostile app, namespace and resource names', () => {
  // As the forges encode a path segment: `(`, `)` and `*` too.
  const segment = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const link = (file: string, line: number | null) => `https://github.example.test/o/r/blob/${'b'.repeat(40)}/${file.split('/').map(segment).join('/')}${line ? `#L${line}` : ''}`;
  const md = renderMarkdown(planWith(HOSTILE), { fileLink: link, command: '/' });

  it('make no tag, mention, link or entity outside code', () => {
    const text = outsideCode(md);
    expect(text).not.toMatch(/<script/i);
    expect(text).not.toMatch(/@[A-Za-z0-9]/);
    expect(text).not.toMatch(/(?<!\\)\]\((?!https:\/\/github\.example\.test\/)/);
    expect(md).not.toMatch(/&#x[0-9A-F]+;/i);
    // Emphasis characters are backslash-escaped in Markdown text (HTML lines do not parse Markdown).
    expect(text).toContain('Deployment/\\_em\\_ \\*st\\* \\~\\~s\\~\\~');
  });

  it('show a name with `=` as itself in its code span, and backticks with a longer fence', () => {
    expect(md).toContain('`envs/team=platform`');
    expect(md).toContain('**`~ ConfigMap/team=platform/team=platform`**');
    expect(md).toContain('**```~ ConfigMap/a`b``c/a`b``c```**');
    expect(md).toContain('<b>staging / &lt;script&gt;alert(1)&lt;/script&gt;</b>');
  });

  it('link every finding, in base or not, to its file and line at the head commit', () => {
    for (const n of HOSTILE) expect(md).toContain(`](${link(`envs/${n}/d.yaml`, 2)})`);
    const inBase = md.slice(md.indexOf('Already in base'));
    expect(inBase).toContain(`](${link('envs/a`b``c/d.yaml', 2)})`);
  });

  it('stay escaped in the check summaries and when the comment is split', () => {
    const summaries = planChecks(planWith(HOSTILE)).map((c) => c.summary).join('\n');
    expect(outsideCode(summaries)).not.toMatch(/<script|@[A-Za-z0-9]|(?<!\\)\]\(/i);
    expect(summaries).not.toMatch(/&#x[0-9A-F]+;/i);
    const parts = fitPlanComment(planWith(Array.from({ length: 200 }, (_, i) => `${HOSTILE[i % HOSTILE.length]}-${i}`)), { limit: 20_000 });
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(outsideCode(p)).not.toMatch(/<script|@[A-Za-z0-9]|(?<!\\)\]\((?!https:)/i);
  });
});

describe('the promotion body', () => {
  it('writes app folders with `=` and backticks as code, and a requester login as a login', () => {
    const app = 'team=platform`x';
    const body = promotionBody({
      pullRef: (n) => `#${n}`,
      meta: { version: 1, from: 'staging', to: 'production', strategy: 'directory', apps: [app], sourceCommit: 'a'.repeat(40), targetBase: 'b'.repeat(40), sources: [{ pr: 7, commit: null }] },
      strategy: 'directory',
      sourceBranch: 'main',
      targetBranch: 'main',
      gates: [],
      content: { apps: [app], changes: [{ path: `envs/production/${app}/x.yaml`, blob: { oid: 'c'.repeat(40), mode: '100644' } }], kept: [], empty: false, landingPaths: [] },
      requestedBy: 'al_ice<b>',
      plan: { error: 'x' },
      limit: 65_536,
    });
    expect(body).toContain('## Promote ``team=platform`x`` to `production`');
    expect(body).toContain('Opened by Ferry for @al\\_iceb.');
    expect(body).not.toMatch(/&#x[0-9A-F]+;/i);
  });

  it('login keeps only login characters', () => {
    expect(login('octo-cat')).toBe('octo-cat');
    expect(login('ferry[bot]')).toBe('ferry\\[bot\\]');
    expect(login('a b\n# c')).toBe('abc');
  });
});
