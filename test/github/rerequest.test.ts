import { Probot, ProbotOctokit } from 'probot';
import { describe, expect, it } from 'vitest';
import type { BotEvent } from '../../src/bot/events.js';
import { gitHubIngress } from '../../src/forge/github/ingress.js';
import { testPrivateKey } from '../helpers/github.js';

describe('check_run.rerequested', () => {
  it('re-runs only PRs whose base is this repository (check_run.pull_requests may list another repository\'s PRs)', async () => {
    const events: BotEvent[] = [];
    const probot = new Probot({ appId: 1, privateKey: testPrivateKey(), secret: 's', Octokit: ProbotOctokit, logLevel: 'fatal' } as never);
    await probot.load(gitHubIngress({ firstDelivery: async () => true, handle: async (e) => void events.push(e) }));
    const here = { id: 10, name: 'gitops', full_name: 'fork-owner/gitops', url: 'https://api.github.com/repos/fork-owner/gitops' };
    const upstream = { id: 20, name: 'gitops', url: 'https://api.github.com/repos/acme/gitops' };
    await probot.receive({
      id: 'd1',
      name: 'check_run',
      payload: {
        action: 'rerequested',
        installation: { id: 5 },
        repository: here,
        check_run: {
          name: 'ferry/plan',
          head_sha: 'a'.repeat(40),
          // A branch of this repository is also the head of acme/gitops#3.
          pull_requests: [{ number: 3, head: { ref: 'x', sha: 'a'.repeat(40), repo: here }, base: { ref: 'main', sha: 'b'.repeat(40), repo: upstream } }],
        },
      },
    } as never);
    const reruns = events.filter((e) => e.type === 'rerun.requested') as Array<Extract<BotEvent, { type: 'rerun.requested' }>>;
    expect(reruns.flatMap((e) => e.pulls)).toEqual([]);
  });
});
