// Runs plan() in a process of its own, so a test can choose the V8 stack it runs on
// (`node --stack-size=… --import tsx test/helpers/plan-child.ts REPO BASE HEAD CACHE`).
// Prints the plan's summary and app statuses as JSON on stdout.
import { plan } from '../../src/engine.js';

const [repo, base, head, cacheDir] = process.argv.slice(2) as [string, string, string, string];
const p = await plan({ repo, base, head, cacheDir });
process.stdout.write(JSON.stringify({ summary: p.summary, apps: p.environments.flatMap((e) => e.apps.map((a) => ({ name: a.name, status: a.status, changes: a.changes.length }))) }));
