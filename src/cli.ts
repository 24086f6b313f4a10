#!/usr/bin/env node
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COMMANDS, commandHelp, EXIT, USAGE, type Command } from './cli/usage.js';
import { boundEngineHeapGrowth } from './runtime/engine-heap.js';

export interface CliIO {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Colour is used on a terminal only. */
  outIsTTY?: boolean;
  /** Progress is shown on a terminal only. */
  errIsTTY?: boolean;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** How often progress is redrawn (default 2 s); tests set 0. */
  progressEveryMs?: number;
}

/** The installed package's version: package.json sits one folder up from src/ and dist/ alike. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function processIO(): CliIO {
  return {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    outIsTTY: process.stdout.isTTY === true,
    errIsTTY: process.stderr.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
  };
}

/** Runs the CLI and returns its exit code; never throws for user errors. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-V' || command === 'version') {
    io.out(`${version()}\n`);
    return EXIT.ok;
  }
  if (!command) {
    io.err(USAGE);
    return EXIT.usage;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    const sub = rest[0];
    io.out(sub && COMMANDS.includes(sub as Command) ? commandHelp(sub as Command) : USAGE);
    return EXIT.ok;
  }
  if (!COMMANDS.includes(command as Command)) {
    io.err(`ferry: unknown command "${command}"\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(commandHelp(command as Command));
    return EXIT.ok;
  }
  // The engine (and its dependencies) load only for real work: help stays fast.
  const { run } = await import('./cli/run.js');
  return run(command as Command, rest, { ...processDefaults(), ...io });
}

function processDefaults(): Partial<CliIO> {
  return { env: process.env, cwd: process.cwd() };
}

function isEntryPoint(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // A process of its own: the engine's heap rule is its to set (engine-heap.ts).
  boundEngineHeapGrowth();
  main(process.argv.slice(2)).then((code) => {
    // exitCode, not exit(): a large plan piped to another program must be written out whole.
    process.exitCode = code;
  });
}
