import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormatsImport from 'ajv-formats';
import { REPO_ROOT } from './bin.js';

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => void;

/** The OASIS SARIF 2.1.0 schema that @microsoft/jest-sarif ships. */
export const SARIF_SCHEMA_FILE = path.join(REPO_ROOT, 'node_modules', '@microsoft', 'jest-sarif', 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json');

/** The OASIS schema (draft-04) read by Ajv 8: only `id`/`$schema` differ for what it uses. */
export function sarifValidator() {
  const schema = JSON.parse(readFileSync(SARIF_SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  delete schema.id;
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile(schema);
}
