// Data shared by the engine's modules. Everything here is plain data: no I/O handles,
// no forge types, so a plan can be serialized, cached and compared.

import type { ReviewRule } from './config/types.js';

export type Severity = 'error' | 'warning' | 'info';
/** A rule's configured level; `off` disables it. */
export type RuleLevel = Severity | 'off';

/** Kubernetes object identity used for pairing and for messages. */
export interface ResourceId {
  apiVersion: string;
  kind: string;
  namespace: string | null;
  name: string;
}

/**
 * Where a value in a resource was written. `locate` maps a JSON pointer inside the
 * object (`/spec/template/spec/containers/0/image`) to a 1-based line in `file`,
 * falling back to the document's first line when the pointer cannot be traced.
 */
export interface SourceRef {
  /** Repository-relative path, POSIX separators. */
  file: string;
  /** 1-based line where the resource's document starts in `file`, when known. */
  line: number | null;
  locate?: (pointer: string) => number | null;
  /**
   * Where a Kustomize patch last set the value at a pointer, when one did: a finding
   * about that value belongs there (`file` is the patch file, or the kustomization
   * holding an inline patch). Null when the value is the source document's.
   */
  patchedAt?: (pointer: string) => { file: string; line: number | null } | null;
  /** Rule ids silenced by a `# ferry:ignore rule-a,rule-b` comment in the source document. */
  ignoredRules?: string[];
}

export interface Resource {
  id: ResourceId;
  /** The object as rendered (parsed YAML). */
  object: Record<string, unknown>;
  source: SourceRef | null;
  /**
   * The object of the app that made this one when Ferry expanded it (a Flux HelmRelease:
   * `HelmRelease/namespace/name`); unset for what the app's renderer itself output.
   */
  producer?: string;
  /**
   * A CustomResourceDefinition from the crds/ folder of a HelmRelease's chart: its
   * `spec.upgrade.crds` policy, which says whether an upgrade creates or replaces it.
   */
  chartCrd?: 'Skip' | 'Create' | 'CreateReplace';
}

export interface Finding {
  severity: Severity;
  rule: string;
  message: string;
  /** Repository-relative path, when the finding can be traced to a file. */
  file: string | null;
  line: number | null;
  /** `Kind/namespace/name` or `Kind/name`; null for findings about files or apps. */
  resource: string | null;
  /**
   * In a plan: the same finding is at the base commit too, on a file the change does not
   * touch. Reports group these apart, so a base that was already wrong does not bury the
   * change's own findings.
   */
  inBase?: boolean;
}

export type RendererKind = 'kustomize' | 'helm' | 'plain';

export interface AppSpec {
  /** Unique within its environment. */
  name: string;
  /** Repository-relative folder, POSIX separators, no trailing slash ('' is the root). */
  path: string;
  renderer: RendererKind;
  helm?: HelmOptions;
  /** Set when the app is a Flux Kustomization: `path` is its `spec.path`, `name` its namespace/name. */
  flux?: FluxOptions;
  /** Set when the app is an Argo CD Application (written, or made by an ApplicationSet): `name` is its namespace/name. */
  argo?: ArgoOptions;
  /** A generated kustomization over `path`, built instead of the folder (written at `dir`, two levels below the root). */
  overlay?: { text: string; dir: string };
}

/** An Argo CD Application as Ferry renders it: each source, as Argo CD decides its type. */
export interface ArgoOptions {
  /** Repository file holding the Application, or the ApplicationSet that makes it. */
  file: string;
  name: string;
  namespace: string;
  /** `namespace/name` of the ApplicationSet that made it. */
  appSet?: string;
  /** spec.destination.namespace: set on namespaced resources that have none. */
  destNamespace?: string;
  sources: ArgoSource[];
  /** Other files the app is made from (an ApplicationSet's git-files generator configs). */
  reads: string[];
  /** Findings about the object itself: an assumed repository, a path leaving it. */
  notes: Finding[];
}

export type ArgoSource =
  | { type: 'directory'; path: string; recurse: boolean; include?: string; exclude?: string }
  | { type: 'kustomize'; path: string; overlay: { text: string; dir: string }; components: string[] }
  | ArgoHelmSource
  /** `elsewhere`: the source is another repository's (its path is then the Application file's folder, and no folder here is its). */
  | { type: 'skipped'; path: string; reason: string; elsewhere?: true };

export interface ArgoHelmSource {
  type: 'helm';
  /** The chart folder (in-repo), or the Application file's folder for a chart from a Helm repository. */
  path: string;
  remote?: { repoUrl: string; chart: string; version?: string };
  release: string;
  namespace?: string;
  /** Repository-relative values files, in order; `optional` ones are left out when missing (ignoreMissingValueFiles). */
  valuesFiles: { path: string; optional: boolean }[];
  values: string[];
  set: { name: string; value: string; string?: boolean }[];
  includeCrds: boolean;
  skipTests: boolean;
  kubeVersion?: string;
  apiVersions?: string[];
}

