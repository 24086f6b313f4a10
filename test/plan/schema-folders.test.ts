import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { parseConfig } from '../../src/config/load.js';
import type { Finding, Plan } from '../../src/types.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const cacheDir = tempDir('ferry-cache-');
const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

const CONFIG = (folders: string[]) => `environments:\n  - name: prod\n    path: apps\nvalidate:\n  schemas: [${folders.map((f) => JSON.stringify(f)).join(', ')}]\n`;

const WIDGET = `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  size: large
  colour: red
`;

const schema = (spec: Record<string, unknown>) => JSON.stringify({ type: 'object', properties: { spec: { type: 'object', properties: spec } } });

function repo(files: Record<string, string>): TestRepo {
  const r = new TestRepo().write(files);
  repos.push(r);
  return r;
}

async function validate(r: TestRepo): Promise<{ code: number; plan: Plan; findings: Finding[] }> {
  let out = '';
  let err = '';
  const code = await main(['validate', '--repo', r.dir, '--format', 'json', '--cache-dir', cacheDir], { out: (s) => (out += s), err: (s) => (err += s) });
  if (code === 2) throw new Error(err);
  const plan = JSON.parse(out) as Plan;
  return { code, plan, findings: [...plan.findings, ...plan.environments.flatMap((e) => e.apps.flatMap((a) => a.findings))] };
}

const brief = (fs: Finding[]) => fs.map((f) => [f.rule, f.message, f.file, f.line]);

describe('validate.schemas: folders of JSON Schemas in the kubeconform layout', () => {
  it('validates a custom resource with its schema file, at the offending lines; the first folder listed wins', async () => {
    const r = repo({
      '.github/ferry.yml': CONFIG(['schemas/team', './schemas/vendor/']),
      'apps/widgets/widget.yaml': WIDGET,
      'schemas/team/example.com/widget_v1.json': schema({ size: { type: 'integer' }, color: { type: 'string' } }),
      // A looser copy in a later folder is not used.
      'schemas/vendor/example.com/widget_v1.json': JSON.stringify({ type: 'object' }),
    });
    r.commit('widgets');
    const { code, findings } = await validate(r);
    expect(code).toBe(1);
    expect(brief(findings)).toEqual([
      ['schema', 'spec.size: expected integer, got string', 'apps/widgets/widget.yaml', 6],
      ['unknown-field', 'spec.colour: unknown field (did you mean "color"?)', 'apps/widgets/widget.yaml', 7],
    ]);
  });

  it('a schema file wins over the bundled schema; a CRD in the repository wins over both', async () => {
    const r = repo({
      '.github/ferry.yml': CONFIG(['schemas']),
      'apps/flux/release.yaml': 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: r\nspec:\n  interval: 5m\n',
      'schemas/helm.toolkit.fluxcd.io/helmrelease_v2.json': JSON.stringify({ type: 'object', properties: { spec: { type: 'object', required: ['owner'], properties: { owner: { type: 'string' }, interval: { type: 'string' } } } } }),
      'apps/widgets/widget.yaml': WIDGET,
      'schemas/example.com/widget_v1.json': schema({ size: { type: 'integer' } }),
      'crds/widget.yaml': `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: { kind: Widget, plural: widgets }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
`,
    });
    r.commit('flux');
    const { findings } = await validate(r);
    // The HelmRelease names no chart: it is not expanded (a chart-unavailable warning, tested in helmrelease.test.ts).
    expect(brief(findings).filter((f) => f[0] !== 'chart-unavailable')).toEqual([['schema', 'spec: missing required field "owner"', 'apps/flux/release.yaml', 5]]);
  });

  it('refuses a schema folder that is a symlink out of the repository, and a schema file that is one', async () => {
    const outside = tempDir('ferry-outside-');
    mkdirSync(path.join(outside, 'example.com'));
    writeFileSync(path.join(outside, 'example.com', 'widget_v1.json'), schema({ size: { type: 'integer' } }));
    const r = repo({ '.github/ferry.yml': CONFIG(['linked', 'schemas']), 'apps/widgets/widget.yaml': WIDGET, 'schemas/README.md': 'schemas\n' });
    symlinkSync(outside, path.join(r.dir, 'linked'));
    mkdirSync(path.join(r.dir, 'schemas', 'example.com'));
    symlinkSync(path.join(outside, 'example.com', 'widget_v1.json'), path.join(r.dir, 'schemas', 'example.com', 'widget_v1.json'));
    r.commit('links');
    const { code, findings } = await validate(r);
    expect(code).toBe(1);
    expect(brief(findings)).toEqual([
      ['path-escape', `validate.schemas: "linked": symlink points outside the repository (${outside}); Ferry does not follow it`, '.github/ferry.yml', null],
      ['path-escape', `symlink points outside the repository (${path.join(outside, 'example.com', 'widget_v1.json')}); Ferry does not follow it`, 'schemas/example.com/widget_v1.json', null],
      ['unknown-kind', 'example.com/v1 Widget: no schema known (not built into Kubernetes, and no CRD in the repository defines it)', 'apps/widgets/widget.yaml', 2],
    ]);
  });

  it('follows a symlink that stays inside the repository; a missing folder or a broken file is a config error', async () => {
    const r = repo({
      '.github/ferry.yml': CONFIG(['vendor/current', 'missing']),
      'apps/widgets/widget.yaml': WIDGET,
      'apps/gadgets/gadget.yaml': 'apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n',
      'vendor/v2/example.com/widget_v1.json': schema({ size: { type: 'integer' }, colour: { type: 'string' } }),
      'vendor/v2/example.com/gadget_v1.json': '{ not json',
    });
    symlinkSync('v2', path.join(r.dir, 'vendor', 'current'));
    r.commit('inside');
    const { findings } = await validate(r);
    expect(brief(findings).map((f) => f.slice(0, 3))).toEqual([
      ['config', 'validate.schemas: "missing" is not a folder at ' + r.git('rev-parse', 'HEAD').trim().slice(0, 12), '.github/ferry.yml'],
      ['config', expect.stringMatching(/^not valid JSON \(.*\); resources of this kind are not validated$/), 'vendor/v2/example.com/gadget_v1.json'],
      ['unknown-kind', 'example.com/v1 Gadget: no schema known (not built into Kubernetes, and no CRD in the repository defines it)', 'apps/gadgets/gadget.yaml'],
      ['schema', 'spec.size: expected integer, got string', 'apps/widgets/widget.yaml'],
    ]);
  });

  it('ferry.yml: a folder outside the repository is a config error at its line', () => {
    const res = parseConfig(CONFIG(['ok', '../elsewhere', '/abs']), '.github/ferry.yml');
    expect(res.ok).toBe(false);
    const msgs = (res.ok ? [] : res.findings).map((f) => `${f.line}: ${f.message}`);
    expect(msgs).toEqual([
      '5: .github/ferry.yml:5: validate.schemas[1]: must be a path inside the repository, got "../elsewhere"',
      '5: .github/ferry.yml:5: validate.schemas[2]: must be a path inside the repository, got "/abs"',
    ]);
  });
});
