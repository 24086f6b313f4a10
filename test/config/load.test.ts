import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findConfigFile, implicitConfig, KNOWN_RULE_IDS, parseConfig, parseConfigBuffer, parseDuration, parseSize } from '../../src/config/index.js';
import { ENGINE_RULES } from '../../src/plan/levels.js';
import { RULES } from '../../src/validate/index.js';
import { REPO_ROOT } from '../helpers/bin.js';

const FILE = '.github/ferry.yml';

function errors(text: string) {
  const r = parseConfig(text, FILE);
  if (r.ok) throw new Error('expected errors');
  return r.findings;
}

const FULL = `# yaml-language-server: $schema=../docs/ferry.schema.json
environments:
  - name: staging
    branch: staging
    path: ./envs/staging/
  - name: production
    branch: main
    path: envs/production
    apps:
      - name: web
        path: charts/web
        renderer: helm
        helm: { releaseName: web, namespace: web, valuesFiles: [values.yaml, values-prod.yaml] }
      - name: api
        path: envs/production/api
render:
  kustomize: kubectl
  helm: /usr/local/bin/helm
  timeout: 1m30s
  maxOutput: 50MB
promotion:
  - from: staging
    to: production
    strategy: directory
    keep: ["**/env-patch.yaml"]
    gates: { statuses: ["argocd/staging"], soak: 30m }
    auto: true
validate:
  kubernetesVersion: "1.30"
  strict: false
  rules: { no-latest-tag: warning, resource-limits: "off", helm-unavailable: error }
review:
  - name: production needs platform
    when: { environments: [production], paths: ["envs/production/**"] }
    approvals: 2
    teams: [platform]
commands:
  promote: { teams: [platform], users: [alice] }
`;

