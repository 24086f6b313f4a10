import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { code, inHtml, inline, login } from './markdown.js';

/** templates/ sits at the package root, beside both src/ and dist/. */
export const TEMPLATE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates');

const SIGNS: Record<string, string> = { added: '+', changed: '~', removed: '-' };
const ICONS: Record<string, string> = { error: '❌', warning: '⚠️', info: 'ℹ️' };

/** A fence longer than any backtick run inside, so a diff can never close it early. */
function fenced(text: string, lang: string): string {
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${text.replace(/\n$/, '')}\n${fence}`;
}

function createEnv(): typeof Handlebars {
  const hb = Handlebars.create();
  hb.registerHelper('short', (sha: string) => String(sha).slice(0, 7));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('actionSign', (a: string) => SIGNS[a] ?? '?');
  hb.registerHelper('severityIcon', (s: string) => ICONS[s] ?? '');
  hb.registerHelper('pathOrDot', (p: string) => p || '.');
  hb.registerHelper('fenced', (text: string, lang: string) => fenced(text, lang));
  hb.registerHelper('indent', (text: string) => text.replace(/\n$/, '').replace(/^/gm, '    '));
  // PR-controlled text, by where it lands (src/report/markdown.ts). `md` escapes `|` too, so it serves table cells.
  hb.registerHelper('md', (s: unknown) => new hb.SafeString(inline(s)));
  hb.registerHelper('cell', (s: unknown) => new hb.SafeString(inline(s)));
  hb.registerHelper('code', (s: unknown, opts: { hash?: { table?: boolean } }) => new hb.SafeString(code(s, { table: !!opts?.hash?.table })));
  hb.registerHelper('html', (s: unknown) => new hb.SafeString(inHtml(s)));
  hb.registerHelper('login', (s: unknown) => new hb.SafeString(login(s)));
  // Handlebars passes its options object last.
  hb.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).join(''));
  hb.registerHelper('plural', (n: number, word: string) => (n === 1 ? word : `${word}s`));
  hb.registerHelper('resourceLabel', (action: string, kind: string, namespace: string | null, name: string) =>
    `${SIGNS[action] ?? '?'} ${kind}/${namespace ? `${namespace}/` : ''}${name}`);
  hb.registerHelper('errorsLabel', (n: number) => (n === 1 ? '1 error' : `${n} errors`));
  hb.registerHelper('warningsLabel', (n: number) => (n === 1 ? '1 warning' : `${n} warnings`));
  // `errors` and `warnings` are the change's own; `inBase` counts what the base already had.
  hb.registerHelper('statusIcon', (status: string, errors: number, warnings: number, inBase: unknown) => {
    if (status === 'error') return '❌ render failed';
    if (status === 'skipped') return '⏭️ skipped';
    const base = typeof inBase === 'number' && inBase > 0 ? inBase : 0;
    const also = base ? ` (+${base} in base)` : '';
    if (errors) return `❌ ${errors} error${errors === 1 ? '' : 's'}${also}`;
    if (warnings) return `⚠️ ${warnings} warning${warnings === 1 ? '' : 's'}${also}`;
    return base ? `✅ nothing new (${base} in base)` : '✅';
  });
  return hb;
}

const cache = new Map<string, Handlebars.TemplateDelegate>();
let env: typeof Handlebars | null = null;

/** Compiles templates/NAME (and its partials) once per process. */
export function template(name: string): Handlebars.TemplateDelegate {
  let t = cache.get(name);
  if (t) return t;
  env ??= createEnv();
  // No HTML escaping anywhere: `{{x}}` would turn `team=platform` into `team&#x3D;platform`
  // inside a code span. Text a PR controls goes through the helper for where it lands
  // (`md`, `code`, `html`, `login`); test/report/escaping.test.ts holds every other `{{x}}`
  // to numbers and Ferry's own words.
  const opts = { noEscape: true, strict: false };
  env.registerPartial('finding', env.compile(readFileSync(path.join(TEMPLATE_DIR, 'finding.md.hbs'), 'utf8'), opts));
  env.registerPartial('findingText', env.compile(readFileSync(path.join(TEMPLATE_DIR, 'finding.txt.hbs'), 'utf8'), { noEscape: true }));
  t = env.compile(readFileSync(path.join(TEMPLATE_DIR, name), 'utf8'), opts);
  cache.set(name, t);
  return t;
}
