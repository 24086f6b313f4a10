import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { promotionBranch, promotionKey, promotionMarker, promotionTitle, readPromotionMeta, type PromotionMeta } from '../../src/promote/pr.js';

const meta: PromotionMeta = {
  version: 1, from: 'staging', to: 'production', strategy: 'directory', apps: ['web'],
  sourceCommit: 'a'.repeat(40), targetBase: 'b'.repeat(40), sources: [{ pr: 7, commit: 'c'.repeat(40) }],
};

describe('promotion PR identity', () => {
  it('the marker round-trips and no value can close the HTML comment early', () => {
    const tricky = { ...meta, apps: ['we--><script>b'] };
    const body = `text\n${promotionMarker(tricky)}\nmore`;
    expect(promotionMarker(tricky)).not.toMatch(/-->[\s\S]*-->/);
    expect(readPromotionMeta(body)).toEqual(tricky);
    expect(readPromotionMeta('<!-- ferry:promotion {"version":2} -->')).toBeNull();
    expect(readPromotionMeta('<!-- ferry:promotion {not json} -->')).toBeNull();
    expect(readPromotionMeta(null)).toBeNull();
  });

  it('the key is stable for an app set, whatever its order, and always a valid branch name', () => {
    expect(promotionKey(['web'])).toBe('web');
    expect(promotionKey(['web', 'api'])).toBe(promotionKey(['api', 'web']));
    expect(promotionKey([])).toBe('all');
    const long = Array.from({ length: 30 }, (_, i) => `service-${i}`);
    expect(promotionKey(long)).toMatch(/^30-apps-[0-9a-f]{10}$/);
    for (const apps of [['team a/web'], ['..', 'x.lock'], ['.hidden'], long, ['a~b^c:d']]) {
      const branch = promotionBranch({ from: 'stag ing', to: 'prod' }, promotionKey(apps));
      expect(() => execFileSync('git', ['check-ref-format', `refs/heads/${branch}`])).not.toThrow();
    }
  });

  it('titles name the apps and the target', () => {
    expect(promotionTitle({ from: 'staging', to: 'production' }, ['web'])).toBe('Promote web to production');
    expect(promotionTitle({ from: 'staging', to: 'production' }, ['api', 'web'])).toBe('Promote api and web to production');
    expect(promotionTitle({ from: 'staging', to: 'production' }, ['a', 'b', 'c', 'd'])).toBe('Promote a, b and 2 more apps to production');
    expect(promotionTitle({ from: 'staging', to: 'production' }, [])).toBe('Promote staging to production');
  });
});
