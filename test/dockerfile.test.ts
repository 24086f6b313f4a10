import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The Dockerfile as data: its instructions (continuation lines joined, comments dropped),
 * the global ARG defaults, and the stages. No Docker is needed (none runs in CI here).
 */
interface Instruction { op: string; args: string }
interface Stage { from: string; image: string; name?: string; body: Instruction[] }

function parseDockerfile(text: string): { globals: Map<string, string>; stages: Stage[] } {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const lines = joined.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const globals = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (op === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      const image = f[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => globals.get(a ?? b) ?? '');
      stages.push({ from: f[1]!, image, name: f[2], body: [] });
    } else if (!stages.length) {
      if (op === 'ARG') {
        const [k, v] = args.split('=');
        globals.set(k!, v ?? '');
      }
    } else {
      stages.at(-1)!.body.push({ op, args });
    }
  }
  return { globals, stages };
}

/** ARG defaults of a stage. */
function stageArgs(stage: Stage): Map<string, string> {
  const out = new Map<string, string>();
  for (const i of stage.body.filter((x) => x.op === 'ARG')) {
    const [k, v] = i.args.split('=');
    out.set(k!, v ?? '');
  }
  return out;
}

/**
 * Every download of a RUN for one TARGETARCH: the URL as fetched, the file it is saved to,
 * and the SHA-256 that file is checked against before use (null when it is not checked
 * against a sum written in the Dockerfile).
 */
function downloadsFor(stage: Stage, arch: string): Array<{ url: string; file: string; sha256: string | null }> {
  const args = stageArgs(stage);
  const out: Array<{ url: string; file: string; sha256: string | null }> = [];
  for (const run of stage.body.filter((x) => x.op === 'RUN')) {
    // Shell variables set in the `case` branch of this architecture.
    const vars = new Map<string, string>();
    const branch = new RegExp(`\\b${arch}\\)([^;]*(?:;[^;]+)*?);;`).exec(run.args);
    for (const a of branch?.[1]?.matchAll(/(\w+)="?\$\{(\w+)\}"?/g) ?? []) vars.set(a[1]!, args.get(a[2]!) ?? '');
    const expand = (s: string) => s.replace(/\$\{(\w+)\}/g, (_, k: string) => (k === 'TARGETARCH' ? arch : vars.get(k) ?? args.get(k) ?? `\${${k}}`));
    const commands = run.args.split(/;|&&/).map((c) => c.trim());
    commands.forEach((c, i) => {
      if (!/^(curl|wget)\b/.test(c)) return;
      const file = /(?:-\w*o|--output|-O)\s+"?([^\s"]+)"?/.exec(c)?.[1];
      const url = /"?(https?:\/\/[^\s"]+)"?/.exec(c)?.[1];
      if (!file || !url) {
        out.push({ url: expand(url ?? c), file: file ?? '', sha256: null });
        return;
      }
      const check = commands.slice(i + 1).map((x) => /^echo\s+"([^"]+)\s\s(\S+)"\s*\|\s*sha256sum\s+-c\b/.exec(x)).find((x) => x && x[2] === file);
      const sum = check ? expand(check[1]!) : null;
      out.push({ url: expand(url), file: expand(file), sha256: sum && /^[0-9a-f]{64}$/.test(sum) ? sum : null });
    });
  }
  return out;
}

const dockerfile = parseDockerfile(readFileSync(path.join(__dirname, '..', 'Dockerfile'), 'utf8'));
const final = dockerfile.stages.at(-1)!;

