import { describe, expect, it } from 'vitest';
import { parseCommands } from '../../../src/bot/commands/parse.js';

describe('parseCommands', () => {
  it('reads commands at the start of lines, in order', () => {
    expect(parseCommands('/plan\nthen\n/promote production --dry-run\n/help')).toEqual([
      { verb: 'plan' },
      { verb: 'promote', env: 'production', dryRun: true },
      { verb: 'help' },
    ]);
    expect(parseCommands('/promote')).toEqual([{ verb: 'promote', env: null, dryRun: false }]);
  });

  it('accepts the namespaced GitLab form', () => {
    expect(parseCommands('/ferry promote staging')).toEqual([{ verb: 'promote', env: 'staging', dryRun: false }]);
  });

  it('ignores commands in code blocks, quotes and mid-sentence', () => {
    expect(parseCommands('```\n/plan\n```\n> /promote\nplease run /plan\n~~~~\n/help\n~~~~')).toEqual([]);
    expect(parseCommands('````\n```\n/plan\n````\n/help')).toEqual([{ verb: 'help' }]);
  });

  it('suggests the nearest command for a typo, and nothing for foreign commands', () => {
    expect(parseCommands('/promot production')).toEqual([{ verb: 'unknown', word: 'promot', suggestion: 'promote' }]);
    expect(parseCommands('/pln')).toEqual([{ verb: 'unknown', word: 'pln', suggestion: 'plan' }]);
    expect(parseCommands('/shrug')).toEqual([{ verb: 'unknown', word: 'shrug', suggestion: null }]);
  });

  it('explains malformed arguments', () => {
    expect(parseCommands('/promote a b')[0]).toMatchObject({ verb: 'invalid', reason: 'usage: /promote [ENV] [--dry-run]' });
    expect(parseCommands('/promote --force')[0]).toMatchObject({ verb: 'invalid', reason: 'unknown option --force (expected --dry-run)' });
    expect(parseCommands('/plan now')[0]).toMatchObject({ verb: 'invalid', reason: '/plan takes no arguments' });
  });
});
