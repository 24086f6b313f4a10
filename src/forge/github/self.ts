import type { Probot } from 'probot';

/**
 * The login GitHub shows on the app's own comments: `<slug>[bot]`. `GET /app` needs the
 * app's JWT, not an installation token. Asked once per process; a failed lookup is
 * asked again next time instead of being remembered.
 */
export function appBotLogin(app: Pick<Probot, 'auth'>): () => Promise<string> {
  let login: Promise<string> | null = null;
  return () => {
    login ??= (async () => {
      const octokit = await app.auth();
      const { data } = await octokit.rest.apps.getAuthenticated();
      if (!data?.slug) throw new Error('GET /app returned no slug');
      return `${data.slug}[bot]`;
    })();
    login.catch(() => {
      login = null;
    });
    return login;
  };
}
