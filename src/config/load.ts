import { Ajv, type ErrorObject } from 'ajv';
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ConfiguredApp, EnvironmentSpec, Finding, RuleLevel } from '../types.js';
import schema from './schema.json' with { type: 'json' };
import type { DiffIgnoreRule, FerryConfig, PromotionStep, ProtectConfig, ProtectionSettings, ReviewRule } from './types.js';
import { SCHEMA_MINOR } from '../validate/newer-apis.js';
import { globProblem } from './glob-limits.js';
import { parseDuration, parseSize } from './units.js';

export const CONFIG_FILES = ['.github/ferry.yml', '.github/ferry.yaml', '.gitlab/ferry.yml', '.gitlab/ferry.yaml'];
const MAX_CONFIG_BYTES = 1024 * 1024;

/** Every rule id a config may set a level for (the JSON Schema's list; a test keeps it equal to the engine's). */
export const KNOWN_RULE_IDS: readonly string[] = schema.properties.validate.properties.rules.propertyNames.enum;

export type ConfigResult = { ok: true; config: FerryConfig } | { ok: false; findings: Finding[] };

const ajv = new Ajv({ allErrors: true, strict: false });
const validateSchema = ajv.compile(schema);

export function implicitConfig(): FerryConfig {
  return {
    environments: [{ name: 'default' }],
    implicit: true,
    render: { timeoutMs: 120_000, maxOutputBytes: 64 * 1024 * 1024, flux: true, argo: true },
    // The release Ferry's built-in schemas come from: the newest API Ferry knows.
    validate: { kubernetesVersion: `1.${SCHEMA_MINOR}`, strict: true, rules: {} },
    promotion: [],
    review: [],
    commands: { promote: null, plan: null },
  };
}

/** The config file to read: an explicit one, else the first of CONFIG_FILES that exists. */
export function findConfigFile(exists: (relPath: string) => boolean, explicit?: string): string | null {
  if (explicit) return explicit;
  return CONFIG_FILES.find((f) => exists(f)) ?? null;
}

type Segment = string | number;

function keyPath(segments: Segment[]): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out ? `.${s}` : s;
  return out || '(top level)';
}

/** Small edit distance for "did you mean": transpositions and one-letter slips. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

export function nearest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = distance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestD) [best, bestD] = [c, dist];
  }
  return best !== null && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

class Reporter {
  readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();

  constructor(
    private readonly file: string,
    private readonly doc: Document | null,
    private readonly lc: LineCounter,
  ) {}

  /** Line of the value at `path`, or of its key when `atKey`; the nearest existing parent otherwise. */
  line(path: Segment[], atKey = false): number | null {
    if (!this.doc) return null;
    for (let n = path.length; n >= 0; n--) {
      const sub = path.slice(0, n);
      if (atKey && n === path.length && n > 0) {
        const parent = sub.length > 1 ? this.doc.getIn(sub.slice(0, -1), true) : this.doc.contents;
        if (isMap(parent)) {
          const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === sub[sub.length - 1]);
          const r = (pair?.key as Node | undefined)?.range;
          if (r) return this.lc.linePos(r[0]).line;
        }
      }
      const node = n === 0 ? this.doc.contents : this.doc.getIn(sub, true);
      if (isNode(node) && node.range) return this.lc.linePos(node.range[0]).line;
    }
    return 1;
  }

  add(path: Segment[], message: string, line = this.line(path)): void {
    const text = `${this.file}${line ? `:${line}` : ''}: ${keyPath(path)}: ${message}`;
    if (this.seen.has(text)) return;
    this.seen.add(text);
    this.findings.push({ severity: 'error', rule: 'config', message: text, file: this.file, line, resource: null });
  }

  raw(line: number | null, message: string): void {
    this.findings.push({
      severity: 'error', rule: 'config', file: this.file, line, resource: null,
      message: `${this.file}${line ? `:${line}` : ''}: ${message}`,
    });
  }
}

