// Issue 8, item 13: a ferry.yml without `environments` (or empty) means the defaults.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { plan } from '../../src/engine.js';
import { configMap } from '../helpers/fixtures.js';
import { TestRepo, tempDir } from '../helpers/gitrepo.js';

const cacheDir = tempDir('ferry-cache-');
// Test repositories live in temp folders that test/setup.ts removes after the file.
const repo = (files: Record<string, string>): TestRepo => new TestRepo().write(files);
const CM = configMap;

describe('an empty ferry.yml means the defaults (issue 8, item 13)', () => {
  for (const [label, text] of [['{}', '{}\n'], ['an empty file', ''], ['only comments', '# Ferry: defaults for now\n\n# more later\n']] as const) {
    it(`${label}: config loads as the defaults, and plan() plans the repository`, async () => {
      const parsed = parseConfig(text, '.github/ferry.yml');
      expect(parsed.ok).toBe(true);
      expect(parsed.ok && parsed.config.environments).toEqual([{ name: 'default' }]);

      const r = repo({ '.github/ferry.yml': text, 'apps/web/cm.yaml': CM('web') });
      const base = r.commit('initial');
      r.write({ 'apps/web/cm.yaml': CM('web').replace('k: v', 'k: w') });
      const head = r.commit('change');
      const p = await plan({ repo: r.dir, base, head, cacheDir, requireConfig: true });
      expect(p.environments.map((e) => e.name)).toEqual(['default']);
      expect(p.environments[0]!.apps.map((a) => a.name)).toEqual(['apps/web']);
      expect(p.summary).toMatchObject({ changed: 1, errors: 0 });
    });
  }

  it('other sections without `environments` apply on top of the default environment', () => {
    const parsed = parseConfig('validate:\n  rules: { no-latest-tag: off }\n', '.github/ferry.yml');
    expect(parsed.ok && parsed.config.environments).toEqual([{ name: 'default' }]);
    expect(parsed.ok && parsed.config.validate.rules).toEqual({ 'no-latest-tag': 'off' });
  });
});
