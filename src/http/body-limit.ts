import type { IncomingMessage, ServerResponse } from 'node:http';

/** GitHub caps webhook payloads at 25 MB; anything larger is not a delivery. */
export const DEFAULT_MAX_BODY_BYTES = 25 * 1024 * 1024;

function tooLarge(res: ServerResponse, max: number): void {
  // `Connection: close`: the rest of an oversized body is never read, so the connection cannot be reused.
  res.writeHead(413, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify({ error: `request body exceeds ${max} bytes` }));
}

/**
 * Reads a request body, refusing it with 413 past `max` bytes: at once when
 * Content-Length announces more, else as soon as the streamed (chunked) bytes cross the
 * cap. Unsigned bodies are read before any signature check, so without a cap a single
 * request could make the server hold any amount of memory.
 * Returns the body, or null when the request was refused (the response is sent).
 */
export function readBodyCapped(req: IncomingMessage, res: ServerResponse, max: number): Promise<Buffer | null> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > max) {
    tooLarge(res, max);
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > max) {
        req.off('data', onData);
        req.off('end', onEnd);
        chunks.length = 0;
        req.pause();
        tooLarge(res, max);
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

/** A byte count from the environment (`FERRY_MAX_BODY_BYTES`); the default when unset. */
export function parseMaxBodyBytes(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_MAX_BODY_BYTES;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`FERRY_MAX_BODY_BYTES must be a positive whole number of bytes, got "${value}"`);
  return n;
}
