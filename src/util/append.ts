/**
 * `into.push(...items)` passes every item as a call argument, and arguments live on the
 * stack: past roughly 100,000 items (fewer the deeper the caller) it throws RangeError.
 * Anything sized by repository content (documents, resources, findings) goes through here.
 */
export function append<T>(into: T[], items: Iterable<T>): T[] {
  for (const item of items) into.push(item);
  return into;
}
