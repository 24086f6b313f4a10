// Plain scalars as the tools that apply manifests read them: every expectation here comes
// from `kubectl kustomize` (go-yaml v3) run on a generated folder, through JSON patch
// `test` operations, which kustomize checks against its own reading of each value
// (number or string, and which number).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import jsyaml from 'js-yaml';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { toYaml } from '../../src/plan/diff.js';
import { loadBlockDocument } from '../../src/render/block-yaml.js';
import { parseYamlValue } from '../../src/render/manifests.js';
import { GO_SCHEMA, GO_YAML, goNumber } from '../../src/render/yaml-numbers.js';
import { tempDir } from '../helpers/gitrepo.js';

/**
 * Forms whose reading differs between YAML 1.2 core, YAML 1.1 and go-yaml, or is easy to
 * get wrong. Not here: `.inf` / `.nan` (JSON cannot carry them, kustomize fails on them),
 * integers past 2^53 (JS numbers round them; kustomize's JSON round trip saturates some),
 * and timestamps (kustomize rewrites `2002-12-14` as `2002-12-14T00:00:00Z`: not a number rule).
 */
const FORMS = [
  '0644', '-0644', '+0644', '00', '-00', '00644', '0', '-0', '+0', '08', '09', '08.5', '0755.5', '0.0644', '0644e1', '010e2',
  '0o644', '0O10', '-0o10', '+0o10', '0o-10', '0x1F', '0X1F', '-0x1F', '+0x1F', '0b101', '0B101', '-0b101', '+0b101', '0b-101',
  '1_000', '0_644', '0644_', '07_7', '0x_1F', '0x1_F', '1__0', '1_0.5', '1_e3', '1e_3', '1_', '0_', '-_1', '.5_0', '0.0_0',
  '._5', '.5_', '._', '.e5', '.5e_3', '_1', '_-1', '-+10', '0b2', '0o8', '0xG', '0x', '0o', '0b', '0x1p3',
  '1e400', '1e+400', '1e-400', '1e3', '.5', '+.5', '-.5', '1.', '0.', '12', '-12', '1.5', '1:20', '12:30',
  '0777', '012', '012345670123456701234567', 'true', 'no', 'null', '~', 'yes', 'on', 'x0644',
];

/** The value each of Ferry's parsers reads `v: <form>` as; they must agree. */
function ferryReads(form: string): unknown {
  const text = `v: ${form}\n`;
  const readings = [
    (loadBlockDocument(text) as { v: unknown }).v,
    (jsyaml.load(text, { schema: GO_SCHEMA }) as { v: unknown }).v,
    (parse(text, GO_YAML) as { v: unknown }).v,
    // An alias sends the document through the `yaml` package (the guarded parser).
    (parseYamlValue(`a: &x 1\nb: *x\n${text}`) as { v: unknown }).v,
    (parseYamlValue(`c: {d: [${form}]}\n${text}`) as { v: unknown }).v,
  ];
  for (const r of readings) expect(r, form).toEqual(readings[0]);
  return readings[0];
}

/**
 * Runs kubectl kustomize on an object holding each form under its own key, with a JSON
 * patch testing each key against `expected`. Null when kustomize accepts every test,
 * otherwise its message (naming the first key that differs).
 */
function kustomizeDisagreement(forms: string[], expected: unknown[]): string | null {
  const dir = tempDir('ferry-octal-');
  const keys = forms.map((_, i) => `k${i}`);
  writeFileSync(path.join(dir, 'probe.yaml'), `apiVersion: example.com/v1\nkind: Probe\nmetadata:\n  name: p\nspec:\n${forms.map((f, i) => `  ${keys[i]}: ${f}\n`).join('')}`);
  const ops = keys.map((k, i) => ({ op: 'test', path: `/spec/${k}`, value: expected[i] }));
  writeFileSync(path.join(dir, 'kustomization.yaml'), `resources: [probe.yaml]\npatches:\n- target: {kind: Probe, name: p}\n  patch: ${JSON.stringify(JSON.stringify(ops))}\n`);
  try {
    execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return null;
  } catch (err) {
    const msg = String((err as { stderr?: string }).stderr ?? err);
    const m = /\/spec\/k(\d+)/.exec(msg);
    return m ? `${forms[Number(m[1])]}: ${msg.trim()}` : msg.trim();
  }
}

describe('YAML numbers as go-yaml reads them', () => {
  it('reads every form as kubectl kustomize does, in all three parsers', () => {
    const readings = FORMS.map(ferryReads);
    expect(kustomizeDisagreement(FORMS, readings)).toBeNull();
    // The cases the fix is about, spelled out (kustomize agreed with these just above).
    expect(readings.slice(0, 7)).toEqual([420, -420, 420, 0, 0, 420, 0]);
    expect(FORMS.slice(0, 7)).toEqual(['0644', '-0644', '+0644', '00', '-00', '00644', '0']);
    expect(readings[FORMS.indexOf('08')]).toBe(8);
    expect(readings[FORMS.indexOf('0755.5')]).toBe(755.5);
    expect(readings[FORMS.indexOf('1_000')]).toBe(1000);
    expect(readings[FORMS.indexOf('0o644')]).toBe(420);
    expect(readings[FORMS.indexOf('0x1F')]).toBe(31);
  });

  it('a scalar of millions of digits is read as go-yaml reads it, without parsing a huge integer', () => {
    // Past 2^64 go-yaml reads a float, and past float64 keeps the text; leading zeros do not count.
    const long = '7'.repeat(5_000_000);
    expect(goNumber(long)).toBeUndefined();
    expect(goNumber(`0${long}`)).toBeUndefined();
    expect(goNumber('7'.repeat(30))).toBe(7.777777777777778e29);
    expect(goNumber(`${'0'.repeat(5_000_000)}17`)).toBe(15);
    expect(goNumber(`0x${'f'.repeat(5_000_000)}`)).toBeUndefined();
    expect(goNumber('1'.repeat(20))).toBe(11111111111111111111);
    expect(goNumber(`-${'9'.repeat(19)}`)).toBe(-9999999999999999999);
  });

  it('kustomize tells the YAML 1.2 core reading apart (the check above can fail)', () => {
    for (const form of ['0644', '-0644', '+0644', '1_000', '0O10', '0_644']) {
      const core = jsyaml.load(`v: ${form}\n`, { schema: jsyaml.CORE_SCHEMA }) as { v: unknown };
      expect(core.v, form).not.toEqual(goNumber(form));
      expect(kustomizeDisagreement([form], [core.v]), form).toMatch(/test failed/);
    }
  });

  it('writes strings that go-yaml would read as numbers quoted', () => {
    // Ferry writes kustomizations, patches and substituted manifests with `yaml`'s
    // stringify: a plain `1_000` would reach kustomize as the number 1000.
    const strings = ['1_000', '0644', '0O10', '0o-10', '.5_0', '+0644', '0b-101', '1_e3'];
    const written = strings.map((s) => stringify({ v: s }, GO_YAML).replace(/^v: /, '').trimEnd());
    expect(kustomizeDisagreement(written, strings)).toBeNull();
    for (const [i, w] of written.entries()) expect((parse(`v: ${w}\n`, GO_YAML) as { v: unknown }).v).toBe(strings[i]);
    // And in the diffs Ferry shows (js-yaml's dump).
    const shown = strings.map((s) => toYaml({ v: s }).replace(/^v: /, '').trimEnd());
    expect(kustomizeDisagreement(shown, strings)).toBeNull();
  });
});
