/**
 * Escaping of text a pull request controls (app folders, resource names, file paths,
 * finding messages, a renderer's stderr, names from ferry.yml) for the Markdown Ferry
 * posts. Handlebars' `{{x}}` escapes HTML only; Markdown needs more. One helper per
 * context the text lands in:
 *
 * - `inline`: running Markdown text (paragraphs, list items, headings, table cells);
 * - `code`: an inline code span, for paths and names shown as code;
 * - `inHtml`: text inside an HTML element (`<summary>`, `<code>`), where Markdown is off.
 *
 * All three make one line of any text (a line break could start a heading, a list or a
 * table, or end an HTML block), and none lets `@name` notify anyone: a zero-width joiner
 * (U+200D) goes after every `@` outside code. It is invisible to a reader; a name copied
 * out of the comment carries it along, which is the price of not pinging `@org/team`.
 * An HTML entity would not do: GitHub finds mentions in the rendered text, where
 * `&#64;` is an `@` again. `#123` and bare URLs get the same joiner so a message cannot
 * cross-reference an issue or plant a link.
 */

const ZWJ = '\u200D';

// No `'`: Ferry writes no attribute values, and a numeric entity would meet unlink()'s `#`.
const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/**
 * Line breaks of every kind, and the runs of whitespace around them. A match starts only
 * where a run of blanks starts: otherwise a long run of spaces without a break is tried
 * from every position, which is quadratic (100,000 spaces in a kind took a minute).
 */
const BREAKS = /(?<![ \t])[ \t]*(?:\r\n|[\r\n\u2028\u2029\u0085\v\f])\s*/g;

/**
 * The longest piece of PR-controlled text shown in one place. Names in Kubernetes are at
 * most 253 characters; a longer one is an attack on the report (its size, or the comment
 * splitter, which must never cut a line in the middle of an escaped construct).
 */
export const MAX_TEXT = 2_000;

function oneLine(s: string): string {
  const clipped = s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}… (${s.length - MAX_TEXT} more characters)` : s;
  return clipped.replace(BREAKS, ' ⏎ ');
}

function html(s: string): string {
  return s.replace(/[&<>"]/g, (c) => HTML[c]!);
}

/** Breaks what GitHub links by itself in rendered text: mentions, issue references, URLs. */
function unlink(s: string): string {
  return s
    .replace(/@/g, `@${ZWJ}`)
    .replace(/(?<!&)#(?=\d)/g, `#${ZWJ}`)
    .replace(/:\/\//g, `:${ZWJ}//`)
    // Not `\b`: GitHub links `www.` after `_` too, where \b sees no boundary.
    .replace(/(?<![A-Za-z0-9])www\./gi, (m) => `${m.slice(0, 3)}${ZWJ}.`);
}

/**
 * Text in running Markdown. Characters with an inline meaning are backslash-escaped
 * (emphasis, code, links and images, tables, strikethrough, math), HTML is
 * entity-escaped (`&` too, or `&#64;` would become an `@`), and as the text may open a
 * line, a leading block marker (`#`, `-`, `+`, `=`, `1.`) is escaped and leading spaces
 * (an indented code block) dropped; a leading `>` is an entity by then, which opens no
 * block quote.
 */
export function inline(value: unknown): string {
  const s = oneLine(String(value ?? '')).trimStart();
  const escaped = html(s)
    .replace(/[\\`*_[\]|~$]/g, '\\$&')
    .replace(/^[#+\-=]|^(\d+)([.)])/, (m, digits?: string, mark?: string) => (digits ? `${digits}\\${mark}` : `\\${m}`));
  return unlink(escaped);
}

/**
 * An inline code span: the fence is longer than any backtick run inside, so the text
 * cannot close it; code spans show backslashes and entities literally, so nothing else
 * is escaped. `table` escapes `|`, which ends a GFM table cell even inside code.
 */
export function code(value: unknown, opts: { table?: boolean } = {}): string {
  let s = oneLine(String(value ?? ''));
  if (opts.table) s = s.replace(/\|/g, '\\|');
  let longest = 0;
  for (const m of s.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = '`'.repeat(longest + 1);
  const pad = s.startsWith('`') || s.endsWith('`') || s === '' ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

/**
 * Text inside an HTML element in the comment: Markdown is not parsed there, HTML is.
 * Brackets become entities all the same, so the text reads as no link to anyone.
 */
export function inHtml(value: unknown): string {
  return unlink(html(oneLine(String(value ?? ''))).replace(/\[/g, '&#91;').replace(/\]/g, '&#93;'));
}

/**
 * A login written after `@` to mention its owner on purpose (who asked for a promotion).
 * Logins are letters, digits, `-`, `.`, `_` and a bot's `[bot]`: anything else is dropped,
 * and the characters with a Markdown meaning are backslash-escaped.
 */
export function login(value: unknown): string {
  return String(value ?? '').replace(/[^A-Za-z0-9._\-[\]]/g, '').slice(0, 255).replace(/[_[\]]/g, '\\$&');
}
