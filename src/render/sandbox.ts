import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExecError, which } from '../util/exec.js';

/**
 * Where a renderer runs. A render executes what a pull request wrote (Helm templates,
 * kustomizations), possibly from a fork, on the server that holds the App's private key
 * and webhook secret. It gets:
 * - its own network namespace (no interface but a downed loopback: no network at all),
 * - its own PID namespace with a fresh /proc (the server's process and its environment
 *   are not there to read),
 * - an address-space and a CPU-time limit (prlimit),
 * - an empty HOME outside the rendered tree, and no system or global git configuration.
 * Namespaces need root or unprivileged user namespaces; where neither works, renders run
 * with the limits only and the server says so at start (FERRY_SANDBOX=require refuses).
 */
export interface Sandbox {
  /** A network and PID namespace wrap every render. */
  namespaces: boolean;
  /**
   * Each render also gets its own mount namespace: an empty temporary folder (other
   * plans' trees gone), Ferry's cache and key file hidden, and every filesystem
   * read-only except the render's HOME.
   */
  filesystem: boolean;
  /** What sets up that view: one Perl process (FS_INIT_PERL), or the shell (FS_INIT); null without it. */
  setup: 'perl' | 'sh' | null;
  /** Memory and CPU limits are applied. */
  limits: boolean;
  /** Renders are refused when namespaces are unavailable (FERRY_SANDBOX=require). */
  required: boolean;
  memoryBytes: number;
  cpuSeconds: number;
  /** The command line that runs `cmd` inside the sandbox; `view` narrows what it sees of the filesystem. */
  wrap(cmd: string, args: string[], view?: FilesystemView): { cmd: string; args: string[] };
}

export interface FilesystemView {
  /** The temporary folder the tree and HOME live in; everything else in it disappears. */
  tmpRoot: string;
  /** The rendered tree (the working directory): visible, read-only. */
  tree: string;
  /** Folders of the tools that run (they may live in the temporary folder too): visible, read-only. */
  tools?: string[];
  /** The render's HOME: the only writable place. */
  home: string;
  /** Files and folders to hide (Ferry's cache, the App's key file). */
  hidden: string[];
}

/**
 * Runs as the first process of the render's mount namespace, before the tool. It keeps
 * the tree and HOME open, covers the temporary folder with an empty tmpfs, binds the two
 * back through their open descriptors (so their old paths still work), hides what it is
 * told to, makes every other writable mount read-only, and only then starts the tool
 * with no capabilities (root, or root of a user namespace, could otherwise simply
 * unmount or remount what was made hidden or read-only). When the server runs as real
 * root, the tool also runs as `nobody`. Kernel filesystems (/proc, /sys, /dev but
 * /dev/shm) are left as they are: remounting each cgroup mount cost more than the rest
 * of the setup, and without capabilities their files' owners protect them.
 */
const FS_INIT = `set -e
umask 022
drop=$1; tmproot=$2; home=$3; shift 3
fd=3; keep=
while [ "$1" != "--" ]; do
  eval "exec $fd<\\"\\$1\\""
  keep="$keep$fd:$1
"; fd=$((fd + 1)); shift
done
shift
mount --make-rprivate /
mount -t tmpfs -o mode=1777,size=64k ferry-empty "$tmproot"
printf %s "$keep" | while IFS= read -r k; do
  mkdir -p "\${k#*:}"
  mount --no-canonicalize --bind "/proc/self/fd/\${k%%:*}" "\${k#*:}"
done
for fd in 3 4 5 6 7 8 9; do eval "exec $fd<&-"; done
while [ "$1" != "--" ]; do
  if [ -d "$1" ]; then mount -t tmpfs -o size=4k,mode=0 ferry-hidden "$1"
  elif [ -e "$1" ]; then mount --bind /dev/null "$1"; fi
  shift
done
shift
if [ "$drop" = drop ]; then chmod 0755 "$PWD"; chown -R 65534:65534 "$home"; fi
awk '$4 ~ /^rw/ {print $2}' /proc/self/mounts | while read -r m; do
  case "$m" in
    "$home") ;;
    /proc|/proc/*|/sys|/sys/*|/dev|/dev/pts|/dev/mqueue) ;;
    *) mount -o remount,bind,ro "$m" 2>/dev/null || true ;;
  esac
done
cd "$PWD"
if [ "$drop" = drop ]; then
  exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"
fi
exec setpriv --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"`;

