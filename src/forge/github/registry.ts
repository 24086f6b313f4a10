import type { Probot } from 'probot';
import type { Forge, ForgeRef } from '../types.js';
import { GitHubForge } from './forge.js';
import { appBotLogin } from './self.js';

/** A token is minted again this long before GitHub says it expires (a plan's fetch must not outlive it). */
const TOKEN_MARGIN_MS = 10 * 60_000;

/**
 * GitHub forges from installation ids. Every request goes through the Octokit Probot was
 * configured with, the git token's included: asking the installation's auth strategy for
 * its token sent the App's JWT to api.github.com even on GitHub Enterprise Server, so
 * the token is minted here, through the REST API at the configured host, and cached per
 * installation until shortly before it expires.
 */
export function gitHubForges(probot: Probot): (ref: Extract<ForgeRef, { kind: 'github' }>) => Promise<Forge> {
  const self = appBotLogin(probot);
  const tokens = new Map<number, Promise<{ token: string; expiresAt: number }>>();
  const installationToken = async (id: number): Promise<string> => {
    let cached = tokens.get(id);
    if (cached) {
      const t = await cached.catch(() => null);
      if (!t || t.expiresAt - TOKEN_MARGIN_MS < Date.now()) cached = undefined;
    }
    if (!cached) {
      cached = (async () => {
        const app = await probot.auth();
        const { data } = await app.rest.apps.createInstallationAccessToken({ installation_id: id });
        return { token: data.token, expiresAt: Date.parse(data.expires_at) };
      })();
      tokens.set(id, cached);
      // A failed mint is not remembered: the next job asks again.
      cached.catch(() => tokens.delete(id));
    }
    return (await cached).token;
  };
  return async (ref) => new GitHubForge(await probot.auth(ref.installationId), self, () => installationToken(ref.installationId));
}
