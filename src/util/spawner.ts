import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Starting a process from Node blocks the calling thread until the child has exec'd, and
 * the fork copies the page tables of the whole process: measured here, 10 ms per spawn
 * from a 50 MB process and 52 ms from a 420 MB one (more under load). A plan starts a
 * render and a few git processes per app, from a process holding a repository's facts
 * (and, in the bot, every engine worker's heap), so that wait was seconds of a cold plan.
 * The spawner is a small Node process, started once, that starts processes on Ferry's
 * behalf: its forks are cheap and they happen on its own thread, not the plan's.
 *
 * It is a transport, not a policy: the command, arguments, environment, limits and the
 * error wording are decided by `exec` exactly as when it spawns directly, and a result
 * comes back only when the process (and, on a kill, its whole group) is gone. If the
 * spawner dies, the calls in flight fail as a process that could not run, their process
 * groups are killed from here (the spawner reports each pid when it starts), and the next
 * call starts a new spawner. FERRY_SPAWNER=off spawns directly.
 */

/** A request: what `exec` would have passed to spawn, plus its limits. */
interface RunMessage {
  t: 'run';
  id: number;
  cmd: string;
  args: string[];
  cwd: string | undefined;
  env: Record<string, string>;
  input: string | Uint8Array | undefined;
  maxOut: number;
  stderrLimit: number;
}

/** How a run ended, as the spawner saw it. */
export interface SpawnOutcome {
  /** Set when Ferry asked for the kill (timeout, output limit, abort) before it ended. */
  killed: 'timeout' | 'output-limit' | 'aborted' | null;
  /** The process could not be started: ENOENT, EACCES, … */
  spawnError: { code: string | undefined; message: string } | null;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface SpawnRequest {
  cmd: string;
  args: string[];
  cwd: string | undefined;
  env: Record<string, string>;
  input: string | Buffer | undefined;
  maxOut: number;
  stderrLimit: number;
}

/**
 * The spawner's own code: plain JavaScript with no imports of Ferry's, run with `node -e`
 * so it works the same from source (tsx) and from dist. It keeps the process handling of
 * `exec` (own process group, SIGKILL of the group, output cap, stderr cap).
 */
const CHILD = String.raw`
'use strict';
const { spawn } = require('node:child_process');
const running = new Map();
const send = (m) => { if (process.connected) process.send(m); };
process.on('message', (m) => {
  if (m.t === 'kill') { const r = running.get(m.id); if (r) r.kill(m.why); return; }
  if (m.t !== 'run') return;
  let child;
  try {
    child = spawn(m.cmd, m.args, { cwd: m.cwd, env: m.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  } catch (err) {
    send({ t: 'done', id: m.id, killed: null, spawnError: { code: err.code, message: err.message }, code: null, signal: null, stdout: null, stderr: '' });
    return;
  }
  const chunks = [];
  let outBytes = 0;
  let stderr = '';
  let killed = null;
  const kill = (why) => {
    if (killed) return;
    killed = why;
    try { process.kill(-child.pid, 'SIGKILL'); } catch { try { child.kill('SIGKILL'); } catch {} }
    child.stdout.destroy();
    child.stderr.destroy();
  };
  running.set(m.id, { kill });
  if (child.pid !== undefined) send({ t: 'started', id: m.id, pid: child.pid });
  child.stdout.on('data', (c) => {
    outBytes += c.length;
    if (outBytes > m.maxOut) { kill('output-limit'); return; }
    chunks.push(c);
  });
  child.stderr.on('data', (c) => {
    if (stderr.length < m.stderrLimit) stderr += c.toString('utf8').slice(0, m.stderrLimit - stderr.length);
  });
  let ended = false;
  child.on('error', (err) => {
    if (ended) return;
    ended = true;
    running.delete(m.id);
    send({ t: 'done', id: m.id, killed, spawnError: { code: err.code, message: err.message }, code: null, signal: null, stdout: null, stderr });
  });
  child.on('close', (code, signal) => {
    if (ended) return;
    ended = true;
    running.delete(m.id);
    const ok = !killed && code === 0;
    send({ t: 'done', id: m.id, killed, spawnError: null, code, signal, stdout: ok ? Buffer.concat(chunks) : null, stderr });
  });
  child.stdin.on('error', () => {});
  if (m.input !== undefined && m.input !== null) child.stdin.end(typeof m.input === 'string' ? m.input : Buffer.from(m.input.buffer, m.input.byteOffset, m.input.byteLength));
  else child.stdin.end();
});
// Ferry went away (its thread ended, it crashed): nothing started for it outlives it.
process.on('disconnect', () => {
  for (const r of running.values()) r.kill('aborted');
  process.exit(0);
});
`;

interface Pending {
  resolve: (o: SpawnOutcome) => void;
  pid: number | null;
}

class Spawner {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  dead = false;
  get pid(): number | undefined {
    return this.child.pid;
  }

  constructor(onDeath: () => void) {
    // Its own environment is the minimal one too: it holds no token, and passes each run the environment `exec` chose.
    const env: Record<string, string> = {};
    for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ']) if (process.env[k] !== undefined) env[k] = process.env[k]!;
    this.child = spawn(process.execPath, ['--max-old-space-size=256', '-e', CHILD], {
      env,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    this.child.on('message', (m: { t: string; id: number; pid?: number } & Partial<Omit<SpawnOutcome, 'stdout'>> & { stdout?: Uint8Array | null }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.t === 'started') {
        p.pid = m.pid ?? null;
        return;
      }
      this.pending.delete(m.id);
      this.idle();
      const out = m.stdout;
      p.resolve({
        killed: m.killed ?? null,
        spawnError: m.spawnError ?? null,
        code: m.code ?? null,
        signal: m.signal ?? null,
        stdout: !out ? Buffer.alloc(0) : Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.byteLength),
        stderr: m.stderr ?? '',
      });
    });
    const die = (why: string) => {
      if (this.dead) return;
      this.dead = true;
      onDeath();
      for (const [, p] of this.pending) {
        // Its processes are in groups of their own: end them from here.
        if (p.pid !== null) {
          try {
            process.kill(-p.pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
        p.resolve({ killed: null, spawnError: { code: 'ESPAWNER', message: `Ferry's process starter ${why}` }, code: null, signal: null, stdout: Buffer.alloc(0), stderr: '' });
      }
      this.pending.clear();
    };
    this.child.on('exit', (code, signal) => die(signal ? `was killed by ${signal}` : `exited with code ${code}`));
    this.child.on('error', (err) => die(`failed (${err.message})`));
    this.idle();
  }

  run(req: SpawnRequest): { id: number; done: Promise<SpawnOutcome> } {
    const id = this.nextId++;
    const done = new Promise<SpawnOutcome>((resolve) => this.pending.set(id, { resolve, pid: null }));
    this.busy();
    const msg: RunMessage = { t: 'run', id, ...req };
    this.child.send(msg);
    return { id, done };
  }

  kill(id: number, why: 'timeout' | 'output-limit' | 'aborted'): void {
    if (this.pending.has(id) && this.child.connected) this.child.send({ t: 'kill', id, why });
  }

  /** A spawner with nothing to do does not keep Ferry running. */
  private idle(): void {
    if (this.pending.size) return;
    this.child.unref();
    (this.child.channel as { unref?: () => void } | null | undefined)?.unref?.();
  }

  private busy(): void {
    this.child.ref();
    (this.child.channel as { ref?: () => void } | null | undefined)?.ref?.();
  }
}

let current: Spawner | null = null;

export function spawnerEnabled(): boolean {
  return process.env.FERRY_SPAWNER !== 'off';
}

/** Runs one process through the spawner (started on first use, again after it died). */
export function spawnVia(req: SpawnRequest): { done: Promise<SpawnOutcome>; kill: (why: 'timeout' | 'output-limit' | 'aborted') => void } {
  if (!current || current.dead) {
    const s: Spawner = new Spawner(() => {
      if (current === s) current = null;
    });
    current = s;
  }
  const s = current;
  const { id, done } = s.run(req);
  return { done, kill: (why) => s.kill(id, why) };
}

/** The running spawner's pid, if one runs (for diagnostics and tests). */
export function spawnerPid(): number | undefined {
  return current && !current.dead ? current.pid : undefined;
}
