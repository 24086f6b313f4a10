import { request } from 'node:http';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMaxBodyBytes } from '../../src/http/body-limit.js';
import type { RunningServer } from '../../src/server.js';
import { tempDir } from '../helpers/gitrepo.js';
import { deliver, example, sign } from '../helpers/github.js';
import { SECRET, startTestServer } from '../helpers/server.js';

const SMALL_CAP = 64 * 1024;

let server: RunningServer;
let small: RunningServer;

beforeAll(async () => {
  server = await startTestServer(tempDir('ferry-cache-'), { concurrency: 1 });
  small = await startTestServer(tempDir('ferry-cache-'), { concurrency: 1, maxBodyBytes: SMALL_CAP });
});
afterAll(async () => {
  await server.stop(5_000);
  await small.stop(5_000);
  nock.cleanAll();
  nock.enableNetConnect();
});

/**
 * Starts a webhook POST that sends `send` bytes and then keeps the request open: a
 * response can only arrive if the server answered without waiting for the whole body.
 */
function openPost(url: string, headers: Record<string, string>, send: number): Promise<{ status: number; body: string; stillSending: boolean }> {
  return new Promise((resolve, reject) => {
    let ended = false;
    const req = request(`${url}/api/github/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': 'big-1', 'x-hub-signature-256': 'sha256=' + '0'.repeat(64), ...headers },
    });
    req.on('response', (res) => {
      const stillSending = !ended;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode!, body, stillSending });
      });
    });
    req.on('error', (err) => {
      if (!ended) reject(err);
    });
    req.write('{"zen":"' + 'x'.repeat(Math.max(0, send - 9)));
    // Never end: the body the headers promise is never completed.
    req.on('close', () => (ended = true));
  });
}

function commentDelivery(pad = 0) {
  const p = example('issue_comment', (e) => e.action === 'created');
  p.installation = { id: 42, node_id: 'x' };
  // Not a command: the delivery is accepted and needs no GitHub call.
  p.comment.body = `just a comment ${'.'.repeat(pad)}`;
  return p;
}

describe('webhook body cap', () => {
  it('a Content-Length over 25 MiB gets 413 before the body is sent, and signed deliveries still work', async () => {
    const r = await openPost(server.url, { 'content-length': String(26 * 1024 * 1024) }, 1024);
    expect(r.status).toBe(413);
    expect(r.stillSending).toBe(true);
    const ok = await deliver(server.url, SECRET, 'issue_comment', commentDelivery());
    expect(ok.status).toBe(200);
  });

  it('a chunked body is cut off at the configured cap: 413 while the client is still sending', async () => {
    const r = await openPost(small.url, { 'transfer-encoding': 'chunked' }, SMALL_CAP + 4096);
    expect(r.status).toBe(413);
    expect(r.stillSending).toBe(true);
    expect(r.body).toContain(`${SMALL_CAP} bytes`);
    // The next delivery, close to the cap, is read whole and its signature checked as before.
    const near = commentDelivery(SMALL_CAP - JSON.stringify(commentDelivery()).length - 1024);
    expect(JSON.stringify(near).length).toBeLessThan(SMALL_CAP);
    expect(JSON.stringify(near).length).toBeGreaterThan(SMALL_CAP - 2048);
    expect((await deliver(small.url, SECRET, 'issue_comment', near)).status).toBe(200);
    const forged = await deliver(small.url, SECRET, 'issue_comment', near, { signature: sign('not-the-secret', JSON.stringify(near)) });
    expect(forged.status).toBeGreaterThanOrEqual(400);
    expect(forged.status).toBeLessThan(500);
  });

  it('FERRY_MAX_BODY_BYTES sets the cap; the default is 25 MiB', () => {
    expect(parseMaxBodyBytes(undefined)).toBe(25 * 1024 * 1024);
    expect(parseMaxBodyBytes('1048576')).toBe(1_048_576);
    expect(() => parseMaxBodyBytes('25MB')).toThrow(/FERRY_MAX_BODY_BYTES/);
  });
});
