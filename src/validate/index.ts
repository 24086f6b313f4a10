/*
 * Validation of one app's rendered resources: Kubernetes schemas for the target version,
 * CRD schemas found in the repository, and policy rules. Plain functions over data, no I/O
 * (the engine finds CRDs in git objects: src/plan/crds.ts).
 *
 * Silencing rules for one resource — either form takes a comma-separated list of rule ids,
 * or `all`:
 *   - the annotation `ferry.dev/ignore: "no-latest-tag,resource-limits"` in
 *     metadata.annotations (it survives Kustomize and Helm, so it works for rendered output);
 *   - a `# ferry:ignore no-latest-tag,resource-limits` comment in the source document, which
 *     the YAML loader passes in as `source.ignoredRules`.
 * Severities come from `rules` in ferry.yml (`error` / `warning` / `info` / `off`); rules not
 * listed keep the default level given in RULES.
 */
import { maskValues, secretStrings } from '../plan/mask.js';
import { resourceLabel, type Finding, type Resource, type RuleLevel, type Severity } from '../types.js';
import { bundledKind, hasBundledValidator, loadBundledSchemas, validateBundled } from './bundled.js';
import { ownSchema } from './own-schemas.js';
import { builtinApi, builtinApiProblem, groupOf, newerApiProblem } from './catalog.js';
import { checkMetadata, crdKey, crdSchemasFromResources, mergeCrdSchemas, otherVersions, validateCustomResource, type CrdSchemas, type CrdVersion } from './crd.js';
import { apiStatus, minorOf } from './deprecations.js';
import { describeSchemaErrors, type Problem } from './errors.js';
import { SCHEMA_MINOR } from './newer-apis.js';
import { findPodSpec } from './podspec.js';
import { checkPodSpec, RULES } from './rules.js';
import { builtinValidator, loadBuiltinSchemas } from './schemas.js';
import { builtinShape, findUnknownFields } from './strict.js';

export { RULES, type RuleInfo } from './rules.js';
export { crdSchemasFromObjects, crdSchemasFromResources, type CrdSchemas, type CrdVersion } from './crd.js';
export { BUNDLED_PACKAGES, loadBundledSchemas } from './bundled.js';

/**
 * Loads the schemas (built-in and bundled custom-resource ones) of the kinds among `ids`.
 * Both packages are ESM, loaded with import(); call this before validateResources, which is
 * synchronous. A kind already loaded costs a map lookup.
 *
 * `crds`, the repository's CRDs as validateResources will get them: a kind they define (in
 * any version) is validated against them and never against a bundled schema, so its
 * bundled module is not loaded (Gateway API's and prometheus-operator's are 300 files).
 */
export async function loadSchemas(ids: Iterable<{ apiVersion: string; kind: string }>, crds?: CrdSchemas): Promise<void> {
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  for (const id of ids) kinds.set(`${id.apiVersion} ${id.kind}`, id);
  const list = [...kinds.values()];
  const bundledWanted = crds ? list.filter((id) => !repoDefinesKind(crds, id.apiVersion, id.kind)) : list;
  await Promise.all([loadBuiltinSchemas(list), loadBundledSchemas(bundledWanted)]);
}

/** Whether the repository's CRDs define this kind of this group, in this version or another. */
function repoDefinesKind(crds: CrdSchemas, apiVersion: string, kind: string): boolean {
  return crds.versions.has(crdKey(apiVersion, kind)) || otherVersions(crds, apiVersion, kind).length > 0;
}

export interface ValidateOptions {
  /** Target Kubernetes minor version, e.g. "1.31". */
  kubernetesVersion: string;
  /** Report fields the schema does not know. */
  strict: boolean;
  /** Rule id → level; unlisted rules use their default level. */
  rules: Record<string, RuleLevel>;
  /** Custom-resource schemas found in the repository. */
  crds?: CrdSchemas;
  /** Schemas from the `validate.schemas` folders; after the repository's CRDs, before the bundled ones. */
  schemaFiles?: SchemaFiles;
}

/** JSON Schemas of custom resources by apiVersion and kind (kind matched in any case). */
export interface SchemaFiles {
  get(apiVersion: string, kind: string): CrdVersion | null;
}

export const IGNORE_ANNOTATION = 'ferry.dev/ignore';

const DEFAULT_LEVELS: ReadonlyMap<string, RuleLevel> = new Map(RULES.map((r) => [r.id, r.defaultLevel]));

function levelsFor(overrides: Record<string, RuleLevel>): Map<string, RuleLevel> {
  const levels = new Map(DEFAULT_LEVELS);
  for (const [id, level] of Object.entries(overrides)) if (levels.has(id)) levels.set(id, level);
  return levels;
}

