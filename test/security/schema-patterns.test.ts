// A `pattern` in a CRD (or a `validate.schemas` file) is PR content that Ferry runs against
// PR content. A backtracking engine lets `^(a+)+$` against "aaaa…!" run for ever: the
// worker thread that validates is stuck and no abort reaches synchronous code. Patterns
// run on RE2 (linear time, and the syntax the API server's Go code uses).
import { execFile } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { crdSchemasFromResources, validateResources } from '../../src/validate/index.js';
import { CLI_SOURCE } from '../cli/helpers.js';
import { REPO_ROOT } from '../helpers/bin.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { OPTS, res } from '../validate/helpers.js';

const crd = (pattern: string) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com', scope: 'Namespaced', names: { kind: 'Widget', plural: 'widgets', singular: 'widget' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { name: { type: 'string', pattern } } } } } } }],
  },
});
const widget = (name: string) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'n' }, spec: { name } });

const TSX = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const children: Array<{ kill(): boolean }> = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
});

describe('schema patterns from the repository', () => {
  it('a catastrophic pattern ends, and still judges the value', async () => {
    const r = new TestRepo().write({
      '.github/ferry.yml': 'environments:\n  - { name: prod, path: apps }\n',
      'apps/web/crd.yaml': JSON.stringify(crd('^(a+)+$')),
      'apps/web/w.yaml': JSON.stringify(widget(`${'a'.repeat(40)}!`)),
    });
    r.commit('evil pattern');
    // A child process: a backtracking engine would hang this one, not the test runner.
    const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const c = execFile(process.execPath, ['--import', TSX, CLI_SOURCE, 'validate', '--cache-dir', tempDir('ferry-cache-')], { cwd: r.dir }, (err, stdout) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, out: stdout });
      });
      children.push(c);
    });
    expect(run.code).toBe(1);
    expect(run.out).toContain('does not match the pattern');
  });

  it('patterns are read as RE2, as the API server does: (?i) is honoured, not dropped', () => {
    const crds = crdSchemasFromResources([res(crd('(?i)^[a-z]+$'))]);
    expect(validateResources([res(widget('ABC'))], { ...OPTS, crds })).toEqual([]);
    const bad = validateResources([res(widget('AB-C'))], { ...OPTS, crds });
    expect(bad.map((p) => p.rule)).toEqual(['schema']);
  });
});
