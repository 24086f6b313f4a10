/**
 * Blob contents a plan holds: `pinned` ones (discovery's small inputs, kustomizations)
 * for the whole plan, and recently read ones within a byte budget, dropped oldest first.
 * A dropped blob is read from git again when asked for.
 */
export class BlobStore {
  readonly pinned = new Map<string, Buffer>();
  private readonly recent = new Map<string, Buffer>();
  private recentBytes = 0;

  constructor(readonly budget = recentBudget()) {}

  get(oid: string): Buffer | undefined {
    const p = this.pinned.get(oid);
    if (p) return p;
    const r = this.recent.get(oid);
    if (r) {
      this.recent.delete(oid);
      this.recent.set(oid, r);
    }
    return r;
  }

  has(oid: string): boolean {
    return this.pinned.has(oid) || this.recent.has(oid);
  }

  pin(oid: string, data: Buffer): void {
    this.drop(oid);
    this.pinned.set(oid, data);
  }

  put(oid: string, data: Buffer): void {
    if (this.pinned.has(oid)) return;
    this.drop(oid);
    this.recent.set(oid, data);
    this.recentBytes += data.length;
    for (const [o, d] of this.recent) {
      if (this.recentBytes <= this.budget || o === oid) break;
      this.recent.delete(o);
      this.recentBytes -= d.length;
    }
  }

  private drop(oid: string): void {
    const r = this.recent.get(oid);
    if (r) {
      this.recent.delete(oid);
      this.recentBytes -= r.length;
    }
  }
}

/** FERRY_BLOB_CACHE_MB: blob bytes a plan keeps beyond its pinned ones (default 32). */
function recentBudget(): number {
  const v = Number(process.env.FERRY_BLOB_CACHE_MB);
  return (Number.isFinite(v) && v > 0 ? v : 32) * 2 ** 20;
}
