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
  payload.installation ??= { id: 42, node_id: 'x' };
  await probot.receive({ id: `d-${Math.random()}`, name, payload } as never);
  return events;
}

const repo = { forge: 'github', path: 'Codertocat/Hello-World' };

describe('GitHub ingress: what re-evaluates ferry/review', () => {
  it('a review submitted or dismissed on an open PR', async () => {
    for (const action of ['submitted', 'dismissed']) {
      const p = example('pull_request_review', (e) => e.action === action && !!e.installation);
      expect(await receive('pull_request_review', p)).toEqual([{ type: 'review.changed', forge: { kind: 'github', installationId: p.installation.id }, reason: 'review', pr: { repo, number: p.pull_request.number } }]);
    }
    const edited = example('pull_request_review', (e) => e.action === 'submitted');
    edited.action = 'edited';
    expect((await receive('pull_request_review', edited)).map((e) => e.type)).toEqual(['review.changed']);
  });

  it('not a review on a closed PR', async () => {
    const p = example('pull_request_review', (e) => e.action === 'submitted' && !!e.installation);
    p.pull_request.state = 'closed';
    expect(await receive('pull_request_review', p)).toEqual([]);
  });

  it('a label added or removed on an open PR', async () => {
    const labeled = example('pull_request', (e) => e.action === 'labeled');
    labeled.pull_request.state = 'open';
    expect(await receive('pull_request', labeled)).toEqual([{ type: 'review.changed', forge: { kind: 'github', installationId: labeled.installation?.id ?? 42 }, reason: 'labels', pr: { repo, number: labeled.pull_request.number } }]);
    const unlabeled = example('pull_request', (e) => e.action === 'labeled');
    unlabeled.action = 'unlabeled';
    unlabeled.pull_request.state = 'closed';
    expect(await receive('pull_request', unlabeled)).toEqual([]);
  });
});