function ignoredRules(r: Resource): Set<string> | null {
  let ids: string[] | null = null;
  const meta = r.object.metadata;
  const annotations = meta && typeof meta === 'object' ? (meta as { annotations?: unknown }).annotations : undefined;
  const value = annotations && typeof annotations === 'object' ? (annotations as Record<string, unknown>)[IGNORE_ANNOTATION] : undefined;
  if (typeof value === 'string') ids = value.split(',');
  if (r.source?.ignoredRules?.length) ids = [...(ids ?? []), ...r.source.ignoredRules];
  if (!ids) return null;
  return new Set(ids.map((s) => s.trim()).filter((s) => s !== ''));
}

function unknownKindMessage(apiVersion: string, kind: string, crds: CrdSchemas | undefined): string {
  const defined = crds ? otherVersions(crds, apiVersion, kind) : [];
  if (defined.length > 0) {
    const list = defined.map((v) => `${v.group}/${v.version}`).join(', ');
    return `${apiVersion} ${kind}: CRD ${defined[0]!.crd} does not define this version (it has ${list})`;
  }
  return `${apiVersion} ${kind}: no schema known (not built into Kubernetes, and no CRD in the repository defines it)`;
}

function notServedMessage(crd: CrdVersion, crds: CrdSchemas): string {
  const served = otherVersions(crds, `${crd.group}/${crd.version}`, crd.kind).filter((v) => v.served);
  const list = served.length > 0 ? `it serves ${served.map((v) => `${v.group}/${v.version}`).join(', ')}` : 'it serves no version';
  return `${crd.group}/${crd.version} ${crd.kind}: CRD ${crd.crd} defines ${crd.version} with served: false (${list})`;
}

/** A kind with neither a built-in schema nor a CRD: a newer built-in API, a mistyped one, or a custom resource. */
function checkUnvalidated(
  obj: Record<string, unknown>,
  apiVersion: string,
  kind: string,
  opts: ValidateOptions,
  crds: CrdSchemas | undefined,
  on: (rule: string) => boolean,
  strict: boolean,
  out: Problem[],
): void {
  const api = builtinApi(apiVersion, kind);
  if (api) {
    // Real but newer than Ferry's schemas: only metadata can be checked.
    const problem = newerApiProblem(api, opts.kubernetesVersion);
    if (problem) {
      if (on(problem.rule)) out.push(problem);
    } else if (on('schema') || strict) {
      checkMetadata(obj, strict, out);
    }
    return;
  }
  // A CRD that defines other versions of this kind says more than a guess at a built-in API.
  const builtin = crds && otherVersions(crds, apiVersion, kind).length > 0 ? null : builtinApiProblem(apiVersion, kind, opts.kubernetesVersion);
  if (builtin) {
    if (on(builtin.rule)) out.push(builtin);
  } else if (on('unknown-kind')) {
    out.push({ rule: 'unknown-kind', pointer: '/kind', message: unknownKindMessage(apiVersion, kind, crds) });
  }
}

/** Collects the problems of one resource; levels and suppression are applied by the caller. */
function checkResource(r: Resource, opts: ValidateOptions, crds: CrdSchemas | undefined, on: (rule: string) => boolean, out: Problem[]): void {
  const { apiVersion, kind } = r.id;
  const obj = r.object;
  const strict = opts.strict && on('unknown-field');

  const status = apiStatus(apiVersion, kind, opts.kubernetesVersion);
  if (status) out.push({ rule: status.rule, pointer: '/apiVersion', message: status.message });
  // A removed API gets one clear finding, not also a schema or unknown-kind one; so does a
  // built-in kind the target version does not serve yet (its schema is of a later release).
  const api = status?.rule === 'removed-api' ? null : builtinApi(apiVersion, kind);
  const unserved = api?.hasSchema ? newerApiProblem(api, opts.kubernetesVersion) : null;
  if (unserved) {
    if (on(unserved.rule)) out.push(unserved);
  } else if (status?.rule !== 'removed-api') {
    const validate = builtinValidator(apiVersion, kind);
    if (validate) {
      if (on('schema')) {
        const errors = validate(obj);
        if (errors) describeSchemaErrors(errors, obj, out);
      }
      if (strict) {
        const shape = builtinShape(apiVersion, kind);
        if (shape) findUnknownFields(obj, shape, out, [], 'status');
      }
    } else {
      const crd = crds?.versions.get(crdKey(apiVersion, kind));
      if (crd && !crd.served) {
        // The API server refuses the version outright; its schema is beside the point.
        if (on('unknown-api-version')) out.push({ rule: 'unknown-api-version', pointer: '/apiVersion', message: notServedMessage(crd, crds!) });
      } else if (crd) {
        if (on('schema') || strict) validateCustomResource(obj, crd, strict, out);
        if (crd.deprecated) {
          out.push({
            rule: 'deprecated-api',
            pointer: '/apiVersion',
            message: crd.deprecationWarning ?? `${apiVersion} ${kind} is deprecated by its CRD ${crd.crd}`,
          });
        }
      } else {
        // A CRD in the repository that defines other versions of the kind is what the
        // cluster has: another schema of the missing version would say otherwise.
        const repoOwnsKind = !!crds && otherVersions(crds, apiVersion, kind).length > 0;
        const file = repoOwnsKind ? null : opts.schemaFiles?.get(apiVersion, kind);
        const bundled = repoOwnsKind || file?.schema ? null : bundledKind(apiVersion, kind);
        const useBundled = !!bundled && hasBundledValidator(bundled);
        // A schema of its own: a schema folder's, else Ferry's own after the bundled packages.
        const schema = file?.schema ? file : repoOwnsKind || useBundled ? null : ownSchema(apiVersion, kind);
        if (useBundled) {
          if (on('schema') || strict) {
            validateBundled(obj, bundled!, strict, out);
            checkMetadata(obj, strict, out);
          }
        } else if (schema) {
          if (on('schema') || strict) validateCustomResource(obj, schema, strict, out);
        } else {
          checkUnvalidated(obj, apiVersion, kind, opts, crds, on, strict, out);
        }
      }
    }
  }

  const pod = findPodSpec(apiVersion, kind, obj);
  if (pod) checkPodSpec(pod, on, out);
}

