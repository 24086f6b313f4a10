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

describe('defaults are applied before validating, as the API server does', () => {
  it('a required field that has a default is not missing', () => {
    const crds = crdWith({ type: 'object', required: ['size', 'mode'], properties: { size: { type: 'integer', default: 1 }, mode: { type: 'string' } } });
    expect(check(crds, thing({ mode: 'a' }))).toEqual([]);
    expect(check(crds, thing({}))).toEqual(['schema: spec: missing required field "mode"']);
  });

  it('a oneOf that requires a defaulted field is satisfied by the default', () => {
    const crds = crdWith({
      type: 'object',
      properties: { kind: { type: 'string', default: 'auto' }, manual: { type: 'object', properties: { size: { type: 'integer' } } } },
      oneOf: [{ required: ['kind'] }, { required: ['manual'] }],
    });
    expect(check(crds, thing({}))).toEqual([]);
    // With both present, the oneOf fails as the API server would find it.
    expect(check(crds, thing({ manual: { size: 1 } }))).toHaveLength(1);
  });

  it('defaults nest: inside defaulted objects, array items and maps', () => {
    const crds = crdWith({
      type: 'object',
      properties: {
        policy: { type: 'object', default: {}, required: ['retries'], properties: { retries: { type: 'integer', default: 3 } } },
        ports: { type: 'array', items: { type: 'object', required: ['protocol'], properties: { protocol: { type: 'string', default: 'TCP' }, port: { type: 'integer' } } } },
        backends: { type: 'object', additionalProperties: { type: 'object', required: ['weight'], properties: { weight: { type: 'integer', default: 1 } } } },
      },
    });
    expect(check(crds, thing({ ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }], backends: { a: {}, b: { weight: 2 } } }))).toEqual([]);
  });

  it('does not change the object it is given', () => {
    const crds = crdWith({ type: 'object', required: ['size'], properties: { size: { type: 'integer', default: 1 }, note: { type: 'string' } } });
    const t = thing({ note: null });
    const before = structuredClone(t);
    expect(check(crds, t)).toEqual([]);
    expect(t).toEqual(before);
  });
});

describe('nulls in non-nullable fields are dropped, as the API server does', () => {
  const crds = crdWith({
    type: 'object',
    required: ['name'],
    properties: {
      name: { type: 'string' },
      replicas: { type: 'integer' },
      tls: { type: 'object', properties: { secretName: { type: 'string' } } },
      comment: { type: 'string', nullable: true },
      mode: { type: 'string', default: 'fast' , enum: ['fast', 'slow'] },
      tags: { type: 'object', additionalProperties: { type: 'string' } },
    },
  });

  it('a null where the schema does not allow it is not a type error', () => {
    expect(check(crds, thing({ name: 'x', replicas: null, tls: null, comment: null, tags: { a: null, b: 'c' } }))).toEqual([]);
  });

  it('a null in a field with a default gets the default', () => {
    expect(check(crds, thing({ name: 'x', mode: null }))).toEqual([]);
  });

  it('a dropped required field is still missing', () => {
    expect(check(crds, thing({ name: null }))).toEqual(['schema: spec: missing required field "name"']);
  });
});

describe('CRD versions with served: false', () => {
  const crds = crdWith({ type: 'object', required: ['size'], properties: { size: { type: 'integer' } } }, [
    { name: 'v2' },
    { name: 'v1', served: true },
    { name: 'v1alpha1', served: false },
  ]);

  it('a resource of an unserved version gets one finding naming the served versions, not schema errors', () => {
    expect(check(crds, thing({ size: 'not a number' }, 'example.com/v1alpha1'))).toEqual([
      'unknown-api-version: example.com/v1alpha1 Thing: CRD things.example.com defines v1alpha1 with served: false (it serves example.com/v2, example.com/v1)',
    ]);
    expect(check(crds, thing({ size: 'not a number' }, 'example.com/v1'))).toEqual(['schema: spec.size: expected integer, got string']);
  });

  it('says so when no version is served', () => {
    const none = crdWith({ type: 'object' }, [{ name: 'v1', served: false }]);
    expect(check(none, thing({}))).toEqual(['unknown-api-version: example.com/v1 Thing: CRD things.example.com defines v1 with served: false (it serves no version)']);
  });
});

