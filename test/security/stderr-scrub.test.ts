import { describe, expect, it } from 'vitest';
import { scrubStderr } from '../../src/render/sandbox.js';

describe('renderer stderr shown on a PR', () => {
  it('loses host paths, process ids and stack dumps, keeps repository paths and JSON pointers', () => {
    const tree = '/tmp/ferry-tree-abc';
    const home = '/tmp/ferry-home-def';
    const out = scrubStderr(
      `Error: open ${tree}/apps/x/cm.yaml: no such file; ${home}/tmp/v.yaml; /etc/passwd; '/root/.cache/ferry/mirrors/1.git' pid 4242 /proc/4242/environ\n` +
        'doc is missing path: /data/missing/key: missing value; /spec/replicas\ngoroutine 1 [running]:\nmain.main()\n\t/home/runner/go/src/x.go:12',
      tree,
      home,
    );
    expect(out).toContain('open apps/x/cm.yaml');
    expect(out).toContain('~/tmp/v.yaml');
    expect(out).toContain('/data/missing/key');
    expect(out).toContain('/spec/replicas');
    expect(out).not.toMatch(/\/etc\/passwd|\/root|4242|goroutine|runner|ferry-(tree|home)/);
  });

  it('a stack dump at the very start is not shown either', () => {
    expect(scrubStderr('goroutine 1 [running]:\n/home/x/y.go:1', '/t', '/h')).toBe('(a stack trace, not shown)');
  });
});