describe('parseConfig', () => {
  it('turns a full config into the typed value with defaults filled in', () => {
    const r = parseConfig(FULL, FILE);
    if (!r.ok) throw new Error(JSON.stringify(r.findings));
    expect(r.config).toEqual({
      implicit: false,
      environments: [
        { name: 'staging', branch: 'staging', path: 'envs/staging' },
        {
          name: 'production', branch: 'main', path: 'envs/production',
          apps: [
            { name: 'web', path: 'charts/web', renderer: 'helm', helm: { releaseName: 'web', namespace: 'web', valuesFiles: ['values.yaml', 'values-prod.yaml'] } },
            { name: 'api', path: 'envs/production/api' },
          ],
        },
      ],
      render: { kustomize: 'kubectl', helm: '/usr/local/bin/helm', timeoutMs: 90_000, maxOutputBytes: 50_000_000, flux: true, argo: true },
      promotion: [{ from: 'staging', to: 'production', strategy: 'directory', keep: ['**/env-patch.yaml'], gates: { statuses: ['argocd/staging'], soakMs: 1_800_000 }, auto: true }],
      validate: { kubernetesVersion: '1.30', strict: false, rules: { 'no-latest-tag': 'warning', 'resource-limits': 'off', 'helm-unavailable': 'error' } },
      review: [{ name: 'production needs platform', when: { environments: ['production'], paths: ['envs/production/**'] }, approvals: 2, teams: ['platform'], users: [], dismissStale: true, codeowners: false }],
      commands: { promote: { teams: ['platform'], users: ['alice'] }, plan: null },
    });
  });

  it('fills defaults for a minimal config', () => {
    const r = parseConfig('environments:\n  - name: prod\n    path: k8s\n', FILE);
    expect(r.ok && r.config).toMatchObject({
      render: { timeoutMs: 120_000, maxOutputBytes: 64 * 1024 * 1024, flux: true, argo: true },
      validate: { kubernetesVersion: '1.36', strict: true, rules: {} },
      promotion: [], review: [], commands: { promote: null, plan: null },
    });
  });

  it('names file, line and key of a typo, and suggests the known key', () => {
    const [f, ...rest] = errors('environments:\n  - name: staging\n    paht: envs/staging\n');
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ rule: 'config', severity: 'error', file: FILE, line: 3 });
    expect(f!.message).toBe('.github/ferry.yml:3: environments[0].paht: unknown key (did you mean "path"?); expected one of: name, branch, path, apps');
  });

  it('a typo at the top level', () => {
    const [f] = errors('enviroments:\n  - name: a\n');
    expect(f!.message).toMatch(/^\.github\/ferry\.yml:1: enviroments: unknown key \(did you mean "environments"\?\)/);
  });

  it('an enum value, with the allowed values and a suggestion', () => {
    const text = 'environments:\n  - name: a\n  - name: b\npromotion:\n  - from: a\n    to: b\n    strategy: dirctory\n';
    const [f] = errors(text);
    expect(f!.line).toBe(7);
    expect(f!.message).toBe('.github/ferry.yml:7: promotion[0].strategy: expected one of "directory", "branch", got "dirctory" (did you mean "directory"?)');
  });

  it('an unknown rule id and a wrong level', () => {
    const fs = errors('environments:\n  - name: a\nvalidate:\n  rules:\n    no-lastest-tag: error\n    privileged: fatal\n');
    expect(fs.map((f) => [f.line, f.message.replace(/; expected one of.*/, '')])).toEqual([
      [5, '.github/ferry.yml:5: validate.rules.no-lastest-tag: unknown rule (did you mean "no-latest-tag"?)'],
      [6, '.github/ferry.yml:6: validate.rules.privileged: expected one of "error", "warning", "info", "off", got "fatal"'],
    ]);
  });

  it('an unquoted Kubernetes version is explained', () => {
    const [f] = errors('environments:\n  - name: a\nvalidate:\n  kubernetesVersion: 1.30\n');
    expect(f!.line).toBe(4);
    expect(f!.message).toMatch(/validate\.kubernetesVersion: expected a string like "1\.31", got 1\.3 \(quote it/);
  });

  it('wrong types, missing keys, bad durations and sizes', () => {
    const fs = errors('environments:\n  - path: x\n  - name: b\n    apps: nope\nrender:\n  timeout: 5 minutes\n  maxOutput: lots\n');
    const msgs = fs.map((f) => `${f.line}: ${f.message.replace(/^[^ ]+ /, '')}`);
    expect(msgs).toEqual([
      '2: environments[0]: missing required key "name"',
      '4: environments[1].apps: expected a list, got "nope"',
      '6: render.timeout: expected a duration like 30s, 5m, 1h30m or 2d, got "5 minutes"',
      '7: render.maxOutput: expected a size like 50MB or 512KiB, got "lots"',
    ]);
  });

  it('semantic checks: duplicate names, unknown environments, self-promotion, cycles, escaping paths', () => {
    const text = `environments:
  - name: staging
    path: ../outside
  - name: staging
  - name: prod
    apps:
      - { name: a, path: /abs }
      - { name: a, path: ok }
promotion:
  - { from: staging, to: prdo }
  - { from: prod, to: prod }
  - { from: staging, to: prod }
  - { from: prod, to: staging }
review:
  - name: r
    when: { environments: [qa] }
`;
    const msgs = errors(text).map((f) => f.message.replace(/^\.github\/ferry\.yml:/, ''));
    expect(msgs).toEqual([
      '3: environments[0].path: must be a path inside the repository, got "../outside"',
      '4: environments[1].name: duplicate environment name "staging" (also environments[0])',
      '7: environments[2].apps[0].path: must be a path inside the repository, got "/abs"',
      '8: environments[2].apps[1].name: duplicate app name "a" in environment "prod"',
      '9: promotion: promotion steps form a cycle',
      '10: promotion[0].to: unknown environment "prdo" (did you mean "prod"?); defined: staging, prod',
      '11: promotion[1].to: a step cannot promote "prod" to itself',
      '11: promotion[1].from: the directory strategy needs environment "prod" to set `path`',
      '11: promotion[1].to: the directory strategy needs environment "prod" to set `path`',
      '12: promotion[2].to: the directory strategy needs environment "prod" to set `path`',
      '13: promotion[3].from: the directory strategy needs environment "prod" to set `path`',
      '16: review[0].when.environments[0]: unknown environment "qa"; defined: staging, prod',
    ]);
  });

  it('review rules: every `when` key, dismissStale, and line-accurate errors', () => {
    const ok = parseConfig(`environments: [{ name: production, path: envs/production }]
review:
  - name: rbac
    when:
      environments: [production]
      kinds: [ClusterRole, Secret/db-*]
      removals: true
      errors: false
      labels: [sensitive]
      author: { in: [contractors], notIn: [platform] }
    approvals: 2
    teams: [platform]
    dismissStale: false
    codeowners: true
  - name: anyone
`, FILE);
    if (!ok.ok) throw new Error(JSON.stringify(ok.findings));
    expect(ok.config.review).toEqual([
      {
        name: 'rbac',
        when: { environments: ['production'], kinds: ['ClusterRole', 'Secret/db-*'], removals: true, errors: false, labels: ['sensitive'], author: { in: ['contractors'], notIn: ['platform'] } },
        approvals: 2, teams: ['platform'], users: [], dismissStale: false, codeowners: true,
      },
      { name: 'anyone', when: {}, approvals: 1, teams: [], users: [], dismissStale: true, codeowners: false },
    ]);
    const text = `environments: [{ name: production }]
review:
  - name: a
    when:
      kinds: [cluster-role]
      removal: true
      author: { notin: [x] }
  - name: b
    when: { kinds: ["Secret/*a*a*a*b"] }
  - name: c
    approvals: 3
    users: [alice, bob]
`;
    expect(errors(text).map((f) => f.message.replace(/^\.github\/ferry\.yml:/, ''))).toEqual([
      '5: review[0].when.kinds[0]: expected a resource kind like ClusterRole, or Kind/name-glob like Secret/db-*, got "cluster-role"',
      '6: review[0].when.removal: unknown key (did you mean "removals"?); expected one of: environments, paths, kinds, removals, errors, labels, author',
      '7: review[0].when.author.notin: unknown key (did you mean "notIn"?); expected one of: in, notIn',
    ]);
    expect(errors(text.replace('kinds: [cluster-role]', 'kinds: [ClusterRole]').replace('removal:', 'removals:').replace('notin', 'notIn')).map((f) => f.message.replace(/^\.github\/ferry\.yml:/, ''))).toEqual([
      expect.stringMatching(/^9: review\[1\]\.when\.kinds\[0\]: glob "\*a\*a\*a\*b" .*matching it could take minutes$/),
      '11: review[2].approvals: needs 3 approvals but lists only 2 users and no team: it could never be met',
    ]);
  });

  it('each promotion strategy needs its part of both environments, and directory folders must be separate', () => {
    const text = `environments:
  - { name: staging, path: envs/staging }
  - { name: prod, branch: main }
  - { name: qa, path: envs/staging/qa }
promotion:
  - { from: staging, to: prod, strategy: branch }
  - { from: staging, to: qa }
`;
    expect(errors(text).map((f) => f.message.replace(/^\.github\/ferry\.yml:/, ''))).toEqual([
      '6: promotion[0].from: the branch strategy needs environment "staging" to set `branch`',
      '7: promotion[1].to: environments "staging" and "qa" must use separate folders for the directory strategy',
    ]);
  });

  it('malformed YAML, duplicate keys, alias bombs and non-mappings are findings, never throws', () => {
    expect(errors('environments: [\n')[0]!.message).toMatch(/invalid YAML/);
    const dup = errors('environments:\n  - name: a\nenvironments: []\n')[0]!;
    expect(dup.line).toBe(3);
    expect(dup.message).toMatch(/unique/);
    const bomb = ['a: &a [x,x,x,x,x,x,x,x,x,x]'];
    for (let i = 1; i < 8; i++) bomb.push(`${'abcdefgh'[i]}: &${'abcdefgh'[i]} [${Array(10).fill(`*${'abcdefgh'[i - 1]}`).join(',')}]`);
    expect(errors(`x:\n  ${bomb.join('\n  ')}\nenvironments: [{name: a}]\n`)[0]!.message).toMatch(/alias bomb/);
    expect(errors('- a\n- b\n')[0]!.message).toMatch(/expected a mapping at the top level, got a list/);
    // An empty file used to be an error; it now means the defaults (test/security/empty-config.test.ts).
    expect(parseConfig('', FILE).ok).toBe(true);
  });

  it('rejects invalid UTF-8 and oversized files', () => {
    const bad = parseConfigBuffer(Buffer.from([0x65, 0x6e, 0x76, 0xff, 0x0a]), FILE);
    expect(!bad.ok && bad.findings[0]!.message).toMatch(/not valid UTF-8/);
    const big = parseConfigBuffer(Buffer.alloc(2 * 1024 * 1024, 0x20), FILE);
    expect(!big.ok && big.findings[0]!.message).toMatch(/at most 1 MB/);
  });
});

