import dns from 'node:dns';
import net from 'node:net';
import { ChartError } from './types.js';
import { printable } from '../../util/printable.js';

/**
 * Where Ferry may fetch charts from. The URL comes from a pull request, so it may point at
 * the cloud metadata service or a service inside the cluster (SSRF): addresses that are not
 * on the public internet are refused unless the operator allows private networks.
 */

export const PRIVATE_REFUSED = 'host resolves to a private address (set FERRY_CHART_ALLOW_PRIVATE=1 to allow)';

function v4Bytes(address: string): number[] | null {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : null;
}

/** 16-bit groups of an IPv6 address, with an embedded dotted quad converted. */
function v6Groups(address: string): number[] | null {
  let text = address.replace(/%.*$/, '');
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const b = v4Bytes(quad[1]!);
    if (!b) return null;
    text = text.slice(0, -quad[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail].map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN));
  return groups.every((g) => !Number.isNaN(g)) ? groups : null;
}

function v4Blocked([a, b, c]: number[]): boolean {
  return (
    a === 0 || // "this" network, 0.0.0.0
    a === 10 ||
    a === 127 ||
    (a === 100 && b! >= 64 && b! < 128) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b! >= 16 && b! < 32) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && c === 0) || // IETF protocol assignments
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a! >= 224 // multicast, reserved, broadcast
  );
}

/** True when an address is loopback, private, link-local, unspecified, multicast or reserved. */
export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address.replace(/%.*$/, ''));
  if (family === 4) return v4Blocked(v4Bytes(address)!);
  if (family !== 6) return true; // not an address at all: refuse rather than guess
  const g = v6Groups(address);
  if (!g) return true;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const embedded = [g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff];
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0) {
    if (g5 === 0xffff) return v4Blocked(embedded); // IPv4-mapped
    if (g5 === 0) return true; // ::, ::1 and the deprecated IPv4-compatible range
  }
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0xffff && g5 === 0) return v4Blocked(embedded); // IPv4-translated (SIIT)
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return v4Blocked(embedded); // NAT64
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return true; // local-use NAT64 (RFC 8215): translates to private IPv4 too
  if (g0 === 0x2001 && g1 === 0) return true; // Teredo: an IPv4 address behind a relay, obfuscated
  if (g0 === 0x2002) return v4Blocked([g1 >> 8, g1 & 0xff, g2 >> 8, g2 & 0xff]); // 6to4
  return (
    (g0 & 0xfe00) === 0xfc00 || // unique local
    (g0 & 0xffc0) === 0xfe80 || // link-local
    (g0 & 0xffc0) === 0xfec0 || // site-local (deprecated)
    (g0 & 0xff00) === 0xff00 // multicast
  );
}

/** True for names and addresses that stay on this machine: plain http is allowed to them (tests). */
export function isLoopbackHost(hostname: string): boolean {
  const host = bare(hostname).toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const v4 = v4Bytes(host);
  if (v4) return v4[0] === 127;
  const v6 = net.isIP(host) === 6 ? v6Groups(host) : null;
  return !!v6 && v6.slice(0, 7).every((x) => x === 0) && v6[7] === 1;
}

/** URL.hostname keeps the brackets of an IPv6 literal. */
export function bare(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/**
 * Refuses an address literal before connecting: Node does not call `lookup` for those.
 * Names are checked by `guardedLookup` on the addresses actually connected to.
 */
export function checkLiteralHost(hostname: string, allowPrivate: boolean): void {
  const host = bare(hostname);
  if (!allowPrivate && net.isIP(host) && isPrivateAddress(host)) throw new ChartError(PRIVATE_REFUSED, 'policy');
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request: resolves the name and refuses it when any address is
 * private. The socket connects to what this returns, so a name that resolves to a public
 * address when checked and a private one when connecting (DNS rebinding) is still refused.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
      if (!allowPrivate && addresses.some((a) => isPrivateAddress(a.address))) return callback(new ChartError(PRIVATE_REFUSED, 'policy') as NodeJS.ErrnoException, '');
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

export { printable };

/** A URL as it may be shown: no user info, no query (either may carry a secret). */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return printable(u.toString());
  } catch {
    return printable(raw.replace(/\/\/[^/@]*@/, '//').replace(/[?#].*$/, ''));
  }
}

/** Chart names become cache path segments and OCI repository names. */
export function validChartName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$/.test(name);
}

/** A version as it becomes a file name: semver characters only. */
export function validVersionName(version: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9.+_-]{0,127}$/.test(version) && !version.includes('..');
}

/** A version constraint as written in a HelmRelease or an Application. */
export function validConstraint(constraint: string): boolean {
  // eslint-disable-next-line no-control-regex
  return constraint.length <= 256 && !/[\u0000-\u001f\u007f]/.test(constraint);
}
