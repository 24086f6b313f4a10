import type { EnvironmentPlan, Finding } from '../types.js';

/**
 * Rules whose finding says something about a file, not about one rendering of it: an
 * unknown kind in a shared base is the same news in every environment and for every
 * object of that kind in the file.
 */
const ONCE_PER_FILE = new Set(['unknown-kind']);

/**
 * Keeps the first finding of each such rule per file and message, in plan order
 * (environments, then apps, as planned); later copies are dropped. Findings without a
 * file are left alone.
 */
export function oncePerFile(envs: EnvironmentPlan[]): void {
  const seen = new Set<string>();
  const first = (f: Finding) => {
    if (!ONCE_PER_FILE.has(f.rule) || f.file === null) return true;
    const key = `${f.rule}\0${f.file}\0${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  for (const env of envs) for (const app of env.apps) app.findings = app.findings.filter(first);
}