describe('diff.ignore', () => {
  it('reads rules of kind, name, namespace and JSON pointers; absent, the section is absent', () => {
    const r = parseConfig("environments:\n  - name: prod\ndiff:\n  ignore:\n    - kind: Secret\n      name: web-tls*\n      paths: ['/data/ca.crt', '/metadata/annotations/checksum~1config']\n", FILE);
    if (!r.ok) throw new Error(JSON.stringify(r.findings));
    expect(r.config.diff).toEqual({ ignore: [{ kind: 'Secret', name: 'web-tls*', paths: ['/data/ca.crt', '/metadata/annotations/checksum~1config'] }] });
    const none = parseConfig('environments:\n  - name: prod\n', FILE);
    expect(none.ok && none.config.diff).toBeUndefined();
  });

  it('a path that is not a JSON pointer, or a rule without paths, is a config error at its line', () => {
    const [f, ...rest] = errors("environments:\n  - name: prod\ndiff:\n  ignore:\n    - kind: Secret\n      paths: ['data.ca']\n");
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ line: 6 });
    expect(f!.message).toMatch(/diff\.ignore\[0\]\.paths\[0\]: expected a JSON pointer like \/data\/ca\.crt, got "data\.ca"/);
    expect(errors('environments:\n  - name: prod\ndiff:\n  ignore:\n    - kind: Secret\n')[0]!.message).toMatch(/missing required key "paths"/);
  });
});

