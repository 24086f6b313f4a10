import { Probot, ProbotOctokit } from 'probot';
import { describe, expect, it } from 'vitest';
import type { BotEvent } from '../../src/bot/events.js';
import { gitHubIngress } from '../../src/forge/github/ingress.js';
import { example, testPrivateKey } from '../helpers/github.js';

/** Real @octokit/webhooks-examples payloads through the ingress, straight into a sink (no HTTP). */
async function receive(name: string, payload: Record<string, any>): Promise<BotEvent[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const events: BotEvent[] = [];
  const probot = new Probot({ appId: 1, privateKey: testPrivateKey(), secret: 'x', Octokit: ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }) });
  await probot.load(gitHubIngress({ firstDelivery: async () => true, handle: async (e) => void events.push(e) }));
  await probot.receive({ id: `d-${Math.random()}`, name, payload } as never);
  return events;
}

describe('GitHub ingress: what audits branch protection', () => {
  it('an installation, or repositories added to one, names each repository', async () => {
    const created = example('installation', (e) => e.action === 'created');
    expect(await receive('installation', created)).toEqual([{
      type: 'repos.installed', forge: { kind: 'github', installationId: created.installation.id },
      repos: created.repositories.map((r: { full_name: string }) => ({ forge: 'github', path: r.full_name })),
    }]);
    const added = example('installation_repositories', (e) => e.action === 'added');
    expect(await receive('installation_repositories', added)).toEqual([{
      type: 'repos.installed', forge: { kind: 'github', installationId: added.installation.id },
      repos: added.repositories_added.map((r: { full_name: string }) => ({ forge: 'github', path: r.full_name })),
    }]);
    expect(await receive('installation', example('installation', (e) => e.action === 'deleted'))).toEqual([]);
  });

  it('a push to a branch carries its commits and changed files, and says whether it is the default branch; a tag is no event', async () => {
    const push = example('push', (e) => e.ref === 'refs/heads/master' && !!e.installation);
    push.commits[0].modified = ['.github/ferry.yml'];
    const [event] = await receive('push', push);
    expect(event).toEqual({
      type: 'branch.pushed', forge: { kind: 'github', installationId: push.installation.id }, repo: { forge: 'github', path: push.repository.full_name },
      branch: 'master', isDefault: true, before: push.before, after: push.after, changedFiles: expect.arrayContaining(['.github/ferry.yml']),
    });
    push.ref = 'refs/heads/production';
    expect(await receive('push', push)).toEqual([expect.objectContaining({ type: 'branch.pushed', branch: 'production', isDefault: false })]);
    expect(await receive('push', example('push', (e) => e.ref === 'refs/tags/simple-tag' && !!e.installation))).toEqual([]);
  });
});
