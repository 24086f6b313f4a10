// Custom-resource schemas Ferry carries itself, for kinds people use that no
// `@kubernetes-models/*` package has yet. They are consulted last, after the repository's
// CRDs, `validate.schemas` folders and the packages (src/validate/bundled.ts), and are
// validated like a CRD's openAPIV3Schema (objects closed under `strict`).
//
// Each schema is written by hand from the project's published API reference; the comment
// above it names which one. Adding a kind: add an entry to OWN_SCHEMAS and a case in
// test/validate/bundled.test.ts.
import type { CrdVersion } from './crd.js';

type Json = Record<string, unknown>;

const str = (extra: Json = {}): Json => ({ type: 'string', ...extra });
const stringMap: Json = { type: 'object', additionalProperties: { type: 'string' } };

// Flux source-watcher's aliases and object names (lower-case DNS labels; aliases also allow `_`).
const ALIAS = '^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$';
const NAME = '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$';
const ALIAS_REF = '^@([a-z0-9]([a-z0-9_-]*[a-z0-9])?)$';
const ALIAS_PATH = '^@([a-z0-9]([a-z0-9_-]*[a-z0-9])?)/(.*)$';

/**
 * Flux `ArtifactGenerator` (source.extensions.fluxcd.io/v1beta1, source-watcher v2.x, Flux
 * 2.7+), shaped after the API types documented in fluxcd/source-watcher
 * (`api/v1beta1/artifactgenerator_types.go`: ArtifactGeneratorSpec, SourceReference,
 * OutputArtifact, CopyOperation, CommonMetadata) and the ArtifactGenerator guide on
 * fluxcd.io. Field names, required fields, enums, patterns and length limits follow the
 * kubebuilder markers there. Not checked: the CEL rule that artifact names are DNS
 * subdomains when `pathPattern` is unset (names may then hold `{capture}` placeholders).
 */
const artifactGenerator: Json = {
  type: 'object',
  properties: {
    apiVersion: str(),
    kind: str(),
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      required: ['sources', 'artifacts'],
      properties: {
        commonMetadata: { type: 'object', properties: { annotations: stringMap, labels: stringMap } },
        sources: {
          type: 'array',
          minItems: 1,
          maxItems: 1000,
          items: {
            type: 'object',
            required: ['alias', 'kind', 'name'],
            properties: {
              alias: str({ pattern: ALIAS, maxLength: 63 }),
              kind: str({ enum: ['Bucket', 'GitRepository', 'OCIRepository', 'HelmChart', 'ExternalArtifact'] }),
              name: str({ pattern: NAME, maxLength: 253 }),
              namespace: str({ pattern: NAME, minLength: 1, maxLength: 63 }),
            },
          },
        },
        pathPattern: str({ pattern: ALIAS_PATH, maxLength: 1024 }),
        artifacts: {
          type: 'array',
          minItems: 1,
          maxItems: 1000,
          items: {
            type: 'object',
            required: ['name', 'copy'],
            properties: {
              name: str({ minLength: 1, maxLength: 253 }),
              revision: str({ pattern: ALIAS_REF, maxLength: 64 }),
              originRevision: str({ pattern: ALIAS_REF, maxLength: 64 }),
              copy: {
                type: 'array',
                minItems: 1,
                items: {
                  type: 'object',
                  required: ['from', 'to'],
                  properties: {
                    from: str({ pattern: ALIAS_PATH, minLength: 1, maxLength: 1024 }),
                    to: str({ pattern: '^@(artifact)/(.*)$', minLength: 1, maxLength: 1024 }),
                    exclude: { type: 'array', maxItems: 100, items: str() },
                    strategy: str({ enum: ['Overwrite', 'Merge', 'Extract'] }),
                  },
                },
              },
            },
          },
        },
      },
    },
    // Written by the controller, never by the repository.
    status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  },
};

function entry(group: string, version: string, kind: string, plural: string, schema: Json): CrdVersion {
  return {
    group,
    version,
    kind,
    crd: `${plural}.${group} (schema built into Ferry)`,
    scope: 'Namespaced',
    served: true,
    deprecated: false,
    deprecationWarning: null,
    schema,
    preserveUnknownFields: false,
  };
}

/** The kinds whose schema Ferry carries itself, by `group/version Kind`. */
export const OWN_SCHEMAS: ReadonlyMap<string, CrdVersion> = new Map(
  [entry('source.extensions.fluxcd.io', 'v1beta1', 'ArtifactGenerator', 'artifactgenerators', artifactGenerator)].map((e) => [
    `${e.group}/${e.version} ${e.kind}`,
    e,
  ]),
);

/** Ferry's own schema of an apiVersion/kind, or null. */
export function ownSchema(apiVersion: string, kind: string): CrdVersion | null {
  return OWN_SCHEMAS.get(`${apiVersion} ${kind}`) ?? null;
}
