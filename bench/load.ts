/**
 * Load test of two Ferry replicas on one Redis: 1,000 signed GitHub deliveries across 50
 * PRs, 10% of them duplicates sent to the other replica and some `synchronize` events
 * reordered (an older head delivered after a newer one), with one replica SIGKILLed
 * half-way and restarted. Prints what was lost, duplicated or stale, acknowledgement
 * latency and plans per minute per replica. Asserts nothing; exits 1 when a zero does not
 * hold, so a run in CI can fail on it.
 *
 * Run by bench/run.ts or alone: `node --import tsx bench/load.ts` (REDIS_URL: that Redis,
 * under a private key prefix; otherwise a private redis-server on a free port). The
 * replicas run dist/server.js, built first; FERRY_BENCH_FROM_SOURCE=1 runs src/server.ts
 * through tsx instead.
 * Everything it starts is stopped, its temp folder and Redis keys removed.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropPrefix, keysUnder, testRedis } from '../test/helpers/redis.js';
import { FakeGitHubServer } from './fake-github-http.js';
import { generateMonorepo } from './monorepo.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECRET = 'load-bench-secret';
const OWNER = 'bench';
const REPO = 'gitops';
const PRS = 50;
/** Heads per PR: `opened` plus 17 pushes, so 50 × 18 = 900 distinct deliveries. */
const HEADS = 18;
const DUPLICATES = 100;
const LANES = 4;
/** Pause between two deliveries of one lane: 1,000 deliveries over about a minute. */
const GAP_MS = 220;
const SETTLE_MS = 10_000;
const QUIET_TIMEOUT_MS = 10 * 60_000;
const PLAN_CHECKS = ['ferry/plan', 'ferry/validate'];

/** Deterministic choices, so two runs send the same traffic. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** A gitops repository (10 apps × 2 environments) and 50 PR branches of 18 commits each, in a bare repository. */
function makeRepos(work: string) {
  const mono = generateMonorepo(path.join(work, 'repo'), 10, false);
  const bare = path.join(work, 'remote.git');
  execFileSync('git', ['clone', '--quiet', '--bare', mono.dir, bare]);
  // One git fast-import for 900 commits: a process per commit would take longer than the run.
  let stream = '';
  let mark = 0;
  const marks = new Map<string, number>();
  const ts = Math.floor(Date.now() / 1000);
  for (let pr = 1; pr <= PRS; pr++) {
    const file = `apps/app-${pr % 10}/deployment.yaml`;
    const original = readFileSync(path.join(mono.dir, file), 'utf8');
    for (let k = 0; k < HEADS; k++) {
      const content = original.replace('app:1.0.0', `app:2.${k}.${pr}`);
      const msg = `pr ${pr} push ${k}\n`;
      marks.set(`${pr}/${k}`, ++mark);
      stream += `commit refs/heads/pr-${pr}\nmark :${mark}\ncommitter bench <bench@example.invalid> ${ts + k} +0000\n`;
      stream += `data ${Buffer.byteLength(msg)}\n${msg}`;
      if (k === 0) stream += `from ${mono.base}\n`;
      stream += `M 100644 inline ${file}\ndata ${Buffer.byteLength(content)}\n${content}\n`;
    }
  }
  const marksFile = path.join(work, 'marks');
  execFileSync('git', ['--git-dir', bare, 'fast-import', '--quiet', `--export-marks=${marksFile}`], { input: stream });
  const byMark = new Map(readFileSync(marksFile, 'utf8').trim().split('\n').map((l) => {
    const [m, sha] = l.split(' ');
    return [Number(m!.slice(1)), sha!] as const;
  }));
  const heads = new Map<number, string[]>();
  for (let pr = 1; pr <= PRS; pr++) heads.set(pr, Array.from({ length: HEADS }, (_, k) => byMark.get(marks.get(`${pr}/${k}`)!)!));
  // refs/pull/N/head at the last head from the start: every earlier head is its ancestor,
  // so a replica fetching for an older head finds it too (GitHub keeps old heads fetchable).
  const updates = [...heads].map(([pr, shas]) => `update refs/pull/${pr}/head ${shas.at(-1)}\n`).join('');
  execFileSync('git', ['--git-dir', bare, 'update-ref', '--stdin'], { input: updates });
  return { base: mono.base, bare, heads };
}

interface Delivery {
  id: string;
  pr: number;
  sha: string;
  action: 'opened' | 'synchronize';
  replica: 0 | 1;
  /** A redelivery of `id` to the other replica: together with the original, or later. */
  dup?: 'together' | 'later';
}