describe('helpers', () => {
  it('durations and sizes', () => {
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('45s')).toBe(45_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('soon')).toBeNull();
    expect(parseSize('512KiB')).toBe(524_288);
    expect(parseSize('50MB')).toBe(50_000_000);
    expect(parseSize('1 GB')).toBeNull();
  });

  it('implicitConfig is one "default" environment without a path', () => {
    expect(implicitConfig()).toMatchObject({ implicit: true, environments: [{ name: 'default' }] });
    expect(implicitConfig().environments[0]).not.toHaveProperty('path');
  });

  it('findConfigFile prefers an explicit file, then GitHub, then GitLab', () => {
    const has = (files: string[]) => (p: string) => files.includes(p);
    expect(findConfigFile(has(['.gitlab/ferry.yml', '.github/ferry.yaml']))).toBe('.github/ferry.yaml');
    expect(findConfigFile(has(['.gitlab/ferry.yml']))).toBe('.gitlab/ferry.yml');
    expect(findConfigFile(has([]))).toBeNull();
    expect(findConfigFile(has(['.github/ferry.yml']), 'ci/ferry.yml')).toBe('ci/ferry.yml');
  });
});

describe('JSON Schema', () => {
  it('the published docs/ferry.schema.json is the schema the loader uses', () => {
    const published = readFileSync(path.join(REPO_ROOT, 'docs', 'ferry.schema.json'), 'utf8');
    const used = readFileSync(path.join(REPO_ROOT, 'src', 'config', 'schema.json'), 'utf8');
    expect(published).toBe(used);
  });

  it('is published at one stable URL: its $id, and the modelines in the README and docs/config.md', () => {
    const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'docs', 'ferry.schema.json'), 'utf8')) as { $id: string };
    expect(schema.$id).toMatch(/^https:\/\/cdn\.jsdelivr\.net\/npm\/ferry-gitops\/docs\/ferry\.schema\.json$/);
    // The package really ships the file at that path.
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; files: string[] };
    expect(schema.$id).toContain(`/npm/${pkg.name}/docs/`);
    expect(pkg.files).toContain('docs/');
    for (const doc of ['README.md', 'docs/config.md']) {
      const modelines = readFileSync(path.join(REPO_ROOT, doc), 'utf8').match(/# yaml-language-server: \$schema=\S+/g) ?? [];
      expect(modelines.length, doc).toBeGreaterThan(0);
      for (const m of modelines) expect(m, doc).toBe(`# yaml-language-server: $schema=${schema.$id}`);
    }
  });

  it('lists exactly the rules the engine and the validator know', () => {
    const engine = [...RULES.map((r) => r.id), ...ENGINE_RULES.map((r) => r.id)].sort();
    expect([...KNOWN_RULE_IDS].sort()).toEqual(engine);
  });

  it('every property has a description for editors', () => {
    const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'docs', 'ferry.schema.json'), 'utf8')) as Record<string, unknown>;
    const missing: string[] = [];
    const walk = (node: Record<string, unknown>, where: string) => {
      for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, Record<string, unknown>>)) {
        if (!v.description) missing.push(`${where}.${k}`);
        walk(v, `${where}.${k}`);
        if (v.items) walk(v.items as Record<string, unknown>, `${where}.${k}[]`);
      }
    };
    walk(schema, '');
    expect(missing).toEqual([]);
  });
});
