import { describe, expect, it } from 'vitest';
import { combineReplies } from '../../../src/bot/commands/handle.js';

describe('combineReplies', () => {
  it('keeps one reply under the limit: the longest answers give way to a line naming their command', () => {
    const answers = [
      { command: '/promote eu --dry-run', reply: 'E'.repeat(40_000) },
      { command: '/help', reply: 'help text' },
      { command: '/promote us --dry-run', reply: 'U'.repeat(30_000) },
    ];
    const body = combineReplies(answers, 0, 65_536);
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).not.toContain('EEEE');
    expect(body).toContain('U'.repeat(30_000));
    expect(body).toContain('`/promote eu --dry-run`: the answer is too long to share a reply');
    expect(body.indexOf('/promote eu')).toBeLessThan(body.indexOf('help text'));
  });
});