function pointerToPath(pointer: string): Segment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** The sub-schema at a JSON pointer into the schema (for listing allowed keys). */
function schemaAt(schemaPath: string): Record<string, unknown> | null {
  let node: unknown = schema;
  for (const seg of schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    if (!node || typeof node !== 'object') return null;
    node = (node as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node && typeof node === 'object' ? (node as Record<string, unknown>) : null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}

function reportSchemaError(e: ErrorObject, data: unknown, rep: Reporter): void {
  const path = pointerToPath(e.instancePath);
  const value = path.reduce<unknown>((v, s) => (v && typeof v === 'object' ? (v as Record<string | number, unknown>)[s] : undefined), data);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const parent = schemaAt(e.schemaPath.replace(/\/additionalProperties$/, ''));
      const known = Object.keys((parent?.properties as Record<string, unknown>) ?? {});
      const hint = nearest(key, known);
      rep.add([...path, key], `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of: ${known.join(', ')}`, rep.line([...path, key], true));
      return;
    }
    case 'propertyNames':
      return; // reported by the nested enum error with the offending name
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v));
      if (e.propertyName !== undefined) {
        const hint = nearest(e.propertyName, allowed.map((a) => JSON.parse(a) as string));
        rep.add([...path, e.propertyName], `unknown rule${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of ${allowed.join(', ')}`, rep.line([...path, e.propertyName], true));
        return;
      }
      const hint = typeof value === 'string' ? nearest(value, allowed.map((a) => JSON.parse(a) as string)) : null;
      rep.add(path, `expected one of ${allowed.join(', ')}, got ${describe(value)}${hint ? ` (did you mean "${hint}"?)` : ''}`);
      return;
    }
    case 'required':
      rep.add(path, `missing required key "${(e.params as { missingProperty: string }).missingProperty}"`);
      return;
    case 'type': {
      const expected = (e.params as { type: string }).type;
      const last = path[path.length - 1];
      if (last === 'kubernetesVersion' && typeof value === 'number') {
        rep.add(path, `expected a string like "1.31", got ${value} (quote it: 1.30 reads as the number 1.3)`);
        return;
      }
      const words: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', boolean: 'true or false', integer: 'a whole number' };
      rep.add(path, `expected ${words[expected] ?? expected}, got ${describe(value)}`);
      return;
    }
    case 'pattern': {
      const last = path[path.length - 1];
      const what =
        last === 'kubernetesVersion' ? 'a version like "1.31"'
        : last === 'timeout' || last === 'soak' ? 'a duration like 30s, 5m, 1h30m or 2d'
        : last === 'maxOutput' ? 'a size like 50MB or 512KiB'
        : last === 'name' ? 'letters, digits, ".", "_" or "-"'
        : path[path.length - 2] === 'paths' ? 'a JSON pointer like /data/ca.crt'
        : path[path.length - 2] === 'kinds' ? 'a resource kind like ClusterRole, or Kind/name-glob like Secret/db-*'
        : `text matching ${(e.params as { pattern: string }).pattern}`;
      rep.add(path, `expected ${what}, got ${describe(value)}`);
      return;
    }
    case 'minItems':
      rep.add(path, 'must not be empty');
      return;
    default:
      rep.add(path, e.message ?? 'invalid');
  }
}

function isRepoRelative(p: string): boolean {
  if (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.includes('\\')) return false;
  return !p.split('/').includes('..');
}

