import { describe, expect, it } from 'vitest';
import { evaluateGates, formatDuration } from '../../src/promote/gates.js';

const now = new Date('2026-11-23T12:00:00Z');

describe('evaluateGates', () => {
  it('a status gate needs every report by that name to succeed, and is named as the forge shows it', () => {
    const gates = { statuses: ['argocd/staging', 'flux', 'ci', 'missing', 'legacy'], soakMs: null };
    const r = evaluateGates(gates, [
      { name: 'argocd/staging', state: 'success', via: 'status' },
      { name: 'flux', state: 'success', via: 'status' },
      { name: 'flux', state: 'pending', via: 'check' },
      { name: 'ci', state: 'failure', via: 'check' },
      { name: 'ci', state: 'pending', via: 'check' },
      { name: 'legacy', state: 'success' },
    ], null, now);
    expect(r.map((g) => [g.gate, g.ok, g.state])).toEqual([
      ['status `argocd/staging`', true, 'success'],
      ['check `flux`', false, 'pending'],
      ['check `ci`', false, 'failure'],
      ['check `missing`', false, 'not reported'],
      ['check `legacy`', true, 'success'],
    ]);
  });

  it('soak passes once the change has been live long enough and says how long is left before', () => {
    const gates = { statuses: [], soakMs: 30 * 60_000 };
    const young = evaluateGates(gates, [], new Date(now.getTime() - 10 * 60_000), now)[0]!;
    expect(young).toEqual({ gate: 'soak 30m', ok: false, state: 'live for 10m, 20m to go', remainingMs: 20 * 60_000 });
    const old = evaluateGates(gates, [], new Date(now.getTime() - 3 * 3_600_000), now)[0]!;
    expect(old).toEqual({ gate: 'soak 30m', ok: true, state: 'live for 3h' });
    expect(evaluateGates(gates, [], null, now)[0]!.ok).toBe(false);
  });

  it('no gates, nothing to wait for', () => {
    expect(evaluateGates({ statuses: [], soakMs: null }, [], null, now)).toEqual([]);
  });
});

describe('formatDuration', () => {
  it('shows the two largest units', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(90 * 60_000 + 5_000)).toBe('1h 30m');
    expect(formatDuration(26 * 3_600_000)).toBe('1d 2h');
  });
});
