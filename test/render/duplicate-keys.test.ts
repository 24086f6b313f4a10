import { describe, expect, it } from 'vitest';
import { isDuplicateKeyError, parseKeepingLastKey } from '../../src/render/duplicate-keys.js';
import { parseRenderedObjects } from '../../src/render/manifests.js';

const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: first\n  "k": last\n---\napiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: Service, metadata: {name: s}}\n';

describe('renderer output with a repeated key', () => {
  it('is what the strict parser rejects', () => {
    let err: unknown;
    try {
      parseRenderedObjects(text);
    } catch (e) {
      err = e;
    }
    expect(isDuplicateKeyError(err)).toBe(true);
    expect(isDuplicateKeyError(new Error('bad indentation of a mapping entry'))).toBe(false);
  });

  it('parses keeping the last value and says which key repeats where', () => {
    const { objects, duplicates } = parseKeepingLastKey(text);
    expect(objects.map((o) => o.kind)).toEqual(['ConfigMap', 'Service']);
    expect(objects[0]!.data).toEqual({ k: 'last' });
    expect(duplicates).toEqual([{ key: 'k', line: 7 }]);
  });

  it('any other YAML error still throws', () => {
    expect(() => parseKeepingLastKey('a: 1\na: 2\nb: [unclosed\n')).toThrow();
  });
});
