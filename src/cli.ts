#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { plan, UsageError } from './engine.js';
import { renderJson, renderMarkdown, renderText } from './report/plan.js';
import type { Plan } from './types.js';

const USAGE = `Usage:
  ferry plan --base REF --head REF [--repo DIR] [--env NAME] [--config FILE] [--format text|markdown|json]
  ferry validate [--ref REF] [--repo DIR] [--env NAME] [--config FILE] [--format text|markdown|json]

Exit status: 0 no error findings, 1 error findings, 2 usage, config or git error.
Config: .github/ferry.yml or .gitlab/ferry.yml at the base commit, or --config FILE.`;

export interface CliIO {
  out: (s: string) => void;
  err: (s: string) => void;
}

const FORMATS = ['text', 'markdown', 'json'] as const;
type Format = (typeof FORMATS)[number];

function format(plan: Plan, fmt: Format): string {
  if (fmt === 'json') return renderJson(plan);
  if (fmt === 'markdown') return renderMarkdown(plan);
  return renderText(plan);
}

/** Runs the CLI and returns its exit code; never throws for user errors. */
export async function main(argv: string[], io: CliIO = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.out(USAGE + '\n');
    return command ? 0 : 2;
  }
  if (command !== 'plan' && command !== 'validate') {
    io.err(`ferry: unknown command "${command}"\n${USAGE}\n`);
    return 2;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        base: { type: 'string' },
        head: { type: 'string' },
        ref: { type: 'string' },
        repo: { type: 'string', default: '.' },
        env: { type: 'string' },
        config: { type: 'string' },
        format: { type: 'string', default: 'text' },
        'cache-dir': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    io.err(`ferry: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const fmt = values.format as string;
  if (!FORMATS.includes(fmt as Format)) {
    io.err(`ferry: --format must be one of ${FORMATS.join(', ')}, got "${fmt}"\n`);
    return 2;
  }
  let base: string;
  let head: string;
  if (command === 'plan') {
    if (!values.base || !values.head) {
      io.err(`ferry plan: --base and --head are required\n${USAGE}\n`);
      return 2;
    }
    base = values.base as string;
    head = values.head as string;
  } else {
    base = head = (values.ref as string | undefined) ?? 'HEAD';
  }
  try {
    const result = await plan(
      {
        repo: path.resolve(values.repo as string),
        base,
        head,
        env: values.env as string | undefined,
        configFile: values.config ? path.resolve(values.config as string) : undefined,
        cacheDir: values['cache-dir'] as string | undefined,
      },
      command === 'validate',
    );
    io.out(format(result, fmt as Format));
    return result.summary.errors > 0 ? 1 : 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`ferry: ${err.message}\n`);
      return 2;
    }
    io.err(`ferry: internal error: ${(err as Error).message}\n`);
    return 2;
  }
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
  main(process.argv.slice(2)).then((code) => {
    // exitCode, not exit(): a large plan piped to another program must be written out whole.
    process.exitCode = code;
  });
}