function normalizePath(p: string): string {
  const clean = p.replace(/^\.\/+/, '').replace(/\/+$/, '').replace(/\/{2,}/g, '/');
  return clean === '.' ? '' : clean;
}

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Checks the schema cannot express: references between sections, cycles, safe paths. */
function semanticChecks(raw: Raw, rep: Reporter): void {
  const envs: Raw[] = raw.environments ?? implicitConfig().environments;
  const names = new Map<string, number>();
  envs.forEach((env, i) => {
    if (names.has(env.name)) rep.add(['environments', i, 'name'], `duplicate environment name "${env.name}" (also environments[${names.get(env.name)}])`);
    else names.set(env.name, i);
    if (typeof env.path === 'string' && !isRepoRelative(env.path)) rep.add(['environments', i, 'path'], `must be a path inside the repository, got "${env.path}"`);
    const appNames = new Map<string, number>();
    (env.apps ?? []).forEach((app: Raw, j: number) => {
      if (appNames.has(app.name)) rep.add(['environments', i, 'apps', j, 'name'], `duplicate app name "${app.name}" in environment "${env.name}"`);
      else appNames.set(app.name, j);
      if (typeof app.path === 'string' && !isRepoRelative(app.path)) rep.add(['environments', i, 'apps', j, 'path'], `must be a path inside the repository, got "${app.path}"`);
      (app.helm?.valuesFiles ?? []).forEach((v: string, k: number) => {
        if (!isRepoRelative(`${app.path}/${v}`) || v.startsWith('/')) rep.add(['environments', i, 'apps', j, 'helm', 'valuesFiles', k], `must be a path inside the repository, got "${v}"`);
      });
    });
  });
  (raw.validate?.schemas ?? []).forEach((f: unknown, i: number) => {
    if (typeof f === 'string' && !isRepoRelative(f)) rep.add(['validate', 'schemas', i], `must be a path inside the repository, got "${f}"`);
  });
  const known = [...names.keys()];
  const envRef = (path: Segment[], name: unknown) => {
    if (typeof name === 'string' && !names.has(name)) {
      const hint = nearest(name, known);
      rep.add(path, `unknown environment "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; defined: ${known.join(', ')}`);
    }
  };
  const edges = new Map<string, string[]>();
  (raw.promotion ?? []).forEach((step: Raw, i: number) => {
    envRef(['promotion', i, 'from'], step.from);
    envRef(['promotion', i, 'to'], step.to);
    if (step.from === step.to) rep.add(['promotion', i, 'to'], `a step cannot promote "${step.from}" to itself`);
    // Each strategy needs the part of the environment it works on.
    const need = (step.strategy ?? 'directory') === 'branch' ? 'branch' : 'path';
    for (const side of ['from', 'to'] as const) {
      const env = names.has(step[side]) ? envs[names.get(step[side])!] : undefined;
      if (env && env[need] === undefined) {
        rep.add(['promotion', i, side], `the ${step.strategy ?? 'directory'} strategy needs environment "${step[side]}" to set \`${need}\``);
      }
    }
    if (need === 'path') {
      const [a, b] = [step.from, step.to].map((n) => (names.has(n) ? envs[names.get(n)!]?.path : undefined));
      if (typeof a === 'string' && typeof b === 'string' && (a === b || a.startsWith(b + '/') || b.startsWith(a + '/'))) {
        rep.add(['promotion', i, 'to'], `environments "${step.from}" and "${step.to}" must use separate folders for the directory strategy`);
      }
    }
    edges.set(step.from, [...(edges.get(step.from) ?? []), step.to]);
  });
  // A cycle would make `/promote` chains endless.
  const visiting = new Set<string>();
  const done = new Set<string>();
  const cyclic = (n: string): boolean => {
    if (visiting.has(n)) return true;
    if (done.has(n)) return false;
    visiting.add(n);
    const hit = (edges.get(n) ?? []).some(cyclic);
    visiting.delete(n);
    done.add(n);
    return hit;
  };
  if ([...edges.keys()].some(cyclic)) rep.add(['promotion'], 'promotion steps form a cycle', rep.line(['promotion'], true));
  (raw.review ?? []).forEach((rule: Raw, i: number) => {
    (rule.when?.environments ?? []).forEach((e: string, j: number) => envRef(['review', i, 'when', 'environments', j], e));
  });
  // A branch override must name a branch Ferry audits: an environment's branch, or the
  // default branch (unknown here) when some environment is a folder.
  const envBranches = envs.map((e) => e.branch).filter((b): b is string => typeof b === 'string');
  if (raw.protect?.branches && envBranches.length === envs.length) {
    for (const name of Object.keys(raw.protect.branches as Raw)) {
      if (envBranches.includes(name)) continue;
      const hint = nearest(name, envBranches);
      rep.add(['protect', 'branches', name], `"${name}" is no environment's branch${hint ? ` (did you mean "${hint}"?)` : ''}; environment branches: ${[...new Set(envBranches)].join(', ')}`, rep.line(['protect', 'branches', name], true));
    }
  }
  const glob = (path: Segment[], g: string) => {
    const problem = globProblem(g);
    if (problem) rep.add(path, `glob ${g.length > 60 ? `${JSON.stringify(g.slice(0, 57))}…` : JSON.stringify(g)} ${problem}; matching it could take minutes`);
  };
  (raw.promotion ?? []).forEach((step: Raw, i: number) => (step.keep ?? []).forEach((g: string, j: number) => glob(['promotion', i, 'keep', j], g)));
  (raw.review ?? []).forEach((rule: Raw, i: number) => (rule.when?.paths ?? []).forEach((g: string, j: number) => glob(['review', i, 'when', 'paths', j], g)));
  (raw.review ?? []).forEach((rule: Raw, i: number) => (rule.when?.kinds ?? []).forEach((k: string, j: number) => {
    const slash = k.indexOf('/');
    if (slash >= 0) glob(['review', i, 'when', 'kinds', j], k.slice(slash + 1));
  }));
  (raw.review ?? []).forEach((rule: Raw, i: number) => {
    const teams = rule.teams ?? [];
    const users = rule.users ?? [];
    // A rule needing approvals from nobody in particular counts anyone's; code owners are not known here.
    if (((rule.approvals ?? 1) > 0 && teams.length === 0 && users.length === 0) || rule.codeowners) return;
    if ((rule.approvals ?? 1) > users.length && teams.length === 0) {
      rep.add(['review', i, 'approvals'], `needs ${rule.approvals ?? 1} approvals but lists only ${users.length} user${users.length === 1 ? '' : 's'} and no team: it could never be met`);
    }
  });
}

