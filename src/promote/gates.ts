import type { PromotionGates } from '../config/types.js';
import type { CommitCheck } from '../types.js';
import { code } from '../report/markdown.js';

export interface GateResult {
  /** `` status `argocd/staging` ``, `` check `e2e` ``, `soak 30m`. */
  gate: string;
  ok: boolean;
  /** What the gate sees now, for the reply. */
  state: string;
  /** For soak: how long until it passes. */
  remainingMs?: number;
}

/** `1h 5m`, `45s`: the largest two units. */
export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(ms));
  for (const [u, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0 || (parts.length === 0 && u === 's')) parts.push(`${n}${u}`);
    rest -= n * size;
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/**
 * Every gate with its state. A status gate passes when something by that name reported
 * and all reports (status and check run alike) succeeded; soak passes when the source
 * change has been live long enough.
 */
export function evaluateGates(gates: PromotionGates, checks: CommitCheck[], landedAt: Date | null, now: Date): GateResult[] {
  const out: GateResult[] = [];
  for (const name of gates.statuses) {
    const seen = checks.filter((c) => c.name === name);
    const state = seen.length === 0 ? 'not reported' : seen.some((c) => c.state === 'failure') ? 'failure' : seen.some((c) => c.state === 'pending') ? 'pending' : 'success';
    // Named as the forge shows it: a commit status, or a check run (also what nothing reported yet is).
    const what = seen.length > 0 && seen.every((c) => c.via === 'status') ? 'status' : 'check';
    out.push({ gate: `${what} ${code(name)}`, ok: state === 'success', state });
  }
  if (gates.soakMs !== null) {
    const need = formatDuration(gates.soakMs);
    if (!landedAt) {
      out.push({ gate: `soak ${need}`, ok: false, state: 'landing time unknown' });
    } else {
      const age = now.getTime() - landedAt.getTime();
      const remainingMs = gates.soakMs - age;
      out.push(
        remainingMs <= 0
          ? { gate: `soak ${need}`, ok: true, state: `live for ${formatDuration(age)}` }
          : { gate: `soak ${need}`, ok: false, state: `live for ${formatDuration(age)}, ${formatDuration(remainingMs)} to go`, remainingMs },
      );
    }
  }
  return out;
}