/**
 * The same steps as FS_INIT in one Perl process, the mount(2) calls made directly: the
 * shell started a dozen `mount`, `mkdir`, `awk` and `chown` processes per render (tens
 * of milliseconds on an idle machine, hundreds under load), this starts none (only
 * `exec`s). Used where Perl and this architecture's mount(2) number are known and the
 * probe passes; otherwise FS_INIT. Only builtins: no module is loaded.
 * Arguments: the mount(2) syscall number, then FS_INIT's.
 */
const FS_INIT_PERL = `
my ($nr, $drop, $tmproot, $home) = splice(@ARGV, 0, 4);
my (@keep, @hidden);
while ((my $x = shift @ARGV) ne '--') { push @keep, $x }
while ((my $x = shift @ARGV) ne '--') { push @hidden, $x }
umask 022;
my ($RDONLY, $NOSUID, $NODEV, $NOEXEC, $NOSYMFOLLOW, $REMOUNT, $BIND, $REC, $PRIVATE) = (1, 2, 4, 8, 256, 32, 4096, 16384, 262144);
sub mnt { my ($src, $dst, $type, $flags, $data) = @_; syscall($nr, $src, $dst, $type, $flags, $data) == 0 or die "ferry-sandbox: mount $dst: $!\n"; }
my $cwd = readlink('/proc/self/cwd') // die "ferry-sandbox: cwd: $!\n";
my @open;
for my $k (@keep) { open(my $fh, '<', $k) or die "ferry-sandbox: $k: $!\n"; push @open, [$fh, $k] }
mnt('none', '/', 0, $REC | $PRIVATE, 0);
mnt('ferry-empty', $tmproot, 'tmpfs', 0, 'mode=1777,size=64k');
for my $o (@open) {
  my ($fh, $k) = @$o;
  my $d = '';
  for (grep { length } split m{/}, $k) { $d .= "/$_"; mkdir $d unless -d $d }
  mnt('/proc/self/fd/' . fileno($fh), $k, 0, $BIND, 0);
}
close $_->[0] for @open;
for my $h (@hidden) {
  if (-d $h) { mnt('ferry-hidden', $h, 'tmpfs', 0, 'size=4k,mode=0') }
  elsif (-e $h) { mnt('/dev/null', $h, 0, $BIND, 0) }
}
sub own {
  my $p = shift;
  return if -l $p;
  chown(65534, 65534, $p) or die "ferry-sandbox: chown $p: $!\n";
  return unless -d _;
  opendir(my $dh, $p) or die "ferry-sandbox: $p: $!\n";
  own("$p/$_") for grep { $_ ne '.' && $_ ne '..' } readdir $dh;
}
if ($drop eq 'drop') { chmod(0755, $cwd) or die "ferry-sandbox: chmod: $!\n"; own($home) }
open(my $mounts, '<', '/proc/self/mounts') or die "ferry-sandbox: mounts: $!\n";
my @rw;
while (<$mounts>) {
  my (undef, $m, undef, $opts) = split / /;
  next unless $opts =~ /^rw/;
  $m =~ s/\\\\([0-7]{3})/chr(oct($1))/ge;
  next if $m eq $home || $m =~ m{^/(proc|sys)(/|$)} || $m eq '/dev' || $m eq '/dev/pts' || $m eq '/dev/mqueue';
  # A mount's own flags are kept (a user namespace refuses to clear nosuid, nodev, noexec); the kernel keeps atime.
  my $f = $REMOUNT | $BIND | $RDONLY;
  for (split /,/, $opts) { $f |= $NOSUID if $_ eq 'nosuid'; $f |= $NODEV if $_ eq 'nodev'; $f |= $NOEXEC if $_ eq 'noexec'; $f |= $NOSYMFOLLOW if $_ eq 'nosymfollow' }
  push @rw, [$m, $f];
}
close $mounts;
for (@rw) { my ($src, $m, $f) = ('none', @$_); syscall($nr, $src, $m, 0, $f, 0) }
chdir($cwd) or die "ferry-sandbox: cd: $!\n";
my @setpriv = $drop eq 'drop'
  ? ('setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--')
  : ('setpriv', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--');
exec { $setpriv[0] } @setpriv, @ARGV;
die "ferry-sandbox: setpriv: $!\n";
`;

