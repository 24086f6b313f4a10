import { repoKey, type PullRequest, type RepoRef } from '../forge/types.js';

/**
 * Merged PRs whose automatic promotion waits for gates, per repository: when any check
 * of the repository succeeds, each looks again (the gate is judged on the source
 * branch's tip, which may belong to a later PR than the one waiting).
 */
export interface WaitingPromotions {
  add(pr: PullRequest): Promise<void>;
  remove(pr: PullRequest): Promise<void>;
  list(repo: RepoRef): Promise<PullRequest[]>;
}

/** Waiting promotions remembered per repository; the oldest give way (a status on their own merge still finds them). */
export const WAITING_PER_REPOSITORY = 200;

export class MemoryWaiting implements WaitingPromotions {
  private readonly byRepo = new Map<string, Map<number, PullRequest>>();

  async add(pr: PullRequest): Promise<void> {
    const k = repoKey(pr.repo);
    const repo = this.byRepo.get(k) ?? new Map<number, PullRequest>();
    repo.delete(pr.number);
    repo.set(pr.number, pr);
    if (repo.size > WAITING_PER_REPOSITORY) repo.delete(repo.keys().next().value!);
    this.byRepo.set(k, repo);
  }

  async remove(pr: PullRequest): Promise<void> {
    const k = repoKey(pr.repo);
    const repo = this.byRepo.get(k);
    repo?.delete(pr.number);
    if (repo && repo.size === 0) this.byRepo.delete(k);
  }

  async list(repo: RepoRef): Promise<PullRequest[]> {
    return [...(this.byRepo.get(repoKey(repo))?.values() ?? [])];
  }
}

/**
 * JSON values by group and id, kept in insertion order, shared by every replica (the
 * Redis queue provides one). The oldest of a group give way past `max`.
 */
export interface SharedSet {
  put(group: string, id: string, json: string): Promise<void>;
  delete(group: string, id: string): Promise<void>;
  values(group: string): Promise<string[]>;
}

/** Waiting promotions every replica sees, and that outlive a restart. */
export class SharedWaiting implements WaitingPromotions {
  constructor(private readonly set: SharedSet) {}

  add(pr: PullRequest): Promise<void> {
    return this.set.put(repoKey(pr.repo), String(pr.number), JSON.stringify(pr));
  }

  remove(pr: PullRequest): Promise<void> {
    return this.set.delete(repoKey(pr.repo), String(pr.number));
  }

  async list(repo: RepoRef): Promise<PullRequest[]> {
    return (await this.set.values(repoKey(repo))).map((v) => JSON.parse(v) as PullRequest);
  }
}