describe('the Dockerfile', () => {
  it('builds on Node 22 pinned by digest in every stage', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    for (const s of dockerfile.stages) {
      // A stage may build on an earlier stage; anything else is an image pinned by digest.
      if (dockerfile.stages.some((o) => o.name === s.image)) continue;
      expect(s.image).toMatch(/^node:22(?:[.\w-]*)?@sha256:[0-9a-f]{64}$/);
    }
  });

  for (const arch of ['amd64', 'arm64']) {
    it(`checks every download against a SHA-256 written in the Dockerfile (${arch})`, () => {
      const all = dockerfile.stages.flatMap((s) => downloadsFor(s, arch));
      expect(all.map((d) => d.url).sort()).toEqual([
        expect.stringMatching(new RegExp(`^https://dl\\.k8s\\.io/release/v[\\d.]+/bin/linux/${arch}/kubectl$`)),
        expect.stringMatching(new RegExp(`^https://get\\.helm\\.sh/helm-v[\\d.]+-linux-${arch}\\.tar\\.gz$`)),
      ]);
      for (const d of all) expect(d, `${d.url} is not checked against a pinned SHA-256`).toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    });
  }

  it('pins a different sum per architecture (not one sum for both)', () => {
    const sums = (arch: string) => dockerfile.stages.flatMap((s) => downloadsFor(s, arch)).map((d) => d.sha256);
    const amd = sums('amd64');
    const arm = sums('arm64');
    expect(amd).toHaveLength(2);
    amd.forEach((s, i) => expect(s).not.toBe(arm[i]));
  });

  it('runs as a non-root user, by number', () => {
    const users = final.body.filter((i) => i.op === 'USER').map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!;
    expect(user).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    // Nothing after USER switches back.
    expect(final.body.slice(final.body.findIndex((i) => i.op === 'USER' && i.args === user)).filter((i) => i.op === 'RUN')).toEqual([]);
  });

  it('ships dist/ without sources: the final stage copies the build output, production modules, package.json and templates only', () => {
    const copies = final.body.filter((i) => i.op === 'COPY' || i.op === 'ADD');
    const fromBuild = copies.filter((c) => /--from=build\b/.test(c.args)).map((c) => c.args.replace(/--\S+\s+/g, '').split(/\s+/)[0]);
    const fromContext = copies.filter((c) => !/--from=/.test(c.args)).map((c) => c.args.replace(/--\S+\s+/g, '').split(/\s+/).slice(0, -1));
    expect(fromBuild.sort()).toEqual(['/app/dist', '/app/node_modules', '/app/package.json']);
    expect(fromContext).toEqual([['templates']]);
    expect(copies.filter((c) => c.op === 'ADD')).toEqual([]);
    // The build stage is where the sources go, and its node_modules is pruned to production.
    const build = dockerfile.stages.find((s) => s.name === 'build')!;
    expect(build.body.some((i) => i.op === 'RUN' && /npm prune --omit=dev/.test(i.args))).toBe(true);
    expect(final.body.find((i) => i.op === 'CMD')?.args).toBe('["node", "dist/server.js"]');
  });

  it('the parser sees what it checks: an unchecked or network-checked download is caught', () => {
    const text = `ARG NODE_IMAGE=node:22-bookworm-slim@sha256:${'a'.repeat(64)}
FROM \${NODE_IMAGE} AS tools
ARG TARGETARCH
ARG SUM_AMD64=${'b'.repeat(64)}
RUN case "\${TARGETARCH}" in amd64) s="\${SUM_AMD64}" ;; esac; \\
    curl -fsSLo /tmp/a "https://example.test/a-\${TARGETARCH}"; \\
    echo "\${s}  /tmp/a" | sha256sum -c -; \\
    curl -fsSLo /tmp/b "https://example.test/b-\${TARGETARCH}"; \\
    echo "$(curl -fsSL https://example.test/b.sha256)  /tmp/b" | sha256sum -c -
`;
    const p = parseDockerfile(text);
    expect(p.stages[0]!.image).toBe(`node:22-bookworm-slim@sha256:${'a'.repeat(64)}`);
    const d = downloadsFor(p.stages[0]!, 'amd64');
    expect(d.find((x) => x.url.endsWith('/a-amd64'))?.sha256).toBe('b'.repeat(64));
    expect(d.find((x) => x.url.endsWith('/b-amd64'))?.sha256).toBeNull();
    expect(downloadsFor(p.stages[0]!, 'arm64').find((x) => x.url.endsWith('/a-arm64'))?.sha256).toBeNull();
  });
});
