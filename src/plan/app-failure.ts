import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Finding } from '../types.js';

/** Ferry's own source root (src/ or dist/), to name where in Ferry an error was raised. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Where in Ferry's own code an error was raised: the first stack frame in Ferry's
 * source, as `function (plan/helm-release.ts:123)`. Code, not data: safe to show.
 */
function whereInFerry(e: Error): string | null {
  for (const line of (e.stack ?? '').split('\n').slice(1)) {
    const m = /at (?:(\S+) \()?(?:file:\/\/)?([^()\s]+):(\d+):\d+\)?$/.exec(line.trim());
    if (!m) continue;
    const file = m[2]!;
    if (!file.startsWith(ROOT + path.sep) || file.includes(`${path.sep}node_modules${path.sep}`)) continue;
    const fn = m[1] && /^[\w$.<>]{1,80}$/.test(m[1]) ? `${m[1]} ` : '';
    return `${fn}(${path.relative(ROOT, file).split(path.sep).join('/')}:${m[3]})`;
  }
  return null;
}

/**
 * What an app's plan says when Ferry itself failed on it (a bug, a resource the engine
 * did not expect, a failed read): the app is an error and the rest of the plan stands,
 * instead of one app's crash failing every app. The error's own message is not shown:
 * messages quote their input (JSON.parse quotes the text, BigInt the value), which can be
 * a Secret's value, and this finding is posted in public. Its kind and the place in
 * Ferry's code where it was raised are shown: enough to report it.
 */
export function appFailureFinding(err: unknown): Finding {
  const e = err instanceof Error ? err : new Error('non-Error thrown');
  const name = /^[A-Za-z]{1,40}$/.test(e.name) ? e.name : 'Error';
  const where = whereInFerry(e);
  return {
    severity: 'error',
    rule: 'internal-error',
    message: `Ferry failed on this app (${name}${where ? ` at ${where}` : ''}); the other apps are planned. If this persists, please report it with this message.`,
    file: null,
    line: null,
    resource: null,
  };
}