/** mount(2)'s number where it is known (the Perl setup needs it); elsewhere the shell setup runs. */
const MOUNT_SYSCALL: Partial<Record<NodeJS.Architecture, number>> = { x64: 165, arm64: 40, riscv64: 40, ia32: 21, arm: 21 };

const MiB = 1024 * 1024;

const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function envNumber(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

function runs(cmd: string, args: string[], cwd?: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 10_000, cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }, (err) => resolve(!err));
  });
}

const NS_ARGS = ['--net', '--pid', '--fork', '--mount-proc', '--kill-child'];

/** Real root also drops to nobody; in a user namespace there is no other uid (capabilities go in both). */
function dropMode(nsArgs: string[]): 'drop' | 'keep' {
  return process.getuid?.() === 0 && !nsArgs.includes('--map-root-user') ? 'drop' : 'keep';
}

/** The command line of the mount-namespace setup, up to (not including) FS_INIT's arguments. */
type FsInit = string[];

/** Whether the mount-namespace view works here with `init`: tried once on throwaway folders. */
async function probeFilesystem(unshare: string, nsArgs: string[], init: FsInit): Promise<boolean> {
  const root = await mkdtemp(path.join(tmpdir(), 'ferry-probe-'));
  try {
    const tree = path.join(root, 'tree');
    const home = path.join(root, 'home');
    await mkdir(tree);
    await mkdir(home);
    await writeFile(path.join(tree, 'seen'), '');
    const check = `[ -e ${shQuote(path.join(tree, 'seen'))} ] && ! touch ${shQuote(path.join(tree, 'x'))} 2>/dev/null && touch ${shQuote(path.join(home, 'x'))}`;
    return await runs(unshare, [...nsArgs, '--', ...init, dropMode(nsArgs), root, home, tree, home, '--', '--', '/bin/sh', '-c', check], tree);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function probe(): Promise<Sandbox> {
  const mode = (process.env.FERRY_SANDBOX ?? 'auto').toLowerCase();
  const memoryBytes = envNumber('FERRY_RENDER_MEMORY_MB', 2048) * MiB;
  const cpuSeconds = envNumber('FERRY_RENDER_CPU_SECONDS', 60);
  const unshare = await which('unshare');
  const prlimit = await which('prlimit');
  let nsArgs: string[] | null = null;
  if (unshare) {
    // As root, plain namespaces; otherwise an unprivileged user namespace maps the
    // caller to root inside it (the files it can read stay the caller's).
    for (const extra of [[], ['--map-root-user']]) {
      if (await runs(unshare, [...extra, ...NS_ARGS, '--', 'true'])) {
        nsArgs = [...extra, ...NS_ARGS];
        break;
      }
    }
  }
  const limitArgs = prlimit ? [`--as=${memoryBytes}`, `--cpu=${cpuSeconds}`] : null;
  // The Perl setup where it works, else the shell's (same steps, a process per mount).
  const perl = MOUNT_SYSCALL[process.arch] !== undefined && process.env.FERRY_SANDBOX_SETUP !== 'sh' ? await which('perl') : null;
  const inits: Array<[Sandbox['setup'], FsInit]> = [
    ...(perl ? [['perl', [perl, '-e', FS_INIT_PERL, '--', String(MOUNT_SYSCALL[process.arch])]] as [Sandbox['setup'], FsInit]] : []),
    ['sh', ['/bin/sh', '-c', FS_INIT, 'ferry-sandbox']],
  ];
  let fsInit: FsInit | null = null;
  let setup: Sandbox['setup'] = null;
  if (nsArgs) {
    for (const [name, init] of inits) {
      if (await probeFilesystem(unshare!, nsArgs, init)) {
        [setup, fsInit] = [name, init];
        break;
      }
    }
  }
  const filesystem = !!fsInit;
  return {
    namespaces: !!nsArgs,
    filesystem,
    setup,
    limits: !!limitArgs,
    required: mode === 'require',
    memoryBytes,
    cpuSeconds,
    wrap(cmd, args, view) {
      let line = [cmd, ...args];
      if (limitArgs) line = [prlimit!, ...limitArgs, '--', ...line];
      if (filesystem && view) {
        const inTmp = (p: string) => p === view.tmpRoot || p.startsWith(view.tmpRoot.replace(/\/$/, '') + '/');
        // At most 7 folders can be kept open across the tmpfs (descriptors 3 to 9).
        const keep = [...new Set([view.tree, view.home, ...(view.tools ?? []).filter(inTmp)])].slice(0, 7);
        // Hiding a folder that holds what the render needs would hide that too.
        const within = (p: string, dir: string) => p === dir || p.startsWith(dir.replace(/\/$/, '') + '/');
        const hidden = view.hidden.filter((h) => ![view.tmpRoot, ...keep].some((k) => within(k, h)));
        line = [...fsInit!, dropMode(nsArgs!), view.tmpRoot, view.home, ...keep, '--', ...hidden, '--', ...line];
      }
      if (nsArgs) line = [unshare!, ...nsArgs, '--', ...line];
      return { cmd: line[0]!, args: line.slice(1) };
    },
  };
}

let detected: Promise<Sandbox> | null = null;

/** Probed once per process: the answer does not change while it runs. */
export function detectSandbox(): Promise<Sandbox> {
  detected ??= probe();
  return detected;
}

/**
 * The environment of one render: a fresh, empty HOME that no pull request wrote, and git
 * told to read no configuration but its own defaults and to speak no protocol, so a
 * kustomize that reaches for git can neither be configured by the PR nor fetch.
 */
export interface RenderHome {
  home: string;
  env: Record<string, string>;
  /** The helm kustomize may run: a wrapper that allows `template` and `version` only. */
  helm: string | null;
  dispose(): Promise<void>;
}


/**
 * The helm a kustomize render may run. Only `template` and `version`; no release name
 * that reads as a flag (kustomize passes `releaseName` as a positional argument); and
 * none of the flags that run a program, read a host file or fetch, whichever way they
 * got onto the command line.
 */
const HELM_WRAPPER = `#!/bin/sh
refuse() { echo "$1 is not allowed in a Ferry render" >&2; exit 1; }
case "$1" in
  version) exec @HELM@ "$@" ;;
  template) ;;
  *) refuse "helm $1 (charts must be in the repository)" ;;
esac
case "$2" in --generate-name) ;; -*) refuse "a release name starting with -" ;; esac
for a in "$@"; do
  case "$a" in
    --post-renderer*|--set-file*|--repo*|--kubeconfig*|--kube-context*|--kube-apiserver*|--kube-token*|--kube-ca-file*|--kube-as-*|--kube-insecure-skip-tls-verify*|--kube-tls-server-name*|--registry-config*|--repository-config*|--repository-cache*|--ca-file*|--cert-file*|--key-file*|--keyring*|--verify*|--dependency-update*|--output-dir*|--username*|--password*|--plain-http*|--insecure-skip-tls-verify*|--pass-credentials*|--validate*|--dry-run=server*) refuse "helm $a" ;;
  esac
done
exec @HELM@ "$@"
`;

export async function renderHome(helm: string | null = null): Promise<RenderHome> {
  const home = await mkdtemp(path.join(tmpdir(), 'ferry-home-'));
  const tmp = path.join(home, 'tmp');
  await mkdir(tmp);
  const plugins = path.join(home, 'no-helm-plugins');
  await mkdir(plugins);
  let wrapper: string | null = null;
  if (helm) {
    // kustomize runs `helm pull` for charts it does not find locally, and a pull runs
    // downloader plugins: a render may only template.
    // Beside HOME, not in it: HOME is the one place a render may write, and the wrapper
    // must not be something the wrapped helm can rewrite (its folder is read-only there).
    const bin = await mkdtemp(path.join(tmpdir(), 'ferry-helmw-'));
    await chmod(bin, 0o755);
    wrapper = path.join(bin, 'helm');
    await writeFile(
      wrapper,
      HELM_WRAPPER.replaceAll('@HELM@', () => shQuote(helm)),
      { mode: 0o755 },
    );
  }
  const env: Record<string, string> = {
    HOME: home,
    TMPDIR: tmp,
    XDG_CONFIG_HOME: path.join(home, 'config'),
    XDG_CACHE_HOME: path.join(home, 'cache'),
    XDG_DATA_HOME: path.join(home, 'data'),
    HELM_CACHE_HOME: path.join(home, 'cache', 'helm'),
    HELM_CONFIG_HOME: path.join(home, 'config', 'helm'),
    HELM_DATA_HOME: path.join(home, 'data', 'helm'),
    // Helm finds plugins here whatever HELM_DATA_HOME kustomize sets from a PR's
    // `configHome`: an empty folder, so no PR-written plugin ever runs.
    HELM_PLUGINS: plugins,
    HELM_REPOSITORY_CONFIG: '/dev/null',
    HELM_REGISTRY_CONFIG: '/dev/null',
    KUBECONFIG: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_SYSTEM: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ALLOW_PROTOCOL: 'none',
    // Without a network namespace this at least sends non-loopback HTTP nowhere.
    HTTP_PROXY: 'http://127.0.0.1:9',
    HTTPS_PROXY: 'http://127.0.0.1:9',
    http_proxy: 'http://127.0.0.1:9',
    https_proxy: 'http://127.0.0.1:9',
  };
  return {
    home,
    env,
    helm: wrapper,
    async dispose() {
      await rm(home, { recursive: true, force: true });
      if (wrapper) await rm(path.dirname(wrapper), { recursive: true, force: true });
    },
  };
}

const HOST_PATH_RE = new RegExp(
  String.raw`(^|[\s'"(=:])\/(?:${['tmp', 'home', 'root', 'var', 'etc', 'usr', 'proc', 'opt', 'srv', 'run', 'mnt', 'media', 'app', 'work', 'workspace', 'dev', 'sys', 'bin', 'sbin', 'lib', 'lib64', 'nix', 'snap', 'private', 'Users', 'boot', 'cache'].join('|')})(?:\/[\w.@+-]+)*\/?`,
  'g',
);

/** Go runtimes print these when an allocation fails under the address-space limit. */
const OOM_RE = /fatal error: (runtime: )?out of memory|runtime: cannot allocate memory|cannot allocate memory/;

/** A renderer failure in words a reader can act on, or null when stderr says it best. */
export function limitMessage(err: ExecError, sandbox: Sandbox): string | null {
  if (err.reason === 'exit' && OOM_RE.test(err.stderr)) {
    return `exceeded the render memory limit (${Math.round(sandbox.memoryBytes / MiB)} MiB)`;
  }
  if (err.signal === 'SIGXCPU') return `exceeded the render CPU time limit (${sandbox.cpuSeconds} s)`;
  // unshare reports a child killed by a signal this way on some kernels.
  if (err.signal === 'SIGKILL' || (err.reason === 'exit' && /^unshare: sigprocmask/m.test(err.stderr))) {
    return `was stopped by a render limit (CPU time ${sandbox.cpuSeconds} s or memory ${Math.round(sandbox.memoryBytes / MiB)} MiB)`;
  }
  return null;
}

/**
 * Renderer stderr as it may appear on a pull request: repository paths instead of the
 * private tree's location, no other host path, no process id, no Go stack trace.
 */
export function scrubStderr(stderr: string, root: string, home: string): string {
  let s = stderr;
  // A goroutine dump says nothing to a reader and names server paths.
  const dump = s.search(/^(goroutine \d+ \[|panic: |\[signal )/m);
  if (dump >= 0) s = s.slice(0, dump) + (dump === 0 ? '(a stack trace, not shown)' : '');
  s = s.split(root + '/').join('').split(root).join('.');
  s = s.split(home).join('~');
  s = s.replace(/\/proc\/\d+/g, '/proc/…');
  // Other host paths are the server's business. Only paths under a host's top-level
  // folders: a JSON pointer such as /data/key or /spec/replicas is the reader's.
  s = s.replace(HOST_PATH_RE, '$1…');
  s = s.replace(/\b(pid|PID|process)(\s*[=:]?\s*)\d+/g, '$1$2…');
  return s.trim();
}