function toConfig(raw: Raw): FerryConfig {
  const base = implicitConfig();
  // Without `environments`, the one implicit environment a repository without ferry.yml gets.
  const environments: EnvironmentSpec[] = ((raw.environments ?? base.environments) as Raw[]).map((e) => {
    const env: EnvironmentSpec = { name: e.name };
    if (e.branch !== undefined) env.branch = e.branch;
    if (e.path !== undefined) env.path = normalizePath(e.path);
    if (e.apps) {
      env.apps = (e.apps as Raw[]).map((a): ConfiguredApp => {
        const app: ConfiguredApp = { name: a.name, path: normalizePath(a.path) };
        if (a.renderer !== undefined) app.renderer = a.renderer;
        if (a.helm) app.helm = { ...a.helm };
        return app;
      });
    }
    return env;
  });
  const promotion: PromotionStep[] = ((raw.promotion ?? []) as Raw[]).map((p) => ({
    from: p.from,
    to: p.to,
    strategy: p.strategy ?? 'directory',
    keep: p.keep ?? [],
    gates: { statuses: p.gates?.statuses ?? [], soakMs: p.gates?.soak ? parseDuration(p.gates.soak) : null },
    auto: p.auto ?? false,
  }));
  const review: ReviewRule[] = ((raw.review ?? []) as Raw[]).map((r) => ({
    name: r.name,
    when: structuredClone(r.when ?? {}),
    approvals: r.approvals ?? 1,
    teams: r.teams ?? [],
    users: r.users ?? [],
    dismissStale: r.dismissStale ?? true,
    codeowners: r.codeowners ?? false,
  }));
  const protect = raw.protect ? protectConfig(raw.protect as Raw, review.length > 0) : null;
  const perm = (p: Raw | undefined) => (p ? { teams: p.teams ?? [], users: p.users ?? [] } : null);
  return {
    environments,
    implicit: false,
    render: {
      ...(raw.render?.kustomize ? { kustomize: raw.render.kustomize } : {}),
      ...(raw.render?.helm ? { helm: raw.render.helm } : {}),
      timeoutMs: raw.render?.timeout ? parseDuration(raw.render.timeout)! : base.render.timeoutMs,
      maxOutputBytes: raw.render?.maxOutput ? parseSize(raw.render.maxOutput)! : base.render.maxOutputBytes,
      flux: typeof raw.render?.flux === 'boolean' ? raw.render.flux : base.render.flux,
      argo: typeof raw.render?.argo === 'boolean' ? raw.render.argo : base.render.argo,
      ...(Array.isArray(raw.render?.repositoryURLs) && raw.render.repositoryURLs.length ? { repositoryURLs: [...(raw.render.repositoryURLs as string[])] } : {}),
    },
    validate: {
      kubernetesVersion: raw.validate?.kubernetesVersion ?? base.validate.kubernetesVersion,
      strict: raw.validate?.strict ?? true,
      rules: { ...((raw.validate?.rules ?? {}) as Record<string, RuleLevel>) },
      ...(raw.validate?.schemas ? { schemas: (raw.validate.schemas as string[]).map(normalizePath) } : {}),
    },
    ...(raw.diff ? { diff: { ignore: ((raw.diff.ignore ?? []) as Raw[]).map((r) => ({ ...r, paths: [...r.paths] }) as DiffIgnoreRule) } } : {}),
    promotion,
    review,
    commands: { promote: perm(raw.commands?.promote), plan: perm(raw.commands?.plan) },
    ...(protect ? { protect } : {}),
  };
}

