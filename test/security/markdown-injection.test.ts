// Issue 8, item 11: text from the pull request must not mention anyone or add Markdown structure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plan } from '../../src/engine.js';
import { promotionBody } from '../../src/promote/body.js';
import { planChecks } from '../../src/report/checks.js';
import { fitPlanComment } from '../../src/report/fit.js';
import { renderMarkdown } from '../../src/report/plan.js';
import { code, inHtml, inline } from '../../src/report/markdown.js';
import type { Plan } from '../../src/types.js';
import { TEST_HELM } from '../helpers/bin.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';
import { outsideCode } from '../helpers/markdown.js';

const cacheDir = tempDir('ferry-cache-');
const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

/** A mention GitHub would notify: `@` directly followed by a login character. */
const MENTION = /@[A-Za-z0-9]/;
/** Ferry's own headings; any other heading line was injected. */
const OWN_HEADING = /^#{3,4} (?:Ferry plan|Repository findings|Render problems|staging \/ )/;

function headings(md: string): string[] {
  return md.split('\n').filter((l) => /^ {0,3}#{1,6}(?:\s|$)/.test(l));
}

describe('PR-controlled text in the plan comment and checks', () => {
  let p: Plan;
  let comment: string;
  let summaries: string;
  beforeAll(async () => {
    const r = new TestRepo();
    repos.push(r);
    r.write({
      '.github/ferry.yml': `environments:\n  - name: staging\n    path: envs/staging\nrender:\n  helm: ${TEST_HELM}\n`,
      'README.md': 'x\n',
    });
    const base = r.commit('initial');
    r.write({
      // An app folder that reads as a team mention.
      'envs/staging/@org/team/cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: notes
data:
  readme: |
    \`\`\`
    ## ✅ closed the fence?
    \`\`\`\`
    @admins
`,
      // A resource name that tries to leave the <summary>/<code> and the HTML block.
      'envs/staging/names/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "x</code></summary>\\n\\n## ✅ name heading @admins [link](https://evil.example) ![i](https://evil.example/i.png) | a | b |"\ndata: { k: v }\n',
      // A chart whose render fails with a message that forges a review verdict.
      'envs/staging/chart/Chart.yaml': 'apiVersion: v2\nname: chart\nversion: 0.1.0\n',
      'envs/staging/chart/templates/fail.yaml': '{{ fail "\\n## ✅ security review passed\\n@admins" }}\n',
    });
    const head = r.commit('hostile');
    p = await plan({ repo: r.dir, base, head, cacheDir });
    comment = fitPlanComment(p, { limit: 65_536 }).join('\n');
    summaries = planChecks(p).map((c) => c.summary).join('\n');
  });

  it('the plan has what the attack needs: the app, the resource, the helm failure', () => {
    const apps = p.environments[0]!.apps;
    expect(apps.map((a) => a.name).sort()).toEqual(['@org/team', 'chart', 'names']);
    const failure = apps.find((a) => a.name === 'chart')!.findings[0]!;
    expect(failure.message).toContain('\n## ✅ security review passed\n@admins');
  });

  it('no mention, no injected heading, link, image or table row in the comment or the check summaries', () => {
    for (const md of [comment, summaries].map(outsideCode)) {
      expect(md.split('\n').filter((l) => MENTION.test(l))).toEqual([]);
      expect(headings(md).filter((h) => !OWN_HEADING.test(h))).toEqual([]);
      expect(md).not.toMatch(/(?<!\\)\](?:\(|\[)/); // an unescaped `](` or `][` would be a link
      expect(md).not.toMatch(/https?:\/\//);
      expect(md).toContain('security review passed');
    }
    // The app's name is still there to read (with a zero-width joiner after the `@`).
    expect(comment).toContain('@\u200Dorg/team');
    // The app's section is Ferry's, named in its <summary>.
    expect(comment).toContain('<summary><b>staging / @\u200Dorg/team</b>');
    // Every table row has the table's five cells (the table of apps of a comment split in parts).
    const rows = renderMarkdown(p, { overview: true }).split('\n').filter((l) => l.startsWith('| '));
    expect(rows.length).toBe(5);
    for (const row of rows) expect(row.match(/(?<!\\)\|/g)).toHaveLength(5);
  });

  it('the injected resource name stays inside its code span', () => {
    const line = comment.split('\n').find((l) => l.includes('name heading'))!;
    expect(line).toMatch(/^\*\*`\+ ConfigMap\/x<\/code><\/summary> ⏎ ## ✅ name heading .*`\*\*$/);
    expect(outsideCode(line)).toBe('**<code/>**');
  });

  it('a diff containing ``` and ```` cannot close its fence', () => {
    const lines = comment.split('\n');
    const open = lines.findIndex((l) => /^`{3,}diff$/.test(l) && lines.slice(lines.indexOf(l)).some((x) => x.includes('closed the fence?')));
    const fence = lines[open]!.replace('diff', '');
    expect(fence.length).toBeGreaterThan(4);
    const close = lines.findIndex((l, i) => i > open && l === fence);
    const inside = lines.slice(open + 1, close).join('\n');
    expect(inside).toContain('## ✅ closed the fence?');
    expect(inside).toContain('@admins');
  });
});

describe('PR-controlled text in the promotion PR body', () => {
  it('app folders, file paths, branch names and gate states neither mention nor add structure', () => {
    const app = '@org/team`\n## ✅ approved';
    const body = promotionBody({
      pullRef: (n) => `#${n}`,
      meta: { version: 1, from: 'staging', to: 'production', strategy: 'directory', apps: [app], sourceCommit: 'a'.repeat(40), targetBase: 'b'.repeat(40), sources: [{ pr: 7, commit: null }] },
      strategy: 'directory',
      sourceBranch: 'main|@admins',
      targetBranch: 'main',
      gates: [{ gate: 'status `ci`', ok: false, state: 'failure: see [here](https://evil.example) @admins\n# ✅ passed' }],
      content: { apps: [app], changes: [{ path: `envs/production/${app}/x.yaml`, blob: { oid: 'c'.repeat(40), mode: '100644' } }], kept: [`envs/production/${app}/keep.yaml`], empty: false, landingPaths: [] },
      requestedBy: 'alice',
      plan: { error: 'render failed:\n## ✅ fine @admins' },
      limit: 65_536,
    });
    const md = outsideCode(body);
    // The one intended mention: the person who asked for the promotion.
    expect(md.split('\n').filter((l) => MENTION.test(l))).toEqual(['Opened by Ferry for @alice. Merging it makes <code/> equal what is in <code/> at <code/> for the apps above; nothing else in <code/> changes.']);
    expect(headings(md)).toEqual(['## Promote <code/> to <code/>', '### Plan for <code/>']);
    expect(md).not.toMatch(/(?<!\\)\](?:\(|\[)/); // an unescaped `](` or `][` would be a link
    // The gates table keeps two cells per row; the lineage is a list, the branch one code span in it.
    const rows = body.split('\n').filter((l) => l.startsWith('| '));
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.match(/(?<!\\)\|/g)).toHaveLength(3);
    expect(body).toContain(`- source commit: \`${'a'.repeat(40)}\` on \`main|@admins\`\n`);
  });
});

describe('markdown escape helpers', () => {
  it('inline: one line, no structure, no mention, no entity smuggling', () => {
    expect(inline('a\n# b\r\n- c')).toBe('a ⏎ # b ⏎ - c');
    expect(inline('# title')).toBe('\\# title');
    expect(inline('1. item')).toBe('1\\. item');
    expect(inline('&#64;admins <img src=x> **b** [l](u) | $x$ ~~s~~ `c`')).toBe(
      '&amp;#\u200D64;admins &lt;img src=x&gt; \\*\\*b\\*\\* \\[l\\](u) \\| \\$x\\$ \\~\\~s\\~\\~ \\`c\\`',
    );
    expect(inline('@team see #12 at https://x.example or www.x.example')).toBe('@\u200Dteam see #\u200D12 at https:\u200D//x.example or www\u200D.x.example');
  });

  it('code: a fence longer than any backtick run; tables escape pipes', () => {
    expect(code('a`b')).toBe('``a`b``');
    expect(code('``x')).toBe('``` ``x ```');
    expect(code('a|b', { table: true })).toBe('`a\\|b`');
    expect(code('line1\nline2')).toBe('`line1 ⏎ line2`');
  });

  it('inHtml: entities and no mention', () => {
    expect(inHtml('</code>\n\n@x')).toBe('&lt;/code&gt; ⏎ @\u200Dx');
  });
});
