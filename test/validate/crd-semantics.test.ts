// CRD validation read the way the API server reads a custom resource: its formats, defaults,
// nulls and served versions.
import { describe, expect, it } from 'vitest';
import { crdSchemasFromResources, validateResources } from '../../src/validate/index.js';
import { OPTS, res } from './helpers.js';

type Obj = Record<string, unknown>;

/** A CRD for kind Thing in example.com whose `spec` has the given schema. */
function crdWith(spec: Obj, versions: Array<{ name: string; served?: boolean }> = [{ name: 'v1' }]) {
  return crdSchemasFromResources([
    res({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'things.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { kind: 'Thing', plural: 'things' },
        versions: versions.map((v) => ({
          name: v.name,
          served: v.served ?? true,
          storage: v.name === versions[0]!.name,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec } } },
        })),
      },
    }),
  ]);
}

function thing(spec: unknown, apiVersion = 'example.com/v1'): Obj {
  return { apiVersion, kind: 'Thing', metadata: { name: 't', namespace: 'n' }, spec };
}

function check(crds: ReturnType<typeof crdWith>, obj: Obj): string[] {
  return validateResources([res(obj)], { ...OPTS, crds }).map((f) => `${f.rule}: ${f.message}`);
}

describe('format: duration is a Go duration', () => {
  const crds = crdWith({ type: 'object', properties: { every: { type: 'string', format: 'duration' } } });

  it('accepts Go durations and the forms the API server also takes', () => {
    for (const every of ['5m', '1h30m', '300ms', '-1.5h', '0', '2h45m30.5s', '1.5µs', '+10s', '5 days', '2w', '3 minutes']) {
      expect(check(crds, thing({ every })), every).toEqual([]);
    }
  });

  it('rejects ISO 8601 and other strings', () => {
    for (const every of ['PT5M', 'P1D', '5', 'five minutes', '1h 30', '', 'm5', '5 fortnights']) {
      expect(check(crds, thing({ every })), every).toEqual([`schema: spec.every: ${JSON.stringify(every)} is not a valid duration`]);
    }
  });
});

describe('format: byte is base64 as Go decodes it', () => {
  const crds = crdWith({ type: 'object', properties: { blob: { type: 'string', format: 'byte' } } });
  const long = Buffer.alloc(120, 9).toString('base64');

  it('accepts line-wrapped base64 and rejects what is not base64', () => {
    expect(check(crds, thing({ blob: long.slice(0, 76) + '\n' + long.slice(76) + '\n' }))).toEqual([]);
    expect(check(crds, thing({ blob: 'QUJD\r\nREVG' }))).toEqual([]);
    expect(check(crds, thing({ blob: 'abc' }))).toEqual(['schema: spec.blob: "abc" is not a valid byte']);
    // One valid line does not make the rest valid.
    expect(check(crds, thing({ blob: '!!!!\nQUJD' }))).toEqual(['schema: spec.blob: "!!!!\\nQUJD" is not a valid byte']);
  });
});
