import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/bin.js';

/** Keys of a composite action's step (https://docs.github.com/actions/reference/metadata-syntax-for-github-actions#runs-for-composite-actions). */
const STEP_KEYS = new Set(['name', 'id', 'if', 'uses', 'with', 'run', 'shell', 'env', 'working-directory', 'continue-on-error']);
const INPUT_KEYS = new Set(['description', 'required', 'default', 'deprecationMessage']);

describe('action.yml', () => {
  const text = readFileSync(path.join(REPO_ROOT, 'action.yml'), 'utf8');
  const action = parse(text) as any;
  const entry = ['github.ts', 'run.ts'].map((f) => readFileSync(path.join(REPO_ROOT, 'src', 'ci', f), 'utf8')).join('\n');

  it('is a composite action whose steps, inputs and outputs fit together and fit the entry', () => {
    expect(Object.keys(action).sort()).toEqual(['author', 'branding', 'description', 'inputs', 'name', 'outputs', 'runs']);
    expect(action.runs.using).toBe('composite');
    for (const [name, input] of Object.entries(action.inputs as Record<string, object>)) for (const k of Object.keys(input)) expect(INPUT_KEYS, `${name}.${k}`).toContain(k);
    const steps = action.runs.steps as Array<Record<string, any>>;
    for (const s of steps) {
      for (const k of Object.keys(s)) expect(STEP_KEYS, k).toContain(k);
      // A composite's run step must name its shell; a step runs a command or an action, not both.
      if (s.run) expect(s.shell).toBe('bash');
      expect(!!s.run !== !!s.uses).toBe(true);
    }
    // Every input it reads is declared, and every declared one is read.
    const used = new Set([...text.matchAll(/\binputs\.([\w-]+)/g)].map((x) => x[1]));
    expect([...used].sort()).toEqual(Object.keys(action.inputs).sort());
    // The plan step's variables are the ones the entry reads; its command is the package's bin.
    const plan = steps.find((s) => s.id === 'plan')!;
    for (const v of Object.keys(plan.env).filter((k) => k !== 'FERRY_CACHE_DIR')) expect(entry, v).toContain(`env.${v}`);
    expect(plan.run).toBe('node "$GITHUB_ACTION_PATH/dist/ci/main.js" github');
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin['ferry-ci']).toBe('dist/ci/main.js');
    // Outputs come from what the entry writes to GITHUB_OUTPUT.
    for (const [name, out] of Object.entries(action.outputs as Record<string, { value: string }>)) {
      expect(out.value).toBe(`\${{ steps.plan.outputs.${name} }}`);
      expect(entry).toContain(`\`${name}=`);
    }
    // The SARIF upload runs even when the plan step failed on findings.
    const upload = steps.find((s) => String(s.uses).startsWith('github/codeql-action/upload-sarif@'))!;
    expect(upload.if).toMatch(/always\(\)/);
    expect(upload.with.sarif_file).toBe('${{ steps.plan.outputs.sarif-file }}');
  });
});
