/**
 * One hand-made ustar entry (header and padded data), for archives helm's and Ferry's
 * readers disagree on. `sum` writes the header's checksum field from the byte sum.
 */
export function tarEntry(name: string, body: string, sum = (n: number) => n.toString(8).padStart(6, '0') + '\0 '): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100, 8, 'ascii');
  header.write(Buffer.byteLength(body).toString(8).padStart(11, '0') + '\0', 124, 12, 'ascii');
  header.write('0', 156, 1, 'ascii');
  header.write('ustar\0', 257, 6, 'ascii');
  header.fill(0x20, 148, 156);
  header.write(sum(header.reduce((n, b) => n + b, 0)), 148, 8, 'ascii');
  const data = Buffer.alloc(Math.ceil(Buffer.byteLength(body) / 512) * 512);
  data.write(body, 0, 'utf8');
  return Buffer.concat([header, data]);
}
