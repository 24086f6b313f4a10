/** Paths grouped by the folder that holds them ('' for the root). */
export function filesByFolder(paths: Iterable<string>, keep: (p: string) => boolean = () => true): Map<string, string[]> {
  const byDir = new Map<string, string[]>();
  for (const p of paths) {
    if (!keep(p)) continue;
    const slash = p.lastIndexOf('/');
    const dir = slash < 0 ? '' : p.slice(0, slash);
    let list = byDir.get(dir);
    if (!list) byDir.set(dir, (list = []));
    list.push(p);
  }
  return byDir;
}
