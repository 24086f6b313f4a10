/**
 * Splits markdown into parts of at most `limit` characters without breaking a code
 * fence or a <details> block: a part that ends inside one closes it, and the next part
 * reopens it (the way Atlantis's comment splitter treats fences).
 */
interface Open {
  fence: string | null;
  /** The open <details> blocks, outermost first: whether opened expanded, and their summary. */
  details: Array<{ open: boolean; summary: string }>;
}

const FENCE_RE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

function closers(state: Open): string {
  let out = '';
  if (state.fence) out += `${state.fence.match(/^[`~]+/)![0]}\n`;
  for (let i = 0; i < state.details.length; i++) out += '</details>\n';
  return out;
}

function openers(state: Open): string {
  let out = '';
  for (const d of state.details) out += `<details${d.open ? ' open' : ''}><summary>${d.summary} (continued)</summary>\n\n`;
  if (state.fence) out += `${state.fence}\n`;
  return out;
}

function step(state: Open, line: string): void {
  const f = FENCE_RE.exec(line);
  if (state.fence) {
    const marker = state.fence.match(/^[`~]+/)![0];
    if (f && f[1]![0] === marker[0] && f[1]!.length >= marker.length && f[2]!.trim() === '') state.fence = null;
    return;
  }
  if (f) {
    state.fence = `${f[1]}${f[2]}`;
    return;
  }
  const opened = /<details( open)?>\s*(?:<summary>(.*?)<\/summary>)?/.exec(line);
  if (opened) state.details.push({ open: !!opened[1], summary: opened[2] ?? '' });
  if (/<\/details>/.test(line)) state.details.pop();
}

export function splitMarkdown(text: string, limit: number, header: (part: number) => string = () => ''): string[] {
  if (text.length <= limit) return [text];
  const parts: string[] = [];
  const state: Open = { fence: null, details: [] };
  let current = '';
  const reserve = () => closers(state).length;
  const flush = () => {
    parts.push(current + closers(state));
    current = header(parts.length + 1) + openers(state);
  };
  for (const raw of text.split('\n')) {
    let line = `${raw}\n`;
    const fresh = () => header(parts.length + 2).length + openers(state).length + reserve();
    while (current.length + line.length + reserve() > limit) {
      // A line that fits no part at all is cut hard; any other line moves to the next part.
      if (fresh() + line.length > limit) {
        const room = limit - current.length - reserve() - 1;
        if (room > 0) {
          current += line.slice(0, room) + '\n';
          line = line.slice(room);
        }
      }
      flush();
    }
    current += line;
    step(state, raw);
  }
  parts.push(current.replace(/\n$/, '') + (closers(state) ? `\n${closers(state).replace(/\n$/, '')}` : ''));
  return parts;
}
