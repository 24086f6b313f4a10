import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { BotEvent } from '../../src/bot/events.js';
import { receiveGitLab, tokenMatches } from '../../src/forge/gitlab/ingress.js';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'gitlab', 'webhooks');
const HOST = 'https://gitlab.example.test';
const SECRET = 'gitlab-secret';

/** GitLab's documented example payload (../shared/gitlab/webhooks). */
function example(name: string): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return JSON.parse(readFileSync(path.join(examples, `${name}.json`), 'utf8'));
}

const KIND: Record<string, string> = { merge_request: 'Merge Request Hook', note: 'Note Hook', pipeline: 'Pipeline Hook', push: 'Push Hook' };

/** A push hook in the documented shape (https://docs.gitlab.com/user/project/integrations/webhook_events/#push-events). */
function pushHook(ref: string, files: { added?: string[]; modified?: string[]; removed?: string[] }, total = 1) {
  return {
    object_kind: 'push', event_name: 'push', before: '95790bf891e76fee5e1747ab589903a6a1f80f22', after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', ref,
    checkout_sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', user_username: 'jsmith', project_id: 15,
    project: { id: 15, name: 'Diaspora', path_with_namespace: 'mike/diaspora', default_branch: 'master', git_http_url: 'http://example.com/mike/diaspora.git' },
    commits: [{ id: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', message: 'fix', added: [], modified: [], removed: [], ...files }],
    total_commits_count: total,
  };
}

function sink(self = 'ferry-bot') {
  const events: BotEvent[] = [];
  const seen = new Set<string>();
  return {
    events,
    firstDelivery: async (id: string) => (seen.has(id) ? false : (seen.add(id), true)),
    handle: async (e: BotEvent) => void events.push(e),
    self: async () => self,
  };
}

async function send(name: string, payload: object, s = sink(), headers: Record<string, string> = {}) {
  const out = await receiveGitLab({ 'x-gitlab-token': SECRET, 'x-gitlab-event': KIND[name.split('.')[0]!]!, ...headers }, Buffer.from(JSON.stringify(payload)), { secret: SECRET, host: HOST, sink: s });
  return { out, events: s.events };
}

describe('GitLab ingress: payload → event', () => {
  it('a push to a branch carries its commits and changed files (null past the 20 the hook lists) and whether it is the default branch; a tag is ignored', async () => {
    const repo = { forge: 'gitlab', path: 'mike/diaspora', id: 15 };
    const common = { type: 'branch.pushed', forge: { kind: 'gitlab', host: HOST }, repo, before: '95790bf891e76fee5e1747ab589903a6a1f80f22', after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7' };
    expect((await send('push', pushHook('refs/heads/master', { modified: ['.gitlab/ferry.yml'] }))).events).toEqual([
      { ...common, branch: 'master', isDefault: true, changedFiles: ['.gitlab/ferry.yml'] },
    ]);
    expect((await send('push', pushHook('refs/heads/master', {}, 40))).events).toEqual([{ ...common, branch: 'master', isDefault: true, changedFiles: null }]);
    expect((await send('push', pushHook('refs/heads/production', {}))).events).toEqual([{ ...common, branch: 'production', isDefault: false, changedFiles: [] }]);
    const tag = await send('push', pushHook('refs/tags/v1', {}));
    expect(tag.out).toMatchObject({ status: 202, result: 'ignored' });
    expect(tag.events).toEqual([]);
  });

  it('an opened merge request is a change to plan, with the project id and full path', async () => {
    const p = example('merge_request.open');
    const { out, events } = await send('merge_request.open', p);
    expect(out).toMatchObject({ status: 202, result: 'handled', event: 'pr.changed' });
    expect(events).toEqual([{
      type: 'pr.changed', forge: { kind: 'gitlab', host: HOST }, reason: 'opened',
      pr: { repo: { forge: 'gitlab', path: p.project.path_with_namespace, id: p.project.id }, number: p.object_attributes.iid, headSha: p.object_attributes.last_commit.id, state: 'open', merged: false, fromFork: false },
    }]);
  });

  it('an update with new commits (oldrev) is a push; one that only retitles or relabels is ignored', async () => {
    expect((await send('merge_request.update', example('merge_request.update'))).events.map((e) => e.type === 'pr.changed' && e.reason)).toEqual(['pushed']);
    const retitled = example('merge_request.update');
    delete retitled.object_attributes.oldrev;
    retitled.changes = { title: { previous: 'a', current: 'b' }, labels: { previous: [], current: [] } };
    const { out, events } = await send('merge_request.update', retitled);
    expect(out).toMatchObject({ status: 202, result: 'ignored' });
    expect(events).toEqual([]);
  });

  it('approval hooks (approved, unapproved, approval, unapproval) re-evaluate ferry/review; not on a closed merge request', async () => {
    for (const action of ['approved', 'unapproved', 'approval', 'unapproval']) {
      // GitLab sends these as Merge Request Hooks whose object_attributes.action names the approval event.
      const p = example('merge_request.update');
      delete p.object_attributes.oldrev;
      p.object_attributes.action = action;
      p.object_attributes.state = 'opened';
      const { out, events } = await send('merge_request.update', p);
      expect(out).toMatchObject({ status: 202, result: 'handled', event: 'review.changed' });
      expect(events).toEqual([{
        type: 'review.changed', forge: { kind: 'gitlab', host: HOST }, reason: 'approval',
        pr: { repo: { forge: 'gitlab', path: p.project.path_with_namespace, id: p.project.id }, number: p.object_attributes.iid },
      }]);
    }
    const closed = example('merge_request.update');
    closed.object_attributes.action = 'approved';
    closed.object_attributes.state = 'closed';
    expect(await send('merge_request.update', closed)).toMatchObject({ out: { result: 'ignored' }, events: [] });
  });

  it('an update that changes the labels re-evaluates ferry/review', async () => {
    const p = example('merge_request.update');
    delete p.object_attributes.oldrev;
    p.object_attributes.state = 'opened';
    p.changes = { labels: { previous: [{ id: 1, title: 'bug' }], current: [{ id: 1, title: 'bug' }, { id: 2, title: 'sensitive' }] } };
    expect((await send('merge_request.update', p)).events.map((e) => e.type === 'review.changed' && e.reason)).toEqual(['labels']);
  });

  it('marking a draft ready and retargeting are changes too', async () => {
    const ready = example('merge_request.update');
    delete ready.object_attributes.oldrev;
    ready.changes = { draft: { previous: true, current: false } };
    expect((await send('merge_request.update', ready)).events.map((e) => e.type === 'pr.changed' && e.reason)).toEqual(['ready']);
    const retarget = example('merge_request.update');
    delete retarget.object_attributes.oldrev;
    retarget.changes = { target_branch: { previous: 'main', current: 'release' } };
    expect((await send('merge_request.update', retarget)).events.map((e) => e.type === 'pr.changed' && e.reason)).toEqual(['base-changed']);
  });

  it('reopen plans; merge and close are closings, merge marked merged', async () => {
    expect((await send('merge_request.reopen', example('merge_request.reopen'))).events.map((e) => e.type === 'pr.changed' && e.reason)).toEqual(['reopened']);
    const merged = (await send('merge_request.merge', example('merge_request.merge'))).events[0]!;
    expect(merged).toMatchObject({ type: 'pr.closed', pr: { state: 'closed', merged: true } });
    const closed = (await send('merge_request.close', example('merge_request.close'))).events[0]!;
    expect(closed).toMatchObject({ type: 'pr.closed', pr: { state: 'closed', merged: false } });
  });

  it('a merge request from a fork says so', async () => {
    const p = example('merge_request.open');
    p.object_attributes.source_project_id = 999;
    expect((await send('merge_request.open', p)).events[0]).toMatchObject({ pr: { fromFork: true } });
  });

  it('a new note on a merge request is a comment; edits and notes elsewhere are not', async () => {
    const p = example('note.merge_request');
    const { events } = await send('note.merge_request', p);
    expect(events).toEqual([{
      type: 'comment.created', forge: { kind: 'gitlab', host: HOST },
      pr: { repo: { forge: 'gitlab', path: p.project.path_with_namespace, id: p.project.id }, number: p.merge_request.iid },
      comment: { id: p.object_attributes.id, author: p.user.username, byBot: false, body: p.object_attributes.note },
    }]);
    const edited = example('note.merge_request');
    edited.object_attributes.action = 'update';
    expect((await send('note.merge_request', edited)).events).toEqual([]);
    const onIssue = example('note.merge_request');
    onIssue.object_attributes.noteable_type = 'Issue';
    expect((await send('note.merge_request', onIssue)).events).toEqual([]);
  });

  it('system notes are marked as the bot\'s; a note delivery never waits on the GitLab API', async () => {
    const system = example('note.merge_request');
    system.object_attributes.system = true;
    expect((await send('note.merge_request', system)).events[0]).toMatchObject({ comment: { byBot: true } });
    // Who wrote a note is read back from GitLab by the command job, not here: the sink has no API at all.
    const s = { ...sink(), self: async () => new Promise<string>(() => undefined) };
    const { out } = await send('note.merge_request', example('note.merge_request'), s);
    expect(out).toMatchObject({ status: 202, result: 'handled' });
  });

  it('a successful pipeline is a commit success named `pipeline`; other statuses are ignored', async () => {
    const p = example('pipeline');
    expect((await send('pipeline', p)).events).toEqual([{ type: 'commit.succeeded', forge: { kind: 'gitlab', host: HOST }, repo: { forge: 'gitlab', path: p.project.path_with_namespace, id: p.project.id }, sha: p.object_attributes.sha, check: 'pipeline' }]);
    const failed = example('pipeline');
    failed.object_attributes.status = 'failed';
    expect((await send('pipeline', failed)).events).toEqual([]);
  });
});

describe('GitLab ingress: token, duplicates, bad input', () => {
  it('a wrong or missing token is 401 and does nothing', async () => {
    const s = sink();
    for (const token of [undefined, '', 'wrong', `${SECRET}x`, SECRET.slice(0, -1)]) {
      const out = await receiveGitLab({ ...(token === undefined ? {} : { 'x-gitlab-token': token }), 'x-gitlab-event': 'Merge Request Hook' }, Buffer.from(JSON.stringify(example('merge_request.open'))), { secret: SECRET, host: HOST, sink: s });
      expect(out).toEqual({ status: 401, result: 'unauthorized' });
    }
    expect(s.events).toEqual([]);
    expect(tokenMatches(SECRET, SECRET)).toBe(true);
    expect(tokenMatches([SECRET, SECRET], SECRET)).toBe(false);
  });

  it('a delivery repeated with the same Idempotency-Key (or event UUID) is handled once', async () => {
    const s = sink();
    const p = example('merge_request.open');
    const first = await send('merge_request.open', p, s, { 'idempotency-key': 'k-1' });
    const again = await send('merge_request.open', p, s, { 'idempotency-key': 'k-1' });
    expect([first.out.result, again.out.result]).toEqual(['handled', 'duplicate']);
    expect(again.out.status).toBeLessThan(300);
    await send('merge_request.open', p, s, { 'x-gitlab-event-uuid': 'u-1' });
    await send('merge_request.open', p, s, { 'x-gitlab-event-uuid': 'u-1' });
    expect(s.events).toHaveLength(2);
  });

  it('an authenticated delivery Ferry cannot use still gets a 2xx: unknown events, non-JSON, payloads missing fields', async () => {
    const s = sink();
    const opts = { secret: SECRET, host: HOST, sink: s };
    for (const [event, body] of [['Push Hook', '{}'], ['Merge Request Hook', 'not json'], ['Merge Request Hook', '{"object_attributes":{"action":"open"}}'], ['Note Hook', '[]']] as const) {
      const out = await receiveGitLab({ 'x-gitlab-token': SECRET, 'x-gitlab-event': event }, Buffer.from(body), opts);
      expect(out.status, `${event} ${body}`).toBeGreaterThanOrEqual(200);
      expect(out.status).toBeLessThan(300);
      expect(out.result).toBe('ignored');
    }
    expect(s.events).toEqual([]);
  });
});
