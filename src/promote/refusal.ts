import type { GateResult } from './gates.js';

/** A reason not to promote, found before anything is written; becomes the reply. */
export class Refusal extends Error {
  constructor(reason: string, readonly gates: GateResult[] = []) {
    super(reason);
    this.name = 'Refusal';
  }
}
