import { redact } from '../workspace/git.js';
import { printable } from '../util/printable.js';

/**
 * Which repository a GitOps source names, as far as Ferry can tell. The callers pass the
 * repository's own clone URLs (the forge's web, HTTPS and SSH URLs, the CLI's remotes,
 * ferry.yml `render.repositoryURLs`); a source whose URL is none of them is another
 * repository, whose folders are not this tree's. With no URL known, nothing can be told
 * and every source is taken as this repository, as before.
 *
 * Two URLs name the same repository when host and path agree once the scheme (https,
 * http, ssh, git), the scp form `git@host:owner/repo`, credentials, a port, `.git`, extra
 * slashes and letter case are set aside. Argo CD's NormalizeGitURL lowercases the whole
 * URL as well; GitHub and GitLab paths are case-insensitive. Every difference left out
 * leans towards "the same", the old behaviour, never towards hiding this repository.
 */

/** An ownership answer: `unknown` when no own URL is known or the URL is not a remote one (a local path, a template). */
export type Ownership = 'this' | 'other' | 'unknown';

/** The repository's own URLs, as keys. Empty: unknown. */
export type OwnRepository = ReadonlySet<string>;

const URL_RE = /^(?:https?|ssh|git|git\+ssh|ssh\+git):\/\/(?:[^/?#]*@)?(\[[^\]/]*\]|[^/:?#@]+)(?::\d*)?(\/[^?#]*)?(?:[?#].*)?$/i;
/** scp form: `[user@]host:path`, no scheme, no slash before the colon (a one-letter host is a Windows drive). */
const SCP_RE = /^(?:[^@/:\s]+@)?([^/:\s@]{2,}):(?!\/\/)([^\s]*)$/;

/** The repository a git URL names (`host/owner/repo`, lowercased), or null when it is no remote git URL. */
export function repositoryKey(url: string): string | null {
  const u = url.trim();
  if (u === '' || u.length > 2048 || /\s|\{\{|\$\{/.test(u)) return null;
  const m = URL_RE.exec(u) ?? SCP_RE.exec(u);
  if (!m) return null;
  const host = m[1]!.toLowerCase().replace(/\.$/, '');
  const repo = (m[2] ?? '').split('/').filter((s) => s !== '').join('/').toLowerCase().replace(/\.git$/, '').replace(/\/+$/, '');
  if (!host || !repo) return null;
  return `${host}/${repo}`;
}

/** The keys of the URLs given that are remote git URLs (the rest cannot be matched: left out). */
export function ownRepository(urls: Iterable<string> | undefined): OwnRepository {
  const out = new Set<string>();
  for (const u of urls ?? []) {
    const k = typeof u === 'string' ? repositoryKey(u) : null;
    if (k) out.add(k);
  }
  return out;
}

/** Whether `url` is this repository, another one, or cannot be told. */
export function ownership(url: string, own: OwnRepository | undefined): Ownership {
  if (!own || own.size === 0) return 'unknown';
  const k = repositoryKey(url);
  if (k === null) return 'unknown';
  return own.has(k) ? 'this' : 'other';
}

/** How much of a URL is looked at for display (a URL Git accepts is far shorter). */
const MAX_URL_SCAN = 2048;

/**
 * A URL as findings may show it: no credentials (`user:token@`, a bare token as the user
 * of an HTTP URL, any SSH user but `git`), no query or fragment, control, bidi and line
 * separator characters escaped (printable), cut to 200 characters.
 */
export function displayURL(url: string): string {
  // Cut first: what follows is shown cut to 200 characters anyway, and the patterns below
  // must not see a PR's megabyte of colons.
  let u = url.trim().slice(0, MAX_URL_SCAN);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/i.exec(u);
  if (scheme) {
    const s = scheme[1]!;
    let authority = scheme[2]!;
    const at = authority.lastIndexOf('@');
    if (at >= 0) {
      const user = authority.slice(0, at);
      // `git@` is how SSH URLs are written; any other user may be a token.
      const keep = /ssh/i.test(s) && user === 'git';
      authority = (keep ? user + '@' : '') + authority.slice(at + 1);
    }
    u = `${s}://${authority}${scheme[3]!.replace(/[?#].*$/, '')}`;
  } else {
    // Not a URL: anything shaped like `user:secret@` goes all the same.
    if (u.includes('@')) u = u.replace(/[^\s/@:]+:[^\s/@]*@/g, '');
    u = u.replace(/[?#].*$/, '');
  }
  // One line: a finding is a line of text in every report.
  return printable(redact(u), 199);
}
