import semver from 'semver';

export type Resolved = { ok: true; version: string } | { ok: false; reason: string };

/** Masterminds (Flux, Helm, Argo) separates AND-ed comparators with commas; node-semver with spaces. */
function toRange(constraint: string): semver.Range | null {
  try {
    return new semver.Range(constraint.replace(/\s*,\s*/g, ' '));
  } catch {
    return null;
  }
}

function latestStable(versions: string[]): string | undefined {
  const stable = versions.filter((v) => semver.valid(v) && !semver.prerelease(v));
  const pool = stable.length > 0 ? stable : versions.filter((v) => semver.valid(v));
  return pool.sort(semver.rcompare)[0];
}

/**
 * Picks a version the way Flux and Helm do: an exact version matches itself; a constraint
 * picks the highest match; empty means the latest stable. Prereleases count only when the
 * constraint names one (">=1.0.0-alpha" includes 1.2.0-rc.1; "6.x" does not).
 */
export function resolveVersion(available: string[], constraint: string | undefined): Resolved {
  const wanted = (constraint ?? '').trim();
  const valid = available.filter((v) => semver.valid(v) !== null);
  if (valid.length === 0) return { ok: false, reason: 'no versions in the repository' };
  const latest = latestStable(valid);
  const noMatch = (): Resolved => ({ ok: false, reason: `no version matches ${wanted || '(latest)'}${latest ? ` (latest ${latest})` : ''}` });
  if (wanted === '' || wanted === 'latest') {
    const stable = valid.filter((v) => !semver.prerelease(v));
    return stable.length > 0 ? { ok: true, version: stable.sort(semver.rcompare)[0]! } : noMatch();
  }
  if (semver.valid(wanted)) {
    const same = valid.find((v) => v === wanted) ?? valid.find((v) => semver.eq(v, wanted));
    return same ? { ok: true, version: same } : noMatch();
  }
  const range = toRange(wanted);
  if (!range) return { ok: false, reason: `${wanted} is not a version or a semver constraint` };
  // From the text: node-semver writes "6.x" as ">=6.0.0-0 <7.0.0-0", a prerelease it added itself.
  const includePrerelease = /(?:^|[^0-9A-Za-z.-])v?\d+(?:\.(?:\d+|[xX*])){0,2}-[0-9A-Za-z]/.test(wanted);
  const best = semver.maxSatisfying(valid, range, { includePrerelease });
  return best ? { ok: true, version: best } : noMatch();
}

/** True when a constraint names one version in its plain form: a cached copy of it needs no network. */
export function isExact(constraint: string | undefined): constraint is string {
  // semver.valid drops build metadata ("7.0.0+build.1" → "7.0.0"), so the form is checked as text.
  return !!constraint && /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(constraint) && semver.valid(constraint) !== null;
}
