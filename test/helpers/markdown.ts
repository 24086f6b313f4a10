/**
 * The Markdown outside fenced blocks, code spans and HTML comments: GitHub makes no
 * mention, link or heading there, so that is where hostile text must not have its effect.
 */
export function outsideCode(md: string): string {
  const kept: string[] = [];
  let fence: string | null = null;
  for (const line of md.split('\n')) {
    const f = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (f && f[0] === fence[0] && f.length >= fence.length && line.trim() === f) fence = null;
      continue;
    }
    if (f) {
      fence = f;
      continue;
    }
    kept.push(line.replace(/<!--.*?-->/g, '').replace(/(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, '<code/>'));
  }
  return kept.join('\n');
}