const SETTING_KEYS = ['checks', 'approvals', 'dismissStale', 'allowForcePushes', 'allowDeletions', 'includeAdmins'] as const;

function protectConfig(raw: Raw, hasReviewRules: boolean): ProtectConfig {
  // ferry/review is written only when there are review rules: requiring it otherwise
  // would block every merge on a check that never comes.
  const defaults: ProtectionSettings = {
    checks: ['ferry/plan', 'ferry/validate', ...(hasReviewRules ? ['ferry/review'] : [])],
    approvals: 1, dismissStale: true, allowForcePushes: false, allowDeletions: false, includeAdmins: true,
  };
  const pick = (r: Raw): Partial<ProtectionSettings> => {
    const out: Partial<ProtectionSettings> = {};
    for (const k of SETTING_KEYS) if (r[k] !== undefined) (out as Raw)[k] = k === 'checks' ? [...new Set(r[k] as string[])] : r[k];
    return out;
  };
  const branches: Record<string, Partial<ProtectionSettings>> = {};
  for (const [name, r] of Object.entries((raw.branches ?? {}) as Record<string, Raw>)) branches[name] = pick(r);
  return { enforce: raw.enforce ?? false, settings: { ...defaults, ...pick(raw) }, branches };
}

/** Parses and validates ferry.yml text. Never throws: every problem is a finding naming file, line and key. */
export function parseConfig(text: string, file: string): ConfigResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const rep = new Reporter(file, doc, lc);
  if (doc.errors.length) {
    for (const e of doc.errors) rep.raw(e.linePos?.[0]?.line ?? lc.linePos(e.pos[0]).line, `invalid YAML: ${e.message.split('\n')[0]}`);
    return { ok: false, findings: rep.findings };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const msg = (err as Error).message;
    rep.raw(null, /alias/i.test(msg) ? 'too many YAML aliases (limit 100): refusing a possible alias bomb' : `invalid YAML: ${msg}`);
    return { ok: false, findings: rep.findings };
  }
  // An empty file (or only comments) is a repository opting in with nothing to change.
  if (data === null || data === undefined) data = {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    rep.raw(1, `expected a mapping at the top level, got ${describe(data)}`);
    return { ok: false, findings: rep.findings };
  }
  if (!validateSchema(data)) {
    for (const e of validateSchema.errors ?? []) reportSchemaError(e, data, rep);
  } else {
    semanticChecks(data as Raw, rep);
  }
  if (rep.findings.length) {
    rep.findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    return { ok: false, findings: rep.findings };
  }
  return { ok: true, config: toConfig(data as Raw) };
}

/** Like parseConfig, for raw bytes: size and UTF-8 are checked first. */
export function parseConfigBuffer(buf: Buffer, file: string): ConfigResult {
  const rep = new Reporter(file, null, new LineCounter());
  if (buf.length > MAX_CONFIG_BYTES) {
    rep.raw(null, `the file is ${(buf.length / 1024 / 1024).toFixed(1)} MB; a ferry.yml may be at most 1 MB`);
    return { ok: false, findings: rep.findings };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    rep.raw(null, 'the file is not valid UTF-8');
    return { ok: false, findings: rep.findings };
  }
  return parseConfig(text, file);
}
