/**
 * A packaged chart's files read from its .tgz (for a fetched chart's valuesFiles): names
 * as helm's loader gives them, and nothing outside the chart or past the caps.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readChartArchive } from '../../../src/render/charts/archive.js';
import { TEST_HELM } from '../../helpers/bin.js';
import { tempDir } from '../../helpers/gitrepo.js';

/** A ustar header's checksum written in place: the sum of its bytes, the field read as spaces. */
function sign(header: Buffer): Buffer {
  header.fill(0x20, 148, 156);
  const sum = header.reduce((n, b) => n + b, 0);
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return header;
}

/** A one-file tar entry (ustar header, checksum signed). */
function entry(name: string, body: string, type = '0'): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write(Buffer.byteLength(body).toString(8).padStart(11, '0') + '\0', 124, 12, 'ascii');
  header.write(type, 156, 1, 'ascii');
  header.write('ustar\0', 257, 6, 'ascii');
  sign(header);
  const data = Buffer.alloc(Math.ceil(Buffer.byteLength(body) / 512) * 512);
  data.write(body, 0, 'utf8');
  return Buffer.concat([header, data]);
}

function archive(entries: Buffer[]): string {
  const file = path.join(tempDir('ferry-archive-'), 'c.tgz');
  writeFileSync(file, gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)])));
  return file;
}

describe('readChartArchive', () => {
  it('reads a chart helm packaged (long names too), named inside the chart', async () => {
    const dir = path.join(tempDir('ferry-archive-'), 'demo');
    const deep = `templates/${'x'.repeat(120)}/deep.yaml`;
    mkdirSync(path.join(dir, path.dirname(deep)), { recursive: true });
    writeFileSync(path.join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: demo\nversion: 0.1.0\n');
    writeFileSync(path.join(dir, 'values.yaml'), 'a: 1\n');
    writeFileSync(path.join(dir, 'values-prod.yaml'), 'a: 2\n');
    writeFileSync(path.join(dir, deep), 'kind: ConfigMap\n');
    const out = tempDir('ferry-archive-');
    execFileSync(TEST_HELM, ['package', dir, '-d', out]);
    const got = await readChartArchive(path.join(out, readdirSync(out)[0]!));
    if ('problem' in got) throw new Error(got.problem);
    expect([...got.files.keys()].sort()).toEqual(['Chart.yaml', deep, 'values-prod.yaml', 'values.yaml'].sort());
    expect(got.files.get('values-prod.yaml')!.toString()).toBe('a: 2\n');
  });

  it('refuses names outside the chart, and caps files and unpacked bytes', async () => {
    // helm's loader cleans a name first (path.Clean): `demo/./x` and `demo//x` are `x`.
    for (const name of ['demo/./x', 'demo//x']) {
      const got = await readChartArchive(archive([entry(name, 'x')]));
      expect('files' in got && [...got.files.keys()]).toEqual(['x']);
    }
    for (const name of ['demo/../../evil.yaml', '/etc/passwd', 'demo/..', 'demo/x/../../../y']) {
      expect(await readChartArchive(archive([entry(name, 'x')]))).toEqual({ problem: expect.stringMatching(/outside the chart/) });
    }
    expect(await readChartArchive(archive([entry('demo/a', 'x'), entry('demo/b', 'y')]), { maxBytes: 2 ** 20, maxFiles: 1 })).toEqual({ problem: expect.stringMatching(/more than 1 files/) });
    expect(await readChartArchive(archive([entry('demo/big', 'z'.repeat(4096))]), { maxBytes: 2048, maxFiles: 10 })).toEqual({ problem: expect.stringMatching(/unpacks to more than/) });
    // Links are not files: left out, as helm's loader does.
    const linked = await readChartArchive(archive([entry('demo/link', '', '2'), entry('demo/values.yaml', 'a: 1\n')]));
    expect('files' in linked && [...linked.files.keys()]).toEqual(['values.yaml']);
  });

  it('refuses an archive whose tar header fails its checksum, as helm does, with a clear problem', async () => {
    const dir = path.join(tempDir('ferry-archive-'), 'demo');
    mkdirSync(path.join(dir, 'templates'), { recursive: true });
    writeFileSync(path.join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: demo\nversion: 0.1.0\n');
    writeFileSync(path.join(dir, 'values.yaml'), 'a: 1\n');
    writeFileSync(path.join(dir, 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n');
    const out = tempDir('ferry-archive-');
    execFileSync(TEST_HELM, ['package', dir, '-d', out]);
    const good = path.join(out, readdirSync(out)[0]!);
    const tar = gunzipSync(readFileSync(good));
    // The second header's size field: one octal digit changed, the gzip stream still valid.
    const second = 512 * (1 + Math.ceil(parseInt(tar.subarray(124, 136).toString('ascii').replace(/\0.*$/, '').trim(), 8) / 512));
    expect(tar.subarray(second + 257, second + 262).toString('ascii')).toBe('ustar');
    const at = second + 124 + 10;
    tar[at] = tar[at] === 0x31 ? 0x32 : 0x31;
    const bad = path.join(out, 'bad.tgz');
    writeFileSync(bad, gzipSync(tar));
    expect('files' in (await readChartArchive(good))).toBe(true);
    expect(await readChartArchive(bad)).toEqual({ problem: `the chart archive is corrupt: the tar header at byte ${second} fails its checksum` });
    // Real helm refuses the same archive.
    expect(() => execFileSync(TEST_HELM, ['template', 'x', bad], { stdio: 'pipe' })).toThrow(/invalid tar header|checksum|tar/i);
    // A header signed with the signed-byte sum some old tars wrote is accepted, as Go's reader does.
    const old = entry('demo/values.yaml', 'a: 1\n');
    old.write('\xe9', 0, 'latin1');
    old.write('demo/values.yaml', 1, 'latin1');
    old.fill(0x20, 148, 156);
    const signedSum = old.subarray(0, 512).reduce((n, b) => n + (b > 127 ? b - 256 : b), 0);
    old.write(signedSum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
    const accepted = await readChartArchive(archive([old]));
    expect('files' in accepted && [...accepted.files.keys()]).toEqual(['values.yaml']);
  });
});
