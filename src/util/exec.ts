import { spawn } from 'node:child_process';

export interface ExecOptions {
  cwd?: string;
  /** Extra environment on top of the minimal one; values here are never logged. */
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Stdout beyond this many bytes kills the process and fails the call. */
  maxOutputBytes?: number;
  input?: string | Buffer;
  /** Aborting kills the whole process group and fails the call with reason 'aborted'. */
  signal?: AbortSignal;
}

export interface ExecResult {
  stdout: Buffer;
  stderr: string;
  code: number;
}

export class ExecError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
    readonly code: number | null,
    readonly reason: 'exit' | 'timeout' | 'output-limit' | 'spawn' | 'aborted',
    /** The signal that ended the process, when one did and Ferry did not send it. */
    readonly signal: NodeJS.Signals | null = null,
  ) {
    super(message);
    this.name = 'ExecError';
  }
}

const STDERR_LIMIT = 16 * 1024;

/**
 * The environment a child process gets: enough to run, nothing that authenticates.
 * Renderers must not inherit the bot's tokens or a developer's kubeconfig.
 */
export function minimalEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ']) {
    const v = process.env[key];
    if (v !== undefined) env[key] = v;
  }
  return { ...env, ...extra };
}

/**
 * Runs a command without a shell. Fails with ExecError on a non-zero exit, a timeout or
 * an output over the limit; the error message carries the command name and stderr, never
 * the arguments (they may hold an auth header).
 */
export function exec(cmd: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const maxOut = opts.maxOutputBytes ?? 64 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new ExecError(`${cmd}: aborted`, '', null, 'aborted'));
      return;
    }
    let child;
    try {
      child = spawn(cmd, args, {
        cwd: opts.cwd,
        env: minimalEnv(opts.env),
        stdio: ['pipe', 'pipe', 'pipe'],
        // Its own process group, so a timeout kills the tool's children too (a shell
        // wrapper's `sleep` would otherwise hold the pipes open).
        detached: true,
      });
    } catch (err) {
      reject(new ExecError(`${cmd}: could not start (${(err as Error).message})`, '', null, 'spawn'));
      return;
    }
    const chunks: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let failed: ExecError | null = null;
    const kill = (e: ExecError) => {
      if (failed) return;
      failed = e;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      child.stdout.destroy();
      child.stderr.destroy();
    };
    const timer = setTimeout(
      () => kill(new ExecError(`${cmd}: timed out after ${timeoutMs >= 1000 ? `${timeoutMs / 1000}s` : `${timeoutMs}ms`}`, stderr, null, 'timeout')),
      timeoutMs,
    );
    const onAbort = () => kill(new ExecError(`${cmd}: aborted`, stderr, null, 'aborted'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (c: Buffer) => {
      outBytes += c.length;
      if (outBytes > maxOut) {
        kill(new ExecError(`${cmd}: output exceeded ${maxOut} bytes`, stderr, null, 'output-limit'));
        return;
      }
      chunks.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < STDERR_LIMIT) stderr += c.toString('utf8').slice(0, STDERR_LIMIT - stderr.length);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      const why = err.code === 'ENOENT' ? 'not found' : err.message;
      reject(failed ?? new ExecError(`${cmd}: could not start (${why})`, '', null, 'spawn'));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (failed) return reject(failed);
      if (code !== 0) {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        return reject(new ExecError(`${cmd} ${how}: ${stderr.trim()}`, stderr, code, 'exit', signal));
      }
      resolve({ stdout: Buffer.concat(chunks), stderr, code: 0 });
    });
    child.stdin.on('error', () => {
      /* a child that exits without reading its input is not our error */
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** Finds an executable on PATH (or checks an explicit path). */
export async function which(name: string): Promise<string | null> {
  const { access, constants } = await import('node:fs/promises');
  const path = await import('node:path');
  const candidates = name.includes('/')
    ? [name]
    : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, name));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return c;
    } catch {
      /* keep looking */
    }
  }
  return null;
}
