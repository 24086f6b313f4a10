import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { expandApplicationSet } from '../../src/plan/applicationset.js';
import { treeView } from '../helpers/tree-view.js';

/**
 * ApplicationSet templates are PR content run on the server: a short template must not
 * make gigabytes of text (the plan, and every other plan in the process, would run out of memory).
 */

const REPO_URL = 'https://git.example.com/org/gitops.git';

function appSet(generators: string, template: string, go = false): { file: string; object: { kind: 'ApplicationSet'; name: string; namespace: string; spec: Record<string, unknown> } } {
  const text = `spec:\n${go ? '  goTemplate: true\n' : ''}  generators:\n${generators}  template:\n${template}`;
  return { file: 'argocd/bomb.yaml', object: { kind: 'ApplicationSet', name: 'bomb', namespace: 'argocd', spec: (parseYaml(text) as { spec: Record<string, unknown> }).spec } };
}

const messages = (out: { findings: { message: string }[] }) => out.findings.map((f) => f.message).join('\n');
const longest = (out: { apps: { spec: Record<string, unknown> }[] }) => Math.max(0, ...out.apps.map((a) => JSON.stringify(a.spec).length));

describe('ApplicationSet template bombs', () => {
  it('nested replace in a goTemplate (a 1 KB template making 270 MB per Application) is refused with a finding', () => {
    const s = 'x'.repeat(300);
    const out = expandApplicationSet(
      appSet(`    - list: { elements: [{ v: abcdefghij }, { v: klmnopqrst }] }\n`, `    metadata: { name: 'a-{{ .v }}' }\n    spec:\n      source: { repoURL: ${REPO_URL}, path: '{{ replace "" "${s}" (replace "" "${s}" (replace "" "${s}" .v)) }}' }\n`, true),
      treeView({}),
    );
    expect(out.apps).toEqual([]);
    expect(messages(out)).toMatch(/replace makes a string longer than 256 KiB; 2 Applications are not planned/);
  });

  it('a long parameter repeated in one field (fasttemplate and goTemplate) is refused with a finding', () => {
    const big = 'y'.repeat(100_000);
    for (const [go, ref] of [[false, '{{v}}'], [true, '{{.v}}']] as const) {
      const out = expandApplicationSet(appSet(`    - list: { elements: [{ v: ${big} }] }\n`, `    metadata: { name: app }\n    spec:\n      source: { repoURL: ${REPO_URL}, path: '${ref.repeat(40)}' }\n`, go), treeView({}));
      expect(out.apps).toEqual([]);
      expect(messages(out)).toMatch(/the template makes a string longer than 256 KiB; 1 Application is not planned/);
    }
  });

  it('a matrix spreading one large file parameter over thousands of Applications stops at the set budget', () => {
    const config = JSON.stringify({ v: 'z'.repeat(200_000) });
    const list = `[${Array.from({ length: 1000 }, (_, i) => `{ n: "${i}" }`).join(', ')}]`;
    const out = expandApplicationSet(
      appSet(`    - matrix:\n        generators:\n          - git: { repoURL: ${REPO_URL}, files: [{ path: 'config/big.json' }] }\n          - list: { elements: ${list} }\n`, `    metadata: { name: 'a-{{n}}' }\n    spec:\n      source: { repoURL: ${REPO_URL}, path: '{{v}}' }\n`),
      treeView({ 'config/big.json': config }),
    );
    // 64 MiB of text at most: about 335 Applications of 200 KB each, then a finding for the rest.
    expect(out.apps.length).toBeLessThan(400);
    expect(out.apps.length).toBeGreaterThan(300);
    expect(longest(out)).toBeLessThan(210_000);
    expect(messages(out)).toMatch(/the templates make more than 64 MiB of text; \d+ Applications are not planned/);
  });
});
