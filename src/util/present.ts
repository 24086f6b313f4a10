/** The strings given, each once, without empty or missing ones (a payload's optional URLs, say). */
export function presentStrings(values: Iterable<unknown>): string[] {
  const out = new Set<string>();
  for (const v of values) if (typeof v === 'string' && v !== '') out.add(v);
  return [...out];
}
