/**
 * SIGTERM and SIGINT: stop taking work, give running jobs `graceMs` to finish (the queue
 * hands back what does not), then exit. A second signal, or a stop that hangs past the
 * grace and a margin, exits at once: an orchestrator's SIGKILL comes next anyway.
 */
export function stopOnSignals(stop: (graceMs: number) => Promise<void>, opts: { graceMs?: number; say?: (line: string) => void; exit?: (code: number) => void } = {}): void {
  const graceMs = opts.graceMs ?? 30_000;
  const say = opts.say ?? ((line: string) => void process.stderr.write(`ferry: ${line}\n`));
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      say(`${signal} again: exiting now`);
      exit(1);
      return;
    }
    stopping = true;
    say(`${signal}: taking no more work; finishing running jobs (${Math.round(graceMs / 1000)} s at most)`);
    const hang = setTimeout(() => {
      say('shutdown did not finish in time: exiting');
      exit(1);
    }, graceMs + 5_000).unref();
    stop(graceMs).then(() => {
      clearTimeout(hang);
      say('stopped');
      exit(0);
    }, (err: Error) => {
      clearTimeout(hang);
      say(`shutdown failed: ${err.message}`);
      exit(1);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** FERRY_SHUTDOWN_SECONDS, else 30 s. */
export function graceFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const s = Number(env.FERRY_SHUTDOWN_SECONDS);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 30_000;
}
