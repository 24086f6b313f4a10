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
    let stderr = '';
    // Parsed once at the end: concatenating per chunk would copy the output quadratically.
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => reject(new GitError(`git cat-file failed: ${err.message}`)));
    child.on('close', (code) => {
      if (code !== 0) return reject(new GitError(`git cat-file failed: ${stderr.trim()}`));
      const buf = Buffer.concat(chunks);
      let pos = 0;
      let i = 0;
      while (pos < buf.length) {
        const nl = buf.indexOf(0x0a, pos);
        if (nl < 0) break;
        const [oid, type, sizeText] = buf.subarray(pos, nl).toString('utf8').split(' ');
        i++;
        if (type === 'missing' || !sizeText) {
          pos = nl + 1;
          continue;
        }
        const size = Number(sizeText);
        out.set(oid!, buf.subarray(nl + 1, nl + 1 + size));
        pos = nl + 1 + size + 1;
      }
      if (i < unique.length) reject(new GitError(`git cat-file returned ${i} of ${unique.length} objects`));
      else resolve(out);
    });
    child.stdin.end(unique.join('\n') + '\n');
  });
}

/** Object sizes without reading contents (`git cat-file --batch-check`): a 2 GiB blob costs nothing here. */
export function blobSizes(gitDir: string, oids: string[]): Promise<Map<string, number>> {
  const unique = [...new Set(oids)];
  const out = new Map<string, number>();
  if (unique.length === 0) return Promise.resolve(out);
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['--git-dir', gitDir, 'cat-file', '--batch-check=%(objectname) %(objectsize)'], {
      env: minimalEnv({ GIT_CONFIG_NOSYSTEM: '1' }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => reject(new GitError(`git cat-file failed: ${err.message}`)));
    child.on('close', (code) => {
      if (code !== 0) return reject(new GitError(`git cat-file failed: ${stderr.trim()}`));
      for (const line of stdout.split('\n')) {
        const [oid, size] = line.split(' ');
        if (oid && size && /^\d+$/.test(size)) out.set(oid, Number(size));
      }
      resolve(out);
    });
    child.stdin.end(unique.join('\n') + '\n');
  });
}
