/** ANSI colour for the text report on a terminal; the text itself is unchanged. */
const SGR = { bold: '1', red: '31', green: '32', yellow: '33', cyan: '36' } as const;
const paint = (c: keyof typeof SGR, s: string) => `\x1b[${SGR[c]}m${s}\x1b[0m`;

/**
 * Escape sequences from the repository's text must not reach a terminal or a CI log (both
 * render them): `ESC` is shown as `^[`, coloured or not.
 */
export function inert(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b/g, '^[');
}

export function colourText(text: string): string {
  return inert(text)
    .split('\n')
    .map((l) => {
      if (/^Ferry (plan|validate) /.test(l) || /^Validated /.test(l)) return paint('bold', l);
      if (l.startsWith('== ')) return paint('cyan', l);
      if (/^(\+ |    \+)/.test(l)) return paint('green', l);
      if (/^(- |    -)/.test(l)) return paint('red', l);
      if (/^~ /.test(l)) return paint('yellow', l);
      if (/^\s*error \[/.test(l)) return paint('red', l);
      if (/^\s*warning \[/.test(l)) return paint('yellow', l);
      return l;
    })
    .join('\n');
}
