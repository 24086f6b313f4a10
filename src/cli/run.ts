import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { plan, UsageError } from '../engine.js';
import { remoteURLs } from '../workspace/git.js';
import { renderJunit } from '../report/junit.js';
import { renderJson, renderMarkdown, renderText, validateSummary } from '../report/plan.js';
import { renderSarif } from '../report/sarif.js';
import type { Plan } from '../types.js';
import type { CliIO } from '../cli.js';
import { version } from '../cli.js';
import { colourText, inert } from './colour.js';
import { Progress } from './progress.js';
import { commandHelp, EXIT, type Command } from './usage.js';

const FORMATS = ['text', 'markdown', 'json', 'sarif', 'junit'] as const;
type Format = (typeof FORMATS)[number];

const TOOL_NAMES = { helm: 'helm', kustomize: 'kustomize (or kubectl)' } as const;

function render(result: Plan, fmt: Format, validate: { seconds: number } | undefined): string {
  switch (fmt) {
    case 'json': return renderJson(result);
    case 'markdown': return renderMarkdown(result, validate ? { validate } : {});
    case 'sarif': return renderSarif(result, { version: version() });
    case 'junit': return renderJunit(result, { validate: !!validate });
    default: return renderText(result, { validate });
  }
}

/** NO_COLOR (https://no-color.org): present and not empty turns colour off. */
function colourWanted(io: CliIO): boolean {
  const no = io.env?.NO_COLOR;
  return io.outIsTTY === true && (no === undefined || no === '');
}

/** Runs `plan` or `validate` with the engine; `main` has handled help and version. */
export async function run(command: Command, args: string[], io: CliIO): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        base: { type: 'string' },
        head: { type: 'string' },
        ref: { type: 'string' },
        repo: { type: 'string' },
        env: { type: 'string' },
        config: { type: 'string' },
        format: { type: 'string', default: 'text' },
        output: { type: 'string', short: 'o' },
        'cache-dir': { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
        ...(command === 'plan' ? { 'no-merge-base': { type: 'boolean' } } : {}),
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    io.err(`ferry ${command}: ${(err as Error).message}\n\n${commandHelp(command)}`);
    return EXIT.usage;
  }
  const fmt = values.format as string;
  if (!FORMATS.includes(fmt as Format)) {
    io.err(`ferry: --format must be one of ${FORMATS.join(', ')}, got "${fmt}"\n`);
    return EXIT.usage;
  }
  if (command === 'plan' && values.ref) {
    io.err(`ferry plan: --ref is for validate; plan takes --base and --head\n`);
    return EXIT.usage;
  }
  if (command === 'validate' && (values.base || values.head)) {
    io.err(`ferry validate: --base and --head are for plan; validate takes --ref\n`);
    return EXIT.usage;
  }
  if (command === 'plan' && !values.base) {
    io.err(`ferry plan: --base is required (the branch the change goes into, e.g. --base origin/main)\n`);
    return EXIT.usage;
  }
  const cwd = io.cwd ?? process.cwd();
  const validate = command === 'validate';
  const base = validate ? ((values.ref as string | undefined) ?? 'HEAD') : (values.base as string);
  const head = validate ? base : ((values.head as string | undefined) ?? 'HEAD');
  const quiet = values.quiet === true;
  const progress = io.errIsTTY && !quiet ? new Progress(io.err, io.progressEveryMs ?? 2000) : null;
  const started = performance.now();
  const repo = path.resolve(cwd, (values.repo as string | undefined) ?? '.');
  // Which repository this is, for Argo CD and Flux sources naming another one.
  const repositoryURLs = await remoteURLs(repo);
  let result: Plan;
  try {
    result = await plan(
      {
        repo,
        ...(repositoryURLs.length ? { repositoryURLs } : {}),
        base,
        head,
        env: values.env as string | undefined,
        configFile: values.config ? path.resolve(cwd, values.config as string) : undefined,
        cacheDir: values['cache-dir'] ? path.resolve(cwd, values['cache-dir'] as string) : undefined,
        // As the App plans a pull request: main's newer commits are not the change's.
        mergeBase: !validate && values['no-merge-base'] !== true,
      },
      validate,
      undefined,
      { progress: progress ? (p) => progress.update(p) : undefined },
    );
  } catch (err) {
    progress?.clear();
    if (err instanceof UsageError) {
      io.err(`ferry: ${err.message}\n`);
      return EXIT.usage;
    }
    io.err(`ferry: internal error: ${(err as Error).message}\n`);
    return EXIT.usage;
  } finally {
    progress?.clear();
  }
  const seconds = (performance.now() - started) / 1000;
  let text = render(result, fmt as Format, validate ? { seconds } : undefined);
  if (values.output) {
    try {
      await writeFile(path.resolve(cwd, values.output as string), text);
    } catch (err) {
      io.err(`ferry: cannot write ${values.output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
      return EXIT.usage;
    }
  } else {
    if (fmt === 'text') text = colourWanted(io) ? colourText(text) : inert(text);
    io.out(text);
  }
  // Text on stdout ends with the summary already; other formats say it on stderr.
  if (validate && !quiet && (fmt !== 'text' || values.output)) {
    io.err(`${validateSummary(result, seconds)}\n`);
  }
  if (result.unrendered) {
    for (const [tool, apps] of Object.entries(result.unrendered) as Array<[keyof typeof TOOL_NAMES, string[]]>) {
      io.err(`ferry: ${TOOL_NAMES[tool]} is not installed or not on PATH; not rendered: ${inert(apps.join(', '))}\n`);
    }
    return EXIT.tool;
  }
  return result.summary.errors > 0 ? EXIT.findings : EXIT.ok;
}
