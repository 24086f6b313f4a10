import { describe, expect, it } from 'vitest';
import { withoutQuickActions } from '../../src/forge/gitlab/forge.js';

/**
 * GitLab's own extractor (lib/gitlab/quick_actions/extractor.rb, `commands_regex`, flags
 * `mix`: Ruby `^`/`$` are line anchors, `m` is dot-all), after `content.delete!("\r")`,
 * for a few commands. Returns the commands GitLab would run.
 */
function gitlabCommands(text: string): string[] {
  const names = 'merge|approve|close|unapprove|label|assign';
  const re = new RegExp(
    '(?<code>^```[\\s\\S]+?\\n```$)' +
    '|(?<inline_code>^[\\s\\S]*`\\n*[\\s\\S]+?\\n*`$)' +
    '|(?<html>^<[^>]+?>\\n[\\s\\S]+?\\n<\\/[^>]+?>$)' +
    '|(?<quote>^>>>[\\s\\S]+?\\n>>>$)' +
    `|(?:^\\/(?<cmd>${names})(?:[ ](?<arg>[^\\n]*))?(?:\\s*\\n|$))`,
    'gmi',
  );
  const out: string[] = [];
  for (const m of text.replace(/\r/g, '').matchAll(re)) if (m.groups?.cmd) out.push(m.groups.cmd.toLowerCase());
  return out;
}

describe('withoutQuickActions against GitLab\'s extractor', () => {
  it('the port finds a bare command and none once escaped (sanity)', () => {
    expect(gitlabCommands('hello\n/merge\n')).toEqual(['merge']);
    expect(gitlabCommands(withoutQuickActions('hello\n/merge\n'))).toEqual([]);
  });

  it.each([
    ['a tilde fence (GitLab only knows ``` fences)', '~~~\n/merge\n~~~'],
    ['a longer fence closed early by a ``` line (GitLab ends at the first ``` line)', '````diff\n```\n/approve\n````'],
    ['an unclosed fence (GitLab needs the closing line)', 'text\n```\n/merge'],
    ['a fence indented by a space (GitLab needs ``` at column 0)', 'a\n ```\n/merge\n'],
  ])('%s leaves no command for GitLab', (_what, text) => {
    expect(gitlabCommands(withoutQuickActions(text))).toEqual([]);
  });
});