type Step = { push: { pr: number; sha: string } } | { deliver: Delivery[] };

/** Per lane, the steps in order: pushes move GitHub's head, deliveries follow (some reordered). */
function traffic(heads: Map<number, string[]>) {
  const r = rng(14);
  const perPr = new Map<number, Step[]>();
  let reordered = 0;
  const all: Delivery[] = [];
  for (let pr = 1; pr <= PRS; pr++) {
    const shas = heads.get(pr)!;
    const steps: Step[] = [];
    const d = (k: number): Delivery => {
      const x: Delivery = { id: randomUUID(), pr, sha: shas[k]!, action: k === 0 ? 'opened' : 'synchronize', replica: r() < 0.5 ? 0 : 1 };
      all.push(x);
      return x;
    };
    for (let k = 0; k < HEADS; k++) {
      // Every fifth PR gets its last two pushes delivered in reverse order (the final head
      // first), and about one push in twenty elsewhere.
      const swap = k >= 1 && k + 1 < HEADS && ((k + 1 === HEADS - 1 && pr % 5 === 0) || (k + 1 < HEADS - 1 && r() < 0.05));
      if (swap) {
        const older = d(k);
        const newer = d(k + 1);
        steps.push({ push: { pr, sha: shas[k]! } }, { push: { pr, sha: shas[k + 1]! } }, { deliver: [newer] }, { deliver: [older] });
        reordered++;
        k++;
      } else {
        steps.push({ push: { pr, sha: shas[k]! } }, { deliver: [d(k)] });
      }
    }
    perPr.set(pr, steps);
  }
  // 100 duplicates: half sent at the same moment as the original, half a step later.
  const picked = new Set<Delivery>();
  while (picked.size < DUPLICATES) picked.add(all[Math.floor(r() * all.length)]!);
  for (const steps of perPr.values()) {
    for (let i = steps.length - 1; i >= 0; i--) {
      const s = steps[i]!;
      if (!('deliver' in s) || !picked.has(s.deliver[0]!)) continue;
      const o = s.deliver[0]!;
      const copy: Delivery = { ...o, replica: o.replica === 0 ? 1 : 0 };
      if (r() < 0.5) s.deliver.push({ ...copy, dup: 'together' });
      else steps.splice(i + 1, 0, { deliver: [{ ...copy, dup: 'later' }] });
    }
  }
  // Lanes interleave their PRs round-robin; a PR's steps stay in order within its lane.
  const lanes: Step[][] = Array.from({ length: LANES }, () => []);
  for (let lane = 0; lane < LANES; lane++) {
    const queues = [...perPr].filter(([pr]) => pr % LANES === lane).map(([, s]) => [...s]);
    while (queues.some((q) => q.length)) {
      for (const q of queues) {
        // A PR's push and the delivery that follows it go together.
        while (q.length && 'push' in q[0]!) lanes[lane]!.push(q.shift()!);
        if (q.length) lanes[lane]!.push(q.shift()!);
      }
    }
  }
  return { lanes, total: all.length + DUPLICATES, reordered };
}

interface Replica {
  name: string;
  port: number;
  child: ChildProcess;
  log: string;
  startedAt: number;
  endedAt?: number;
  up: boolean;
}

