import type { Probot } from 'probot';
import type { Forge, ForgeRef } from '../types.js';
import { GitHubForge } from './forge.js';
import { appBotLogin } from './self.js';

/**
 * GitHub forges from installation ids. Every request, the git token's included, goes
 * through the Octokit Probot was configured with, so a GitHub Enterprise Server
 * deployment never sends the App's credentials to api.github.com.
 */
export function gitHubForges(probot: Probot): (ref: Extract<ForgeRef, { kind: 'github' }>) => Promise<Forge> {
  const self = appBotLogin(probot);
  return async (ref) => {
    const octokit = await probot.auth(ref.installationId);
    const installationToken = async () => {
      // Asked of the installation's own auth strategy: cached until near expiry, and
      // minted with the App's JWT against the configured host.
      const auth = (await octokit.auth({ type: 'installation' })) as { token: string };
      return auth.token;
    };
    return new GitHubForge(octokit, self, installationToken);
  };
}
