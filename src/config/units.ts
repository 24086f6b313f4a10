const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = {
  B: 1, KB: 1000, KiB: 1024, MB: 1000 ** 2, MiB: 1024 ** 2, GB: 1000 ** 3, GiB: 1024 ** 3,
};

/** `1h30m` → 5,400,000 ms; null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  if (!/^(\d+(ms|s|m|h|d))+$/.test(text)) return null;
  let total = 0;
  for (const m of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  return total;
}

/** `50MB` → 50,000,000 bytes, `512KiB` → 524,288; null when not a size. */
export function parseSize(text: string): number | null {
  const m = /^(\d+)(B|KB|KiB|MB|MiB|GB|GiB)$/.exec(text);
  return m ? Number(m[1]) * SIZE_UNITS[m[2]!]! : null;
}
