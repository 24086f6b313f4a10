import type { EnvironmentSpec, RuleLevel } from '../types.js';

/** The typed form of ferry.yml after validation and defaults. */
export interface FerryConfig {
  environments: EnvironmentSpec[];
  /** True when no config file existed and defaults were derived from the repository. */
  implicit: boolean;
  render: RenderConfig;
  validate: ValidateConfig;
  /** Set only when ferry.yml has a `diff` section. */
  diff?: DiffConfig;
  promotion: PromotionStep[];
  review: ReviewRule[];
  commands: CommandsConfig;
  /** Set only when ferry.yml has a `protect` section: Ferry audits nothing otherwise. */
  protect?: ProtectConfig;
}

export interface RenderConfig {
  /** `kustomize` binary or `kubectl` (then `kubectl kustomize` is used); auto-detected when unset. */
  kustomize?: string;
  /** Path to `helm`; looked up on PATH when unset. */
  helm?: string;
  /** Per-subprocess timeout in milliseconds. */
  timeoutMs: number;
  /** Largest stdout a renderer may produce, in bytes. */
  maxOutputBytes: number;
  /** Flux Kustomizations in the repository are apps rendered as Flux would (default true). */
  flux: boolean;
  /** Argo CD Applications and ApplicationSets in the repository are apps rendered as Argo CD would (default true). */
  argo: boolean;
  /** More URLs of this repository (mirrors, aliases), beside the ones the forge or the CLI knows. */
  repositoryURLs?: string[];
}

export interface ValidateConfig {
  /** Target Kubernetes minor version, e.g. "1.31". */
  kubernetesVersion: string;
  /** Report fields the schema does not know (`replica:` for `replicas:`). */
  strict: boolean;
  /** Rule id → level. Unlisted rules use their default level. */
  rules: Record<string, RuleLevel>;
  /** Repository folders of JSON Schemas in the kubeconform layout (`{group}/{kind}_{version}.json`). */
  schemas?: string[];
}

export interface DiffConfig {
  ignore: DiffIgnoreRule[];
}

/** Fields dropped from both sides before diffing, in the resources the filters match. */
export interface DiffIgnoreRule {
  kind?: string;
  /** Exact, or a prefix when it ends in `*`. */
  name?: string;
  namespace?: string;
  /** JSON pointers; a `*` segment matches every key or item. */
  paths: string[];
}

export interface PromotionGates {
  statuses: string[];
  /** Minimum age of the source change, in milliseconds. */
  soakMs: number | null;
}

export interface PromotionStep {
  from: string;
  to: string;
  strategy: 'directory' | 'branch';
  keep: string[];
  gates: PromotionGates;
  auto: boolean;
}

/** When a review rule applies: every key set must hold (AND); no key set means always. */
export interface ReviewWhen {
  /** Any of these environments has a change in the plan. */
  environments?: string[];
  /** Any changed file matches one of these globs. */
  paths?: string[];
  /** Any changed resource is of one of these kinds (`Secret`), or `Kind/name-glob`. */
  kinds?: string[];
  /** true: the plan removes a resource; false: it removes none. */
  removals?: boolean;
  /** true: the plan has error findings; false: it has none. */
  errors?: boolean;
  /** The PR carries any of these labels. */
  labels?: string[];
  /** The author is in any of `in` and in none of `notIn` (team slugs or `org/slug`). */
  author?: { in?: string[]; notIn?: string[] };
}

export interface ReviewRule {
  name: string;
  when: ReviewWhen;
  approvals: number;
  teams: string[];
  users: string[];
  /** An approval given on another commit than the head does not count. */
  dismissStale: boolean;
  /** Approvals from the CODEOWNERS (at the base) of the changed files count, and each owned file needs one. */
  codeowners: boolean;
}

export interface CommandPermission {
  teams: string[];
  users: string[];
}

export interface CommandsConfig {
  promote: CommandPermission | null;
  plan: CommandPermission | null;
}

/** Branch protection as Ferry compares it, whatever the forge calls each setting. */
export interface ProtectionSettings {
  /** Status checks that must pass before a merge. */
  checks: string[];
  /** Approving reviews required (0: none). */
  approvals: number;
  dismissStale: boolean;
  allowForcePushes: boolean;
  allowDeletions: boolean;
  includeAdmins: boolean;
}

export interface ProtectConfig {
  /** Apply the difference, not only report it. */
  enforce: boolean;
  /** The settings every environment branch gets (defaults filled in). */
  settings: ProtectionSettings;
  /** Branch name → the settings that differ for that branch. */
  branches: Record<string, Partial<ProtectionSettings>>;
}
