import { redact } from '../workspace/git.js';
import type { Finding } from '../types.js';

/** Quoted text in an error's message that is not a plain name: it may quote the manifest. */
const QUOTED = /"[^"\n]*"|'[^'\n]*'|`[^`\n]*`/g;
const NAME = /^["'`][A-Za-z_$][\w$.-]{0,40}["'`]$/;

/**
 * What an app's plan says when Ferry itself failed on it (a bug, or a resource the
 * engine did not expect): the app is an error and the rest of the plan stands, instead
 * of one app's crash failing every app. The message keeps the error's kind and wording
 * but not what it quotes, which can be manifest text (JSON.parse quotes its input, and a
 * Secret's data is manifest text); tokens are redacted as in git's output.
 */
export function appFailureFinding(err: unknown): Finding {
  const e = err instanceof Error ? err : new Error(String(err));
  const firstLine = (e.message.split('\n', 1)[0] ?? '').replace(QUOTED, (q) => (NAME.test(q) ? q : `${q[0]}…${q[0]}`));
  const said = redact(firstLine.length > 200 ? `${firstLine.slice(0, 200)}…` : firstLine);
  return {
    severity: 'error',
    rule: 'internal-error',
    message: `Ferry failed on this app (${e.name}: ${said}); the other apps are planned. This is a bug in Ferry: please report it with this message.`,
    file: null,
    line: null,
    resource: null,
  };
}
