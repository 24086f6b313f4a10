/**
 * "Rendered 12/60 apps (production)" on a terminal's stderr, redrawn in place at most every
 * `everyMs`; cleared before anything else is written, so it never mixes with the report.
 */
export class Progress {
  private last = -Infinity;
  private shown = false;

  constructor(private readonly write: (s: string) => void, private readonly everyMs: number) {}

  update(p: { env: string; done: number; total: number }): void {
    const now = performance.now();
    if (now - this.last < this.everyMs && p.done !== p.total) return;
    this.last = now;
    this.write(`\r\x1b[Kferry: rendered ${p.done}/${p.total} apps (${p.env})`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.write('\r\x1b[K');
    this.shown = false;
  }
}