async function main() {
  const work = mkdtempSync(path.join(tmpdir(), 'ferry-bench-load-'));
  const prefix = `ferry-bench:load:${randomUUID().slice(0, 8)}`;
  const replicas: Replica[] = [];
  let redis: Awaited<ReturnType<typeof testRedis>> | null = null;
  let github: FakeGitHubServer | null = null;
  const killAll = () => {
    for (const r of replicas) {
      try { process.kill(-r.child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }
  };
  const onSignal = () => {
    killAll();
    if (!process.env.FERRY_BENCH_KEEP) rmSync(work, { recursive: true, force: true });
    // The private redis-server too (its keys go with it); a shared REDIS_URL keeps the prefix's keys.
    void Promise.race([redis?.stop(), sleep(2_000)]).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let failedZeros = false;
  try {
    const t0 = performance.now();
    const repos = makeRepos(work);
    console.log(`load test: ${PRS} PRs × ${HEADS} heads in a Kustomize repo (10 apps × 2 environments), made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // The built server, as deployed: from source, each replica and each of its plan workers
    // compiles the TypeScript it loads with tsx, seconds of CPU that delay acknowledgements.
    const fromSource = !!process.env.FERRY_BENCH_FROM_SOURCE;
    if (!fromSource) execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
    const entry = fromSource ? ['--import', 'tsx', path.join(root, 'src/server.ts')] : [path.join(root, 'dist/server.js')];
    console.log(`replicas run ${fromSource ? 'src/server.ts through tsx' : 'dist/server.js (built by tsc first)'}`);
    redis = await testRedis();
    github = new FakeGitHubServer(OWNER, REPO, { sha: repos.base, ref: 'main' }, repos.bare);
    for (const [pr, shas] of repos.heads) for (const s of shas) github.knowSha(s, pr);
    github.shasOf = (pr) => repos.heads.get(pr) ?? [];
    const ghHost = await github.listen();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

    const start = async (name: string, port: number, cache: string): Promise<Replica> => {
      const log = path.join(work, `${name}.log`);
      const fd = openSync(log, 'a');
      const child = spawn(process.execPath, entry, {
        cwd: root,
        // Its own process group: a SIGKILL takes its render processes with it, as a pod's would.
        detached: true,
        stdio: ['ignore', fd, fd],
        env: {
          ...process.env,
          APP_ID: '1', PRIVATE_KEY: privateKey, WEBHOOK_SECRET: SECRET,
          GHE_HOST: ghHost, GHE_PROTOCOL: 'http',
          HOST: '127.0.0.1', PORT: String(port),
          FERRY_CACHE_DIR: cache, FERRY_CONCURRENCY: '2',
          REDIS_URL: redis!.url, FERRY_REDIS_PREFIX: prefix,
          LOG_LEVEL: 'info',
        },
      });
      closeSync(fd);
      const r: Replica = { name, port, child, log, startedAt: performance.now(), up: false };
      replicas.push(r);
      for (let i = 0; i < 600; i++) {
        if (child.exitCode !== null) throw new Error(`${name} exited at start: ${readFileSync(log, 'utf8').slice(-2000)}`);
        try {
          if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) {
            r.up = true;
            r.startedAt = performance.now();
            return r;
          }
        } catch { /* not listening yet */ }
        await sleep(100);
      }
      throw new Error(`${name} not ready after 60 s`);
    };
    const ports = [await freePort(), await freePort()];
    const caches = [path.join(work, 'cache-a'), path.join(work, 'cache-b')];
    for (const c of caches) mkdirSync(c);
    const live: Replica[] = await Promise.all([start('replica A', ports[0]!, caches[0]!), start('replica B', ports[1]!, caches[1]!)]);

    const { lanes, total, reordered } = traffic(repos.heads);
    const acks: number[] = [];
    /** Acknowledgements by phase: both replicas up, only one (SIGKILL to restart), both again. */
    const acksDegraded: number[] = [];
    const acksBefore: number[] = [];
    const acksAfter: number[] = [];
    let sent = 0;
    let rerouted = 0;
    let refusedOrReset = 0;
    let duplicatesAnswered = 0;
    let killedAt = 0;
    let restartedAt = 0;
    const body = (d: Delivery) => JSON.stringify({
      action: d.action, number: d.pr, pull_request: github!.pull(d.pr, d.sha),
      repository: { id: 1, name: REPO, full_name: `${OWNER}/${REPO}`, owner: { login: OWNER }, clone_url: repos.bare },
      installation: { id: 1 },
    });
    /** One delivery; a replica that is down or dies mid-request gets it sent to the other, as GitHub's redelivery through the load balancer would. */
    const deliver = async (d: Delivery) => {
      const payload = body(d);
      const headers = {
        'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': d.id,
        'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(payload).digest('hex')}`,
      };
      let target = d.replica;
      for (let attempt = 0; attempt < 20; attempt++) {
        const r = live[target]!;
        if (!r.up) {
          target = target === 0 ? 1 : 0;
          if (!live[target]!.up) {
            await sleep(100);
            continue;
          }
          rerouted++;
          continue;
        }
        const t = performance.now();
        try {
          const res = await fetch(`http://127.0.0.1:${r.port}/api/github/webhooks`, { method: 'POST', headers, body: payload });
          await res.arrayBuffer();
          if (res.status >= 500) throw new Error(`answered ${res.status}`);
          if (res.status !== 200) throw new Error(`delivery ${d.id} answered ${res.status}`);
          const ms = performance.now() - t;
          acks.push(ms);
          (!killedAt ? acksBefore : !restartedAt ? acksDegraded : acksAfter).push(ms);
          if (d.dup) duplicatesAnswered++;
          return;
        } catch (err) {
          if (/answered 4/.test(String((err as Error).message))) throw err;
          refusedOrReset++;
          target = target === 0 ? 1 : 0;
          await sleep(50);
        }
      }
      throw new Error(`delivery ${d.id} never acknowledged`);
    };

    const trafficStart = performance.now();
    const killer = (async () => {
      while (sent < total / 2) await sleep(20);
      const b = live[1]!;
      b.up = false;
      process.kill(-b.child.pid!, 'SIGKILL');
      killedAt = performance.now();
      b.endedAt = killedAt;
      await sleep(5_000);
      live[1] = await start('replica B (restarted)', ports[1]!, caches[1]!);
      restartedAt = performance.now();
    })();
    await Promise.all(lanes.map(async (steps) => {
      for (const s of steps) {
        if ('push' in s) {
          github!.heads.set(s.push.pr, s.push.sha);
          continue;
        }
        await Promise.all(s.deliver.map(async (d) => {
          await deliver(d);
          sent++;
        }));
        await sleep(GAP_MS);
      }
    }));
    const trafficEnd = performance.now();
    await killer;

    // Quiet: every PR's last head reported, and nothing written for a while after.
    const latestRun = (sha: string, name: string) => [...github!.runs.values()].filter((x) => x.head_sha === sha && x.name === name).sort((a, b) => b.id - a.id)[0];
    const finalOf = (pr: number) => repos.heads.get(pr)!.at(-1)!;
    const satisfied = (pr: number) => {
      const sha = finalOf(pr);
      const comment = github!.comments.find((c) => c.pr === pr && c.body.startsWith('<!-- ferry:plan -->'));
      const commentOk = !!comment && github!.shaOfComment(pr, comment.body, repos.heads.get(pr)!) === sha;
      // GitHub shows (and branch protection reads) the newest run of a name for a head: a
      // run left in progress by the killed replica is superseded by a later completed one.
      const checksOk = PLAN_CHECKS.every((name) => latestRun(sha, name)?.status === 'completed');
      return commentOk && checksOk;
    };
    const prs = [...repos.heads.keys()];
    let quietAt = 0;
    for (const deadline = performance.now() + QUIET_TIMEOUT_MS; performance.now() < deadline;) {
      const lastWrite = github.writes.at(-1)?.at ?? 0;
      if (prs.every(satisfied) && performance.now() - lastWrite > SETTLE_MS) {
        quietAt = lastWrite;
        break;
      }
      await sleep(500);
    }
    const endAt = quietAt || performance.now();
    /** Plans per minute count the time a replica was up while there was work: until the last write. */
    const busyEnd = github.writes.at(-1)?.at ?? endAt;
    // Graceful stop of what still runs (SIGTERM: the shutdown path under test as well).
    await Promise.all(live.filter((r) => r.up).map(async (r) => {
      r.endedAt = endAt;
      const exited = new Promise((res) => r.child.once('exit', res));
      process.kill(r.child.pid!, 'SIGTERM');
      await Promise.race([exited, sleep(40_000)]);
      r.up = false;
    }));

    // Figures.
    const lost = prs.filter((pr) => !satisfied(pr));
    const dupComments = prs.reduce((n, pr) => n + Math.max(0, github!.comments.filter((c) => c.pr === pr && c.body.startsWith('<!-- ferry:plan -->')).length - 1), 0);
    let stale = 0;
    const staleExamples: string[] = [];
    for (const pr of prs) {
      const sha = finalOf(pr);
      const ws = github.writes.filter((w) => w.pr === pr && w.sha);
      const first = ws.find((w) => w.sha === sha);
      if (!first) continue;
      for (const w of ws) {
        if (w.at > first.at && w.sha !== sha) {
          stale++;
          if (staleExamples.length < 5) staleExamples.push(`PR ${pr}: ${w.kind} ${w.op} ${w.name} for ${w.sha!.slice(0, 7)} ${((w.at - first.at) / 1000).toFixed(1)} s after the final head's first write`);
        }
      }
    }
    acks.sort((a, b) => a - b);
    for (const a of [acksBefore, acksDegraded, acksAfter]) a.sort((x, y) => x - y);
    const line = (a: number[]) => `${pct(a, 50).toFixed(1)} / ${pct(a, 99).toFixed(1)} / ${(a.at(-1) ?? NaN).toFixed(1)} ms`;
    const planned = (log: string) => readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('"plan job finished"')).map((l) => {
      try { return (JSON.parse(l) as { outcome?: string }).outcome ?? ''; } catch { return ''; }
    });
    const rows: string[][] = [];
    const perReplica = replicas.map((r) => {
      const outcomes = planned(r.log);
      const n = outcomes.filter((o) => o === 'planned').length;
      const from = Math.max(r.startedAt, trafficStart);
      const minutes = Math.max(1e-9, (Math.min(r.endedAt ?? busyEnd, busyEnd) - from) / 60_000);
      return { r, n, stale: outcomes.filter((o) => o === 'stale').length, minutes, rate: n / minutes };
    });
    const unknown = [...github.unknownRoutes].map(([k, v]) => `${k} ×${v}`).join(', ');
    rows.push(['deliveries sent (incl. duplicates)', String(sent), `${total - DUPLICATES} distinct, ${DUPLICATES} duplicates to the other replica (${duplicatesAnswered} acknowledged), ${reordered} reordered pairs`]);
    rows.push(['deliveries lost', String(lost.length), lost.length ? `PRs without a plan and checks for their last head: ${lost.slice(0, 10).join(', ')}` : 'every PR\'s last head has its plan comment and completed checks']);
    rows.push(['duplicate sticky comments', String(dupComments), '']);
    rows.push(['stale outputs', String(stale), staleExamples.join('; ')]);
    rows.push(['ack p50 / p99 / max', `${pct(acks, 50).toFixed(1)} / ${pct(acks, 99).toFixed(1)} / ${acks.at(-1)!.toFixed(1)} ms`, `${acks.length} acknowledged; ${refusedOrReset} refused or reset by a dying replica and sent again, ${rerouted} sent to the other replica while one was down`]);
    rows.push(['  both up, before the kill', line(acksBefore), `${acksBefore.length} acknowledged`]);
    rows.push(['  one replica up', line(acksDegraded), `${acksDegraded.length} acknowledged between the SIGKILL and the restart`]);
    rows.push(['  both up, after the restart', line(acksAfter), `${acksAfter.length} acknowledged`]);
    for (const p of perReplica) rows.push([`plans/min, ${p.r.name}`, p.rate.toFixed(1), `${p.n} plans written (${p.stale} found stale) in ${p.minutes.toFixed(1)} min`]);
    rows.push(['traffic / until the last write', `${((trafficEnd - trafficStart) / 1000).toFixed(0)} s / ${((busyEnd - trafficStart) / 1000).toFixed(0)} s`, `replica B SIGKILLed at ${((killedAt - trafficStart) / 1000).toFixed(0)} s, back at ${((restartedAt - trafficStart) / 1000).toFixed(0)} s`]);
    const leftRunning = [...github.runs.values()].filter((x) => x.status !== 'completed' && latestRun(x.head_sha, x.name) !== x).length;
    rows.push(['runs left in progress, superseded', String(leftRunning), 'check runs a stopped or killed job left running, each with a newer completed run of its name for its head']);
    rows.push(['GitHub API calls', String(github.apiCalls), `${github.writes.length} comment and check writes${unknown ? `; unserved routes: ${unknown}` : ''}`]);
    const w0 = Math.max(...rows.map((r) => r[0]!.length));
    const w1 = Math.max(...rows.map((r) => r[1]!.length));
    console.log('\ntwo replicas on one Redis, 1,000 signed deliveries, one replica SIGKILLed mid-run');
    for (const [a, b, c] of rows) console.log(`  ${a!.padEnd(w0)}  ${b!.padStart(w1)}  ${c}`);
    failedZeros = lost.length > 0 || dupComments > 0 || stale > 0;
    if (failedZeros) console.log('  A ZERO DOES NOT HOLD: see above; replica logs were in the temp folder (kept: FERRY_BENCH_KEEP=1).');
  } finally {
    killAll();
    await github?.close();
    if (redis) {
      await dropPrefix(redis.url, prefix);
      const left = await keysUnder(redis.url, prefix);
      if (left.length) console.log(`  ${left.length} Redis keys left under ${prefix}`);
      await redis.stop();
    }
    if (process.env.FERRY_BENCH_KEEP) console.log(`  kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  // Pooled keep-alive sockets to the replicas would keep the event loop alive for minutes.
  process.exit(failedZeros ? 1 : 0);
}

await main();
