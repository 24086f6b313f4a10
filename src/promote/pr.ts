import { createHash } from 'node:crypto';
import type { PromotionStep } from '../config/types.js';

/** Machine-readable facts about a promotion PR, kept in a hidden marker in its body. */
export interface PromotionMeta {
  version: 1;
  from: string;
  to: string;
  strategy: PromotionStep['strategy'];
  /** Promoted app folders (directory strategy); empty means the whole environment. */
  apps: string[];
  /** The source environment's commit this promotion makes the target equal to. */
  sourceCommit: string;
  /** The target branch's commit the promotion was built on. */
  targetBase: string;
  /** Merged PRs this promotion carries, oldest first. */
  sources: Array<{ pr: number; commit: string | null }>;
}

const MARKER_RE = /<!-- ferry:promotion (\{.*?\}) -->/;

/** The hidden marker. `<` and `>` are escaped so no value can end the HTML comment. */
export function promotionMarker(meta: PromotionMeta): string {
  return `<!-- ferry:promotion ${JSON.stringify(meta).replace(/</g, '\\u003c').replace(/>/g, '\\u003e')} -->`;
}

/** The metadata of a promotion PR body, or null for any other body. */
export function readPromotionMeta(body: string | null | undefined): PromotionMeta | null {
  const m = MARKER_RE.exec(body ?? '');
  if (!m) return null;
  try {
    const meta = JSON.parse(m[1]!) as PromotionMeta;
    return meta.version === 1 && typeof meta.from === 'string' && typeof meta.to === 'string' ? meta : null;
  } catch {
    return null;
  }
}

const REF_UNSAFE = /[^A-Za-z0-9._-]+/g;

/**
 * What identifies one open promotion per step: the promoted app set (directory) or the
 * whole environment (branch). Later promotions of the same apps update that PR.
 */
export function promotionKey(apps: string[]): string {
  if (apps.length === 0) return 'all';
  const slug = [...apps].sort().map((a) => a.replace(REF_UNSAFE, '-')).join('+').replace(/^[.-]+/, '');
  if (slug.length <= 60 && !slug.includes('..') && !slug.endsWith('.lock')) return slug;
  return `${apps.length}-apps-${createHash('sha256').update([...apps].sort().join('\n')).digest('hex').slice(0, 10)}`;
}

export function promotionBranch(step: Pick<PromotionStep, 'from' | 'to'>, key: string): string {
  const safe = (s: string) => s.replace(REF_UNSAFE, '-');
  return `ferry/promote/${safe(step.from)}-to-${safe(step.to)}/${key}`;
}

/** `Promote web and api to production`; long app lists are shortened. */
export function promotionTitle(step: Pick<PromotionStep, 'from' | 'to'>, apps: string[]): string {
  if (apps.length === 0) return `Promote ${step.from} to ${step.to}`;
  const shown = apps.length <= 3 ? apps : [...apps.slice(0, 2), `${apps.length - 2} more apps`];
  const list = shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
  return `Promote ${list} to ${step.to}`;
}