/**
 * The one plan-wide warning that the target version is newer than the built-in schemas:
 * fields added since are not checked, so a clean result means less than it says.
 */
export function schemaVersionFindings(opts: Pick<ValidateOptions, 'kubernetesVersion' | 'rules'>): Finding[] {
  const target = minorOf(opts.kubernetesVersion);
  const level = levelsFor(opts.rules).get('schema-version');
  if (target === null || target <= SCHEMA_MINOR || !level || level === 'off') return [];
  const message =
    `kubernetesVersion is ${opts.kubernetesVersion} but Ferry's built-in schemas are those of Kubernetes 1.${SCHEMA_MINOR}: ` +
    `fields added since are not checked, and kinds added since have only their metadata checked`;
  return [{ severity: level, rule: 'schema-version', message, file: null, line: null, resource: null }];
}

export function validateResources(resources: Resource[], opts: ValidateOptions): Finding[] {
  const levels = levelsFor(opts.rules);
  const on = (rule: string) => levels.get(rule) !== 'off';
  // CRDs the app itself ships count too: Kustomize can pull them from a remote base.
  let crds = opts.crds;
  const ownCrds = resources.filter((r) => r.id.kind === 'CustomResourceDefinition');
  if (ownCrds.length > 0) crds = mergeCrdSchemas(crds, crdSchemasFromResources(ownCrds));

  const findings: Finding[] = [];
  const problems: Problem[] = [];
  const seen = new Map<string, Resource>();
  for (const r of resources) {
    problems.length = 0;
    checkResource(r, opts, crds, on, problems);

    if (on('duplicate-resource')) {
      const key = `${groupOf(r.id.apiVersion)}\0${r.id.kind}\0${r.id.namespace ?? ''}\0${r.id.name}`;
      const first = seen.get(key);
      if (first) {
        const at = first.source ? ` (first at ${first.source.file}${first.source.line ? `:${first.source.line}` : ''})` : '';
        problems.push({ rule: 'duplicate-resource', pointer: '/metadata/name', message: `${resourceLabel(r.id)} is defined more than once${at}` });
      } else {
        seen.set(key, r);
      }
    }
    if (problems.length === 0) continue;

    const ignored = ignoredRules(r);
    if (ignored?.has('all')) continue;
    const label = resourceLabel(r.id);
    const file = r.source?.file ?? null;
    // A message may quote the offending value; a Secret's values never leave the engine.
    const hidden = secretStrings(r.object);
    for (const p of problems) {
      const level = levels.get(p.rule);
      if (level === undefined || level === 'off' || ignored?.has(p.rule)) continue;
      // A CRD may close an object itself; without strict that is still not ours to report.
      if (p.rule === 'unknown-field' && !opts.strict) continue;
      const patched = r.source?.patchedAt?.(p.pointer);
      findings.push({
        severity: level as Severity,
        rule: p.rule,
        message: hidden.length ? maskValues(p.message, hidden) : p.message,
        file: patched ? patched.file : file,
        line: patched ? patched.line : (r.source?.locate?.(p.pointer) ?? r.source?.line ?? null),
        resource: label,
      });
    }
  }
  return findings;
}
