import type { ApiObserver, Forge, ForgeRef } from '../types.js';
import { gitLabClient } from './client.js';
import { GitLabForge } from './forge.js';
import { gitLabSelf } from './self.js';

/**
 * GitLab forges for jobs: one API client and one bot-user lookup per process, a Forge per
 * job. A job naming another instance than the configured one is refused: the token is
 * this instance's.
 */
export function gitLabForges(cfg: { url: string; token: string }, observe?: ApiObserver): (ref: Extract<ForgeRef, { kind: 'gitlab' }>) => Promise<Forge> {
  const client = gitLabClient({ url: cfg.url, token: cfg.token, observe });
  const self = gitLabSelf(client);
  return async (ref) => {
    if (ref.host !== cfg.url) throw new Error(`this server serves GitLab at ${cfg.url}, not ${ref.host}`);
    return new GitLabForge({ url: cfg.url, token: cfg.token, self, client });
  };
}