export interface FluxOptions {
  /** Repository file holding the Kustomization object. */
  file: string;
  name: string;
  namespace: string;
  /** The environment's folder (where substitution sources are looked up first). */
  envRoot: string;
  /** The object's spec, as written. */
  spec: Record<string, unknown>;
  /** Findings about the object itself: an assumed source, a path leaving the repository. */
  notes: Finding[];
  /** The kustomization Flux's options amount to, written at `overlayDir` (two levels below the root) for the render. */
  overlay: string;
  overlayDir: string;
  /**
   * A folder without a kustomization gets the one Flux generates (every YAML file below
   * it, and subfolders holding a kustomization): the repository paths it lists, and its text.
   */
  generated: { listed: string[]; text: string } | null;
}

export interface HelmOptions {
  releaseName?: string;
  namespace?: string;
  /** Values files, relative to the app folder. */
  valuesFiles?: string[];
}

/** An app as listed in ferry.yml: the renderer may be left to detection. */
export type ConfiguredApp = Omit<AppSpec, 'renderer'> & { renderer?: RendererKind };

export interface EnvironmentSpec {
  name: string;
  branch?: string;
  /** Folder under which apps are discovered, repository-relative. */
  path?: string;
  /** Apps listed explicitly; when present, discovery is not used for this environment. */
  apps?: ConfiguredApp[];
}

export type ChangeAction = 'added' | 'changed' | 'removed';

export interface ResourceChange {
  action: ChangeAction;
  apiVersion: string;
  kind: string;
  namespace: string | null;
  name: string;
  /** Unified diff of the (masked) YAML; null when the diff was too large to compute. */
  diff: string | null;
  /** True when the diff was abandoned at the edit-length cap. */
  diffTooLarge?: boolean;
  /** How the two sides were paired, when it is not plain identity (duplicates, generated names). */
  note?: string;
  /** The app object that produced this resource (`HelmRelease/namespace/name`), when Ferry expanded one. */
  producer?: string;
}

export type AppStatus = 'rendered' | 'error' | 'skipped';

export interface AppPlan {
  name: string;
  path: string;
  renderer: RendererKind;
  status: AppStatus;
  /** Resources rendered at head (what was validated); 0 when the app is gone or did not render. */
  resources?: number;
  changes: ResourceChange[];
  findings: Finding[];
}

export interface EnvironmentPlan {
  name: string;
  apps: AppPlan[];
}

export interface PlanSummary {
  added: number;
  changed: number;
  removed: number;
  errors: number;
  warnings: number;
}

export interface Plan {
  base: string;
  head: string;
  environments: EnvironmentPlan[];
  /** Findings that belong to no app: config errors, unreadable files. */
  findings: Finding[];
  summary: PlanSummary;
  /** Files changed between base (or the merge base) and head; not part of `--format json`. */
  changedFiles?: string[];
  /** ferry.yml's path in the repository when it was read from the base commit; not part of `--format json`. */
  configFile?: string;
  /** Apps (`env/app`) not rendered because their tool is not installed, per tool; not part of `--format json`. */
  unrendered?: { helm?: string[]; kustomize?: string[] };
  /** Environments a `/promote` could carry this change to (promotion steps from a changed environment); not part of `--format json`. */
  promotesTo?: string[];
  /** The base config's review rules, when it has any: the bot evaluates them on this plan. */
  review?: ReviewRule[];
  /** The base commit's CODEOWNERS, when a review rule asks for code owners and the file exists. */
  codeowners?: { file: string; text: string };
}

/** A review of a PR, as the review rules count it. */
export interface Review {
  user: string;
  state: 'approved' | 'changes_requested' | 'commented' | 'dismissed';
  /** The commit the review was given on; null where the forge does not say (GitLab approvals). */
  commitSha: string | null;
  /** Given by a bot account. */
  bot: boolean;
}

/** Stringified identity used in messages and findings. */
export function resourceLabel(id: ResourceId): string {
  return id.namespace ? `${id.kind}/${id.namespace}/${id.name}` : `${id.kind}/${id.name}`;
}

// What a plan reports as checks, and what a promotion gate reads back. Plain data: the
// report builds it and a forge writes it (a check run, or a commit status where the
// forge has no check runs).

export type AnnotationLevel = 'failure' | 'warning' | 'notice';

export interface Annotation {
  path: string;
  line: number;
  level: AnnotationLevel;
  title: string;
  message: string;
}

export interface CheckResult {
  /** `ferry/plan`, `ferry/validate`. */
  name: string;
  conclusion: 'success' | 'failure' | 'neutral';
  title: string;
  summary: string;
  text?: string;
  annotations: Annotation[];
}

/** A commit status or check run on a commit, folded to what a gate needs. */
export interface CommitCheck {
  name: string;
  state: 'success' | 'pending' | 'failure';
  /** A commit status (GitHub's statuses API, GitLab's commit statuses) or a check run (or GitLab pipeline), when the forge says. */
  via?: 'status' | 'check';
}
