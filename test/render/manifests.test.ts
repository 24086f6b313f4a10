import { describe, expect, it, vi } from 'vitest';
import { parseKeepingLastKey } from '../../src/render/duplicate-keys.js';
import { decodeManifest, looksLikeManifest, parseRenderedObjects, parseSourceManifests, parseYamlValue } from '../../src/render/manifests.js';

describe('parseSourceManifests', () => {
  it('reads multi-document files, skips non-Kubernetes YAML, traces lines', () => {
    const text = `# leading comment
apiVersion: v1
kind: ConfigMap
metadata:
  name: one
data:
  a: "1"
---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: []
---
replicaCount: 3
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: two
spec:
  template:
    spec:
      containers:
        - name: c
          image: nginx
`;
    const { resources, findings } = parseSourceManifests(text, 'app/all.yaml');
    expect(findings).toEqual([]);
    expect(resources.map((r) => r.id.name)).toEqual(['one', 'two']);
    expect(resources[0]!.source!.line).toBe(2);
    expect(resources[1]!.source!.line).toBe(15);
    expect(resources[1]!.source!.locate!('/spec/template/spec/containers/0/image')).toBe(24);
    // A pointer that goes past what exists lands on the deepest existing field.
    expect(resources[1]!.source!.locate!('/spec/template/spec/containers/0/resources/limits')).toBe(23);
  });

  it('reports malformed YAML with file and line', () => {
    const { findings } = parseSourceManifests('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n', 'bad.yaml');
    expect(findings.length).toBeGreaterThan(0);
    expect(findings[0]).toMatchObject({ rule: 'yaml-error', file: 'bad.yaml', severity: 'error' });
    expect(findings[0]!.line).toBeGreaterThanOrEqual(4);
  });

  it('reports duplicate keys with both lines and keeps the object (the last key wins)', () => {
    const { findings, resources } = parseSourceManifests('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n', 'dup.yaml');
    expect(resources.map((r) => r.id.name)).toEqual(['b']);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'duplicate-key', severity: 'warning', line: 5, resource: 'ConfigMap/b' });
    expect(findings[0]!.message).toContain('lines 4 and 5');
  });

  it('keeps line numbers right for documents after the first, and for errors in them', () => {
    const docs = [];
    for (let i = 0; i < 3; i++) docs.push(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c${i}\ndata:\n  k: v`);
    const text = `---\n${docs.join('\n---\n')}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [broken\n`;
    const { resources, findings } = parseSourceManifests(text, 'many.yaml');
    expect(resources.map((r) => [r.id.name, r.source!.line, r.source!.locate!('/data/k')])).toEqual([
      ['c0', 2, 7],
      ['c1', 9, 14],
      ['c2', 16, 21],
    ]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'yaml-error' });
    expect(findings[0]!.line).toBeGreaterThanOrEqual(25);
  });

  it('does not take a document marker inside a block scalar for a boundary', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\ndata:\n  script: |\n    ---\n    echo hi\n';
    const { resources, findings } = parseSourceManifests(text, 's.yaml');
    expect(findings).toEqual([]);
    expect((resources[0]!.object.data as Record<string, string>).script).toBe('---\necho hi\n');
  });

  it('keeps dates and merge-like keys as written (strings), as in the rendered output', () => {
    const { resources } = parseSourceManifests('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\ndata:\n  day: 2024-01-01\n', 'd.yaml');
    expect((resources[0]!.object.data as Record<string, unknown>).day).toBe('2024-01-01');
    expect(parseRenderedObjects('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\ndata:\n  day: 2024-01-01\n')[0]!.data).toEqual({ day: '2024-01-01' });
  });

  it('with requireIdentity, a document without kind or apiVersion is an error at its line', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\napiVersion: v1\nmetadata:\n  name: nokind\n---\nkind: Service\nmetadata:\n  name: noapi\n---\napiVersion: v1\nkind: ""\n';
    const loose = parseSourceManifests(text, 'm.yaml');
    expect(loose.findings).toEqual([]);
    const strict = parseSourceManifests(text, 'm.yaml', { requireIdentity: true });
    expect(strict.resources.map((r) => r.id.name)).toEqual(['ok']);
    expect(strict.findings.map((f) => [f.rule, f.line, f.message.split(':')[0]])).toEqual([
      ['missing-kind', 6, 'document has no kind'],
      ['missing-kind', 10, 'document has no apiVersion'],
      ['missing-kind', 14, 'document has no kind'],
    ]);
  });

  it('reads JSON manifests', () => {
    const text = JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'j' }, spec: { ports: [{ port: 80 }] } }, null, 2);
    const { resources } = parseSourceManifests(text, 'svc.json');
    expect(resources.map((r) => r.id.name)).toEqual(['j']);
    expect(resources[0]!.source!.locate!('/spec/ports/0/port')).toBe(10);
    expect(looksLikeManifest(text)).toBe(true);
    expect(looksLikeManifest(JSON.stringify({ apiVersion: 'v1', kind: 'Service' }))).toBe(true);
    expect(looksLikeManifest('  apiVersion: v1\n  kind: Service\n')).toBe(true);
    expect(looksLikeManifest('{"name": "package", "kind": 1, "apiVersion": 2}')).toBe(false);
    expect(looksLikeManifest('replicaCount: 1\nimage: {}\n')).toBe(false);
  });

  it('refuses an alias bomb', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)}]`);
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  ${bomb.join('\n  ')}\n`;
    const { findings, resources } = parseSourceManifests(text, 'bomb.yaml');
    expect(resources).toEqual([]);
    expect(findings[0]!.message).toMatch(/alias/);
  });

  it('collects ferry:ignore comments for the document they are in', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p # ferry:ignore no-latest-tag, privileged\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: q\n';
    const { resources } = parseSourceManifests(text, 'p.yaml');
    expect(resources[0]!.source!.ignoredRules).toEqual(['no-latest-tag', 'privileged']);
    expect(resources[1]!.source!.ignoredRules).toBeUndefined();
  });

  it('expands kind: List', () => {
    const text = 'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: { name: a }\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: { name: b }\n';
    const { resources } = parseSourceManifests(text, 'list.yaml');
    expect(resources.map((r) => r.id.name)).toEqual(['a', 'b']);
    expect(resources[1]!.source!.locate!('/metadata/name')).toBe(9);
  });
});

describe('decodeManifest', () => {
  it('refuses non-UTF-8 bytes with the line', () => {
    const buf = Buffer.concat([Buffer.from('apiVersion: v1\nkind: ConfigMap\n'), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]);
    const r = decodeManifest(buf, 'latin.yaml');
    expect('finding' in r && r.finding.message).toMatch(/not valid UTF-8.*line 3/);
  });

  it('refuses files over the size limit (FERRY_MAX_FILE_MB) without parsing them', () => {
    vi.stubEnv('FERRY_MAX_FILE_MB', '8');
    try {
      const r = decodeManifest(Buffer.alloc(20 * 1024 * 1024, 0x61), 'huge.yaml');
      expect('finding' in r && r.finding.message).toMatch(/20 MiB.*up to 8\.0 MiB/);
    } finally {
      vi.unstubAllEnvs();
    }
    // The default reads a 30 MB manifest.
    expect('text' in decodeManifest(Buffer.alloc(30 * 1024 * 1024, 0x61), 'big.yaml')).toBe(true);
  });
});

describe('parseRenderedObjects', () => {
  it('parses plain renderer output and guards aliases', () => {
    expect(parseRenderedObjects('apiVersion: v1\nkind: A\n---\napiVersion: v1\nkind: B\n').map((o) => o.kind)).toEqual(['A', 'B']);
    const bomb = 'a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n';
    expect(() => parseRenderedObjects(bomb)).toThrow(/alias/i);
  });
});

describe('hostile YAML that the fast parser would accept', () => {
  // A string aliased a thousand times shares one node; walking the object (validation,
  // diffs, dumps) expands it. The anchor sends the document to the guarded parser.
  const stringBomb = (n: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\ndata:\n  a: &s "${'x'.repeat(100_000)}"\n  l: [${Array(n).fill('*s').join(', ')}]\n`;

  it('refuses a document that repeats an aliased string past the alias limit', () => {
    const { resources, findings } = parseSourceManifests(stringBomb(1000), 'bomb.yaml');
    expect(resources).toEqual([]);
    expect(findings[0]!.message).toMatch(/alias/);
    expect(() => parseRenderedObjects(stringBomb(1000))).toThrow(/alias/i);
    expect(() => parseYamlValue(`resources: [&r "${'a'.repeat(1000)}", ${Array(1000).fill('*r').join(', ')}]\n`)).toThrow(/alias/i);
  });

  it('refuses an aliased sequence used as a mapping key many times (the parse itself would pay)', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `- {? *arr : ${i}}`).join('\n');
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ns: &arr [${'x'.repeat(200_000)}]\nl:\n${keys}\n`;
    const { resources, findings } = parseSourceManifests(text, 'keys.yaml');
    expect(resources).toEqual([]);
    expect(findings[0]!.message).toMatch(/alias/);
    expect(() => parseRenderedObjects(text)).toThrow(/alias/i);
  });

  it('reads a 9 MiB document of long sequence items without aliases on the fast path', () => {
    const items = Array.from({ length: 45 }, () => `  - ${'y'.repeat(200_000)}`).join('\n');
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: long\nlist:\n${items}\n`;
    expect(text.length).toBeGreaterThan(8 * 2 ** 20);
    const { resources, findings } = parseSourceManifests(text, 'long.yaml');
    expect(findings).toEqual([]);
    expect((resources[0]!.object.list as string[]).length).toBe(45);
  });

  it('still reads a document with a few aliases', () => {
    const { resources } = parseSourceManifests(stringBomb(3), 'few.yaml');
    expect((resources[0]!.object.data as { l: string[] }).l).toHaveLength(3);
    expect(parseRenderedObjects(`---\nargs: ["a && b"]\nkind: X\n---\n${stringBomb(3)}`)).toHaveLength(2);
  });

  it('a broken document over 8 MiB gets the fast parser\'s message, without the slow parser', () => {
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: "${'x'.repeat(9 * 2 ** 20)}"\n  k: a\n  k: b\n`;
    const { resources, findings } = parseSourceManifests(text, 'big.yaml');
    expect(resources).toEqual([]);
    expect(findings).toEqual([expect.objectContaining({ rule: 'yaml-error', line: 8 })]);
    expect(findings[0]!.message).toMatch(/duplicated mapping key/);
  });
});

describe('repeated keys in rendered output', () => {
  it('names the key as parsed, never the rest of its line (a flow mapping holds the values)', () => {
    const out = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata: {"password":"U1VQRVJTRUNSRVQ=","password":"U1VQRVJTRUNSRVQ="}\n';
    const { objects, duplicates } = parseKeepingLastKey(out);
    expect(objects).toHaveLength(1);
    expect(duplicates).toEqual([{ key: 'password', line: 5 }]);
  });
});

describe('every fallback to the slow parser is bounded', () => {
  const big = (tail: string) => `resources:\n  - "${'r'.repeat(9 * 2 ** 20)}"\n${tail}`;

  it('a kustomization over 8 MiB that the fast parser rejects is refused, not parsed slowly', () => {
    expect(() => parseYamlValue(big('resources: [again]\n'))).toThrow(/8\.0 MiB/);
    // A small one still gets the guarded parser's message, as before.
    expect(() => parseYamlValue('resources: [a]\nresources: [b]\n')).toThrow(/unique/);
  });

  it('renderer output over 8 MiB that repeats keys is not re-read', () => {
    expect(() => parseKeepingLastKey(big('resources: [again]\n'))).toThrow(/8\.0 MiB/);
  });
});
