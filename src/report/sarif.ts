import { ENGINE_RULES } from '../plan/levels.js';
import type { Finding, Plan, Severity } from '../types.js';
import { RULES } from '../validate/rules.js';

/** SARIF 2.1.0 for code scanning: one result per finding, on its file (and line when known). */

const DESCRIPTIONS = new Map<string, { text: string; level: string }>(
  [...RULES, ...ENGINE_RULES].map((r) => [r.id, { text: r.description, level: r.defaultLevel }]),
);

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

interface Located { finding: Finding; env: string | null; app: string | null }

function allFindings(plan: Plan): Located[] {
  const out: Located[] = plan.findings.map((finding) => ({ finding, env: null, app: null }));
  for (const e of plan.environments) {
    for (const a of e.apps) for (const finding of a.findings) out.push({ finding, env: e.name, app: a.name });
  }
  return out;
}

/** A repository-relative path as a relative URI reference: each segment percent-encoded. */
function fileUri(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}

export function toSarif(plan: Plan, tool: { version: string }): unknown {
  const found = allFindings(plan);
  const ruleIds = [...new Set(found.map((f) => f.finding.rule))].sort();
  const ruleIndex = new Map(ruleIds.map((id, i) => [id, i]));
  const rules = ruleIds.map((id) => {
    const d = DESCRIPTIONS.get(id);
    return {
      id,
      shortDescription: { text: d?.text ?? id },
      ...(d && d.level !== 'off' ? { defaultConfiguration: { level: LEVEL[d.level as Severity] ?? 'warning' } } : {}),
    };
  });
  // Code scanning refuses a result without a location: a finding of no file is put on
  // ferry.yml when there is one, else reported as a notification of the run.
  const located = found.map((x) => (x.finding.file || !plan.configFile ? x : { ...x, finding: { ...x.finding, file: plan.configFile, line: null } }));
  const notifications = located.filter((x) => !x.finding.file).map(({ finding: f }) => ({
    level: LEVEL[f.severity],
    message: { text: f.message },
    descriptor: { id: f.rule },
  }));
  const results = located.filter((x) => x.finding.file).map(({ finding: f, env, app }) => {
    const where = [env && app ? `${env}/${app}` : null, f.resource].filter(Boolean).join(', ');
    return {
      ruleId: f.rule,
      ruleIndex: ruleIndex.get(f.rule)!,
      level: LEVEL[f.severity],
      message: { text: where ? `${f.message} (${where})` : f.message },
      locations: [{
        physicalLocation: {
          artifactLocation: { uri: fileUri(f.file!), uriBaseId: '%SRCROOT%' },
          ...(f.line && f.line > 0 ? { region: { startLine: f.line } } : {}),
        },
      }],
      ...(env ? { properties: { environment: env, app } } : {}),
    };
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'Ferry', semanticVersion: tool.version, version: tool.version, informationUri: 'https://www.npmjs.com/package/ferry-gitops', rules } },
      originalUriBaseIds: { '%SRCROOT%': { description: { text: 'The repository root' } } },
      invocations: [{ executionSuccessful: true, ...(notifications.length ? { toolExecutionNotifications: notifications } : {}) }],
      results,
    }],
  };
}

export function renderSarif(plan: Plan, tool: { version: string }): string {
  return JSON.stringify(toSarif(plan, tool), null, 2) + '\n';
}