describe('unsubstituted Flux variables in custom resources', () => {
  const crds = crdWith({ type: 'object', properties: { size: { type: 'integer', format: 'int32' }, name: { type: 'string' }, every: { type: 'string', format: 'duration' } } });

  it('are reported as flux-unsubstituted where the schema wants another type or format, and are fine in strings', () => {
    expect(check(crds, thing({ size: '${SIZE:=3}', name: 'app-${CLUSTER}', every: '${INTERVAL}' }))).toEqual([
      'flux-unsubstituted: spec.size: "${SIZE:=3}" is an unsubstituted Flux variable; the field is checked only once it is substituted',
      'flux-unsubstituted: spec.every: "${INTERVAL}" is an unsubstituted Flux variable; the field is checked only once it is substituted',
    ]);
  });
});

describe('integer formats', () => {
  const crds = crdWith({ type: 'object', properties: { small: { type: 'integer', format: 'int32' }, big: { type: 'integer', format: 'int64' } } });

  it('int32 values outside the int32 range are errors, as for built-in kinds', () => {
    expect(check(crds, thing({ small: 2147483647, big: 2 ** 40 }))).toEqual([]);
    expect(check(crds, thing({ small: -2147483648 }))).toEqual([]);
    expect(check(crds, thing({ small: 2147483648 }))).toEqual(['schema: spec.small: 2147483648 is not a valid int32']);
    expect(check(crds, thing({ small: -2147483649 }))).toEqual(['schema: spec.small: -2147483649 is not a valid int32']);
    const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 2147483648, selector: {}, template: { spec: { containers: [] } } } };
    expect(check(crds, d)).toEqual(['schema: spec.replicas: 2147483648 is not a valid int32']);
  });

  it('a fraction is a wrong type, said as such', () => {
    expect(check(crds, thing({ small: 1.5, big: 2.5 }))).toEqual(['schema: spec.small: expected integer, got number', 'schema: spec.big: expected integer, got number']);
  });
});

describe('x-kubernetes-validations (CEL)', () => {
  it('rules are not evaluated offline (docs/config.md says so), and do not stop the rest of the schema being checked', () => {
    const crds = crdWith({
      type: 'object',
      'x-kubernetes-validations': [{ rule: 'self.min <= self.max', message: 'min must not exceed max' }],
      properties: { min: { type: 'integer' }, max: { type: 'integer' } },
    });
    expect(check(crds, thing({ min: 5, max: 1 }))).toEqual([]);
    expect(check(crds, thing({ min: 'five', max: 1 }))).toEqual(['schema: spec.min: expected integer, got string']);
  });
});

describe('patterns', () => {
  it('each field is tested against its own pattern, however many a schema has', () => {
    const crds = crdWith({
      type: 'object',
      properties: {
        host: { type: 'string', pattern: '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
        kind: { type: 'string', pattern: '^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$' },
        path: { type: 'string', pattern: '^/' },
      },
    });
    expect(check(crds, thing({ host: 'api', kind: 'Secret', path: '/x' }))).toEqual([]);
    // Twice: remembered answers must be the right pattern's too.
    expect(check(crds, thing({ host: 'api', kind: 'Secret', path: '/x' }))).toEqual([]);
    expect(check(crds, thing({ host: 'Secret', kind: 'api', path: 'x' }))).toEqual([
      'schema: spec.host: "Secret" does not match the pattern ^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
      'schema: spec.path: "x" does not match the pattern ^/',
    ]);
  });
});
