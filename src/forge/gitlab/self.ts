import type { GitLabClient } from './client.js';

/**
 * The username GitLab shows on the token's own notes (`GET /user`): for a project or
 * group access token it is the token's bot user. Asked once per process; a failed lookup
 * is asked again next time instead of being remembered.
 */
export function gitLabSelf(client: Pick<GitLabClient, 'users'>): () => Promise<string> {
  let username: Promise<string> | null = null;
  return () => {
    username ??= (async () => {
      const user = (await client.users.showCurrentUser()) as { username?: string };
      if (!user?.username) throw new Error('GET /user returned no username');
      return user.username;
    })();
    username.catch(() => {
      username = null;
    });
    return username;
  };
}
