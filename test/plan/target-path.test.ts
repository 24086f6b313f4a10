import { describe, expect, it } from 'vitest';
import { setTargetPath } from '../../src/plan/target-path.js';

describe('setTargetPath bounds and quoting (PR content)', () => {
  it('refuses more levels than helm does (30), without recursing', () => {
    const deep = Array.from({ length: 20_000 }, () => 'a').join('.');
    expect(setTargetPath({}, deep, 'x')).toEqual({ problem: expect.stringMatching(/more than 30 levels/) });
    const ok: Record<string, unknown> = {};
    expect(setTargetPath(ok, Array.from({ length: 30 }, () => 'a').join('.'), 'x')).toEqual({ value: 'x' });
  });

  it('refuses list indexes that add up past 65536, which would pad lists with millions of nulls', () => {
    expect(setTargetPath({}, `a${'[2300]'.repeat(29)}`, 'x')).toEqual({ problem: expect.stringMatching(/list indexes adding up to more than 65536/) });
    const v: Record<string, unknown> = {};
    expect(setTargetPath(v, 'a[2][1]', 'x')).toEqual({ value: 'x' });
    expect(v).toEqual({ a: [null, null, [null, 'x']] });
  });

  it('a value is a string only when the same quote opens and closes it, as in Flux', () => {
    const v: Record<string, unknown> = {};
    setTargetPath(v, 'q', "'007'");
    setTargetPath(v, 'mixed', '"12\'');
    setTargetPath(v, 'n', '12');
    expect(v).toEqual({ q: '007', mixed: '"12\'', n: 12 });
  });
});
