import { spawn } from 'node:child_process';
import { minimalEnv } from '../util/exec.js';
import { GitError } from './git.js';

/**
 * Reads many blobs through one `git cat-file --batch` process: thousands of small
 * kustomization files cost one process start instead of thousands.
 */
export function readBlobs(gitDir: string, oids: string[]): Promise<Map<string, Buffer>> {
  const unique = [...new Set(oids)];
  const out = new Map<string, Buffer>();
  if (unique.length === 0) return Promise.resolve(out);
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['--git-dir', gitDir, 'cat-file', '--batch'], { env: minimalEnv({ GIT_CONFIG_NOSYSTEM: '1' }) });
    let buf: Buffer = Buffer.alloc(0);
    let i = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        const nl = buf.indexOf(0x0a);
        if (nl < 0) return;
        const header = buf.subarray(0, nl).toString('utf8');
        const [oid, type, sizeText] = header.split(' ');
        if (type === 'missing' || !sizeText) {
          buf = buf.subarray(nl + 1);
          i++;
          continue;
        }
        const size = Number(sizeText);
        if (buf.length < nl + 1 + size + 1) return;
        out.set(oid!, Buffer.from(buf.subarray(nl + 1, nl + 1 + size)));
        buf = buf.subarray(nl + 1 + size + 1);
        i++;
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => reject(new GitError(`git cat-file failed: ${err.message}`)));
    child.on('close', (code) => {
      if (code !== 0) reject(new GitError(`git cat-file failed: ${stderr.trim()}`));
      else if (i < unique.length) reject(new GitError(`git cat-file returned ${i} of ${unique.length} objects`));
      else resolve(out);
    });
    child.stdin.end(unique.join('\n') + '\n');
  });
}
