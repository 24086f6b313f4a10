// Issue 15: the promotion body as a person reads it.
import { describe, expect, it } from 'vitest';
import { promotionBody, type BodyInput } from '../../src/promote/body.js';
import type { Plan } from '../../src/types.js';

const plan: Plan = {
  base: 'a'.repeat(40),
  head: 'b'.repeat(40),
  environments: [{
    name: 'production',
    apps: [{
      name: 'web', path: 'envs/production/web', renderer: 'kustomize', status: 'rendered',
      changes: [{ action: 'added', apiVersion: 'v1', kind: 'ConfigMap', namespace: 'prod', name: 'extra', diff: '--- /dev/null\n+++ b/ConfigMap/prod/extra\n@@ -0,0 +1 @@\n+a: b\n' }],
      findings: [
        { severity: 'warning', rule: 'no-latest-tag', message: 'own', file: 'envs/production/web/d.yaml', line: 7, resource: null },
        { severity: 'warning', rule: 'no-latest-tag', message: 'old', file: 'base/web/d.yaml', line: 9, resource: null, inBase: true },
      ],
    }],
  }],
  findings: [],
  summary: { added: 1, changed: 0, removed: 0, errors: 0, warnings: 2 },
};

function body(over: Partial<BodyInput> = {}): string {
  return promotionBody({
    pullRef: (n) => `#${n}`,
    meta: { version: 1, from: 'staging', to: 'production', strategy: 'directory', apps: ['web'], sourceCommit: 'c'.repeat(40), targetBase: 'd'.repeat(40), sources: [{ pr: 7, commit: 'e'.repeat(40) }] },
    strategy: 'directory',
    sourceBranch: 'main',
    targetBranch: 'main',
    gates: [{ gate: 'check `e2e`', ok: true, state: 'success' }],
    content: { apps: ['web'], changes: [{ path: 'envs/production/web/x.yaml', blob: { oid: 'f'.repeat(40), mode: '100644' } }], kept: [], empty: false, landingPaths: [] },
    requestedBy: 'alice',
    plan,
    limit: 65_536,
    ...over,
  });
}

describe('the promotion body', () => {
  it('has no table without a header: the lineage is a list', () => {
    const b = body();
    expect(b).not.toMatch(/^\|(\s*\|)+\s*$/m);
    expect(b).toContain(`**Lineage**\n\n- source: #7 (\`eeeeeee\`)\n- source commit: \`${'c'.repeat(40)}\` on \`main\`\n- target: \`main\` at \`ddddddd\`\n- strategy: directory\n`);
    expect(b).toContain('| gate | state |\n| --- | --- |\n| ✅ check `e2e` | met |');
  });

  it('puts the plan right under "Plan for `production`", with no second heading', () => {
    const b = body();
    const after = b.slice(b.indexOf('### Plan for `production`') + '### Plan for `production`'.length);
    expect(after).toMatch(/^\n\n`aaaaaaa` → `bbbbbbb` · \*\*1 to add/);
    expect(b.match(/^#{1,6} /gm)).toEqual(['## ', '### ']);
    expect(b).toContain('<summary><b>production / web</b> <code>+1 ~0 -0</code> ⚠️ 1 warning (+1 in base)</summary>');
    expect(b).toContain('```diff\n--- /dev/null\n+++ b/ConfigMap/prod/extra');
  });

  it('links every finding, already in base or not, when given where the promotion commit is', () => {
    const link = (file: string, line: number | null) => `https://github.example.test/o/r/blob/${'9'.repeat(40)}/${file}${line ? `#L${line}` : ''}`;
    const b = body({ fileLink: link });
    expect(b).toContain(`[\`envs/production/web/d.yaml:7\`](${link('envs/production/web/d.yaml', 7)}): own`);
    expect(b).toContain(`[\`base/web/d.yaml:9\`](${link('base/web/d.yaml', 9)}): old`);
    expect(body()).toContain('**no-latest-tag** `base/web/d.yaml:9`: old');
  });
});
