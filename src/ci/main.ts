#!/usr/bin/env node
/**
 * `ferry-ci github|gitlab`: the entry CI templates run (action.yml, ci/gitlab/ferry.yml).
 * Everything it needs comes from the CI system's environment.
 */
import { boundEngineHeapGrowth } from '../runtime/engine-heap.js';
import { scrub } from './run.js';

const [platform] = process.argv.slice(2);

async function main(): Promise<number> {
  const err = (s: string) => void process.stderr.write(s);
  if (platform === 'github') return (await import('./github.js')).githubAction(process.env, err);
  if (platform === 'gitlab') return (await import('./gitlab.js')).gitlabJob(process.env, err);
  err('usage: ferry-ci github|gitlab\n');
  return 2;
}

boundEngineHeapGrowth();
main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    process.stderr.write(`ferry-ci: internal error: ${scrub(e.message, [process.env.FERRY_TOKEN, process.env.FERRY_GITLAB_TOKEN, process.env.CI_JOB_TOKEN])}\n`);
    process.exitCode = 2;
  },
);
