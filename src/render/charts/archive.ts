import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';

/**
 * The files of a packaged chart (.tgz), read as helm's loader reads them: regular files
 * under one top folder, named without it. The archive comes from a Helm repository a pull
 * request names: sizes are capped, and no name may leave the chart.
 */

export interface ArchiveLimits {
  /** Unpacked bytes, in all. */
  maxBytes: number;
  maxFiles: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = { maxBytes: 64 * 2 ** 20, maxFiles: 10_000 };

function field(block: Buffer, at: number, len: number): string {
  const raw = block.subarray(at, at + len);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? len : end).toString('utf8');
}

function octal(block: Buffer, at: number, len: number): number {
  const text = field(block, at, len).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** PAX extended header records (`<len> key=value\n`). */
function pax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) break;
    const len = parseInt(data.subarray(i, sp).toString('ascii'), 10);
    if (!(len > 0)) break;
    const rec = data.subarray(sp + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

/**
 * Whether a header's stored checksum is the sum of its bytes, the checksum field read as
 * spaces. Go's archive/tar (helm's reader) accepts the unsigned sum or the signed one some
 * old tars wrote, and refuses the archive otherwise: so does Ferry, rather than read a
 * corrupt or hand-made header (a size or a name) that helm would never load.
 */
function checksumOk(header: Buffer): boolean {
  const text = field(header, 148, 8).replace(/[ \0]+$/, '').trim();
  if (!/^[0-7]+$/.test(text)) return false;
  const stored = parseInt(text, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : header[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** The chart's files by path inside the chart (`values.yaml`, `templates/x.yaml`), or why not. */
export async function readChartArchive(file: string, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): Promise<{ files: Map<string, Buffer> } | { problem: string }> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch {
    return { problem: 'the chart archive cannot be read' };
  }
  return chartArchiveFiles(data, limits);
}

/** readChartArchive over the bytes of a .tgz (a fetched chart, or a subchart packed inside one). */
export function chartArchiveFiles(gz: Buffer, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): { files: Map<string, Buffer> } | { problem: string } {
  let tar: Buffer;
  try {
    tar = gunzipSync(gz, { maxOutputLength: limits.maxBytes });
  } catch (err) {
    const code = (err as { code?: string }).code;
    return { problem: code === 'ERR_BUFFER_TOO_LARGE' ? `the chart archive unpacks to more than ${Math.round(limits.maxBytes / 2 ** 20)} MiB` : 'the chart archive is not a gzip file' };
  }
  const files = new Map<string, Buffer>();
  let longName: string | null = null;
  let paxName: string | null = null;
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    if (!checksumOk(header)) return { problem: `the chart archive is corrupt: the tar header at byte ${at} fails its checksum` };
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156]!);
    const bodyAt = at + 512;
    if (!Number.isFinite(size) || size < 0 || bodyAt + size > tar.length) return { problem: 'the chart archive is truncated' };
    const body = tar.subarray(bodyAt, bodyAt + size);
    at = bodyAt + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = field(body, 0, body.length);
      continue;
    }
    if (type === 'x') {
      paxName = pax(body).get('path') ?? null;
      continue;
    }
    if (type === 'g') continue;
    const prefix = field(header, 345, 155);
    const name = paxName ?? longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = paxName = null;
    if (type !== '0' && type !== '\0' && type !== '7') continue;
    // As helm's loader: the name cleaned (path.Clean: `a//b`, `a/./b`, `a/x/../b`), then
    // refused if absolute or leaving the archive's top folder; its first part is the chart's.
    const cleaned = name.startsWith('/') ? null : path.posix.normalize(name).replace(/\/+$/, '');
    const parts = cleaned === null ? [] : cleaned.split('/');
    const rel = parts.slice(1).join('/');
    if (cleaned === null || !rel || parts.some((p) => p === '..' || p === '.' || p === '')) {
      return { problem: `the chart archive holds a file named ${JSON.stringify(name.slice(0, 200))}, outside the chart` };
    }
    if (files.size >= limits.maxFiles) return { problem: `the chart archive holds more than ${limits.maxFiles} files` };
    files.set(rel, Buffer.from(body));
  }
  return { files };
}
