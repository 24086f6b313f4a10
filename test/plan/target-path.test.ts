import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { integerLeaves, setTargetPath } from '../../src/plan/target-path.js';
import { TEST_HELM } from '../helpers/bin.js';
import { tempDir } from '../helpers/gitrepo.js';

/** Values as Go's json.Marshal writes them (sorted keys), int64 BigInts as their digits. */
function goJson(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${goJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

describe('setTargetPath reads `<targetPath>=<value>` as helm\'s strvals does (what helm-controller calls)', () => {
  it('equals helm --set / --set-string on the same text, values and failures alike', () => {
    const dir = path.join(tempDir('ferry-strvals-'), 'c');
    mkdirSync(path.join(dir, 'templates'), { recursive: true });
    writeFileSync(path.join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: c\nversion: 0.1.0\n');
    writeFileSync(path.join(dir, 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  v: {{ toJson .Values | quote }}\n');
    const cases: [string, string][] = [
      ['a.b', '5'], ['a', '84729301'], ['a', '9223372036854775807'], ['a', '9223372036854775808'], ['a', '-0'], ['a', '+12'], ['a', '012'],
      ['a', 'TRUE'], ['a', 'x,b=1'], ['a', 'x,'], ['a', 'x,b'], ['a', 'x,b.c'], ['a', '{1,x,}'], ['a', '{1,2}b=3'], ['a', '{1,2'], ['a', ''],
      ['a', 'x\\,y'], ['a[1]', 'x'], ['a[1][2]', '3'], ['a[0].b', '1,a[0].c=2'], ['a.b', 'x,a=1'], ['a', 'x,a.b=1'], ['a[0]', 'x,a.b=1'],
      ['a\\.b', 'y'], ['a.b', '"quoted,c=d"'], ['a', "'7'"], ['a.b', 'c=d'], ['a', 'é,ü=ß'], ['a[70000]', 'x'],
      // Keys a plain object holds specially: helm sets them like any other.
      ['__proto__', '1'], ['__proto__.a', 'x,__proto__.b=2'], ['constructor.prototype', 'y'], ['a', 'x,prototype[1]=z,__proto__[0]=3'],
    ];
    let failed = 0;
    for (const [tp, value] of cases) {
      const quoted = /^(".*"|'.*')$/.test(value);
      const arg = `${tp}=${quoted ? value.replace(/^['"]+|['"]+$/g, '') : value}`;
      let helm: string | null;
      try {
        const out = execFileSync(TEST_HELM, ['template', 'r', dir, quoted ? '--set-string' : '--set', arg], { encoding: 'utf8', stdio: 'pipe' });
        helm = (parse(out.replace(/^---\n# Source: .*\n/, '')) as { data: { v: string } }).data.v;
      } catch {
        helm = null;
      }
      const values: Record<string, unknown> = {};
      const got = setTargetPath(values, tp, value);
      if (helm === null) {
        failed++;
        expect('problem' in got, `${arg}: helm fails, Ferry sets ${goJson(values)}`).toBe(true);
      }
      else {
        expect('problem' in got ? got.problem : '', arg).toBe('');
        expect(goJson(values), arg).toBe(helm);
      }
    }
    // Not vacuous: both kinds of case are there.
    expect(failed).toBe(6);
    // Nothing reached a prototype.
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>).a).toBeUndefined();
  });

  it('refuses more levels than helm does (30), without recursing, and a path the API refuses', () => {
    expect(setTargetPath({}, Array.from({ length: 32 }, () => 'a').join('.'), 'x')).toEqual({ problem: expect.stringMatching(/more than 30 levels/) });
    expect(setTargetPath({}, Array.from({ length: 20_000 }, () => 'a').join('.'), 'x')).toEqual({ problem: expect.stringMatching(/not one the HelmRelease API accepts/) });
    expect('assigned' in setTargetPath({}, Array.from({ length: 31 }, () => 'a').join('.'), 'x')).toBe(true);
    // Alternating indexes and keys nest without strvals' level count: Ferry's own cap holds.
    expect(setTargetPath({}, 'a', `x,${'b[0].'.repeat(200)}c=1`)).toEqual({ problem: expect.stringMatching(/more than 64 nested keys and indexes, past what Ferry renders/), limit: true });
    expect(setTargetPath({}, 'a', `x,b${'[0]'.repeat(200)}=1`)).toEqual({ problem: expect.stringMatching(/more than 64 nested keys and indexes, past what Ferry renders/), limit: true });
  });

  it('refuses list indexes that pad lists past its cap, which would make millions of nulls', () => {
    const many = Array.from({ length: 10 }, (_, i) => `l${i}[65536]=x`).join(',');
    expect(setTargetPath({}, 'a', `x,${many}`)).toEqual({ problem: expect.stringMatching(/pad lists past/), limit: true });
    const v: Record<string, unknown> = {};
    expect('assigned' in setTargetPath(v, 'a[2][1]', 'x')).toBe(true);
    expect(v).toEqual({ a: [null, null, [null, 'x']] });
  });

  it('a value is a string only when the same quote opens and closes it, as in Flux; integers are int64', () => {
    const v: Record<string, unknown> = {};
    setTargetPath(v, 'q', "'007'");
    setTargetPath(v, 'mixed', '"12\'');
    setTargetPath(v, 'n', '12');
    expect(v).toEqual({ q: '007', mixed: '"12\'', n: 12n });
  });

  it('names integer leaves as --set paths, escaped', () => {
    expect(integerLeaves({ a: { 'b.c': [1n, 'x', { 'd=e,f': -2n }] }, g: 3, '': { h: 4n } }, 10)).toEqual([
      { path: 'a.b\\.c[0]', value: '1' }, { path: 'a.b\\.c[2].d\\=e\\,f', value: '-2' },
    ]);
    expect(integerLeaves({ a: [1n, 2n, 3n] }, 2)).toBeNull();
  });
});
