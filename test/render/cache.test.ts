import { describe, expect, it } from 'vitest';
import { RenderCache } from '../../src/render/cache.js';

describe('RenderCache in memory', () => {
  it('holds renders within its size bound, least recently used out first, and no single huge one', async () => {
    const cache = new RenderCache(null, 100, 100);
    await cache.put('a', { ok: true, text: 'a'.repeat(20) });
    await cache.put('b', { ok: true, text: 'b'.repeat(20) });
    await cache.put('c', { ok: true, text: 'c'.repeat(20) });
    expect(await cache.get('a')).toBe('a'.repeat(20)); // b is now the oldest
    await cache.put('d', { ok: true, text: 'd'.repeat(20) });
    await cache.put('e', { ok: true, text: 'e'.repeat(20) });
    await cache.put('f', { ok: true, text: 'f'.repeat(20) });
    expect(await cache.get('b')).toBeNull();
    expect(await cache.get('c')).not.toBeNull();
    expect(await cache.get('a')).not.toBeNull();
    // Over a quarter of the bound: not kept in memory at all.
    await cache.put('big', { ok: true, text: 'x'.repeat(30) });
    expect(await cache.get('big')).toBeNull();
    expect(await cache.get('e')).not.toBeNull();
  });
});
