import type { Finding, Plan } from '../types.js';

/**
 * JUnit XML for CI test reports (GitLab's `artifacts:reports:junit`): a suite per
 * environment, a test case per app; error findings fail it, warnings go to its output.
 */

/** Characters XML 1.0 cannot carry at all, even escaped: dropped. */
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function xml(s: string): string {
  return s.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function line(f: Finding): string {
  const at = f.file ? ` ${f.file}${f.line ? `:${f.line}` : ''}` : '';
  return `${f.severity} [${f.rule}]${at}${f.resource ? ` ${f.resource}` : ''}: ${f.message}`;
}

function testcase(classname: string, name: string, file: string | null, findings: Finding[]): string {
  const errors = findings.filter((f) => f.severity === 'error');
  const rest = findings.filter((f) => f.severity !== 'error');
  const attrs = `classname="${xml(classname)}" name="${xml(name)}"${file !== null ? ` file="${xml(file || '.')}"` : ''}`;
  if (!findings.length) return `    <testcase ${attrs}/>\n`;
  let out = `    <testcase ${attrs}>\n`;
  if (errors.length) {
    out += `      <failure message="${xml(`${errors.length} error(s): ${errors[0]!.message}`.slice(0, 500))}" type="${xml(errors[0]!.rule)}">${xml(errors.map(line).join('\n'))}</failure>\n`;
  }
  if (rest.length) out += `      <system-out>${xml(rest.map(line).join('\n'))}</system-out>\n`;
  return out + '    </testcase>\n';
}

export function renderJunit(plan: Plan, opts: { validate?: boolean } = {}): string {
  const suites: Array<{ name: string; cases: string[]; tests: number; failures: number }> = [];
  const failed = (fs: Finding[]) => (fs.some((f) => f.severity === 'error') ? 1 : 0);
  if (plan.findings.length) {
    suites.push({ name: 'ferry', cases: [testcase('ferry', 'config and repository', null, plan.findings)], tests: 1, failures: failed(plan.findings) });
  }
  for (const e of plan.environments) {
    suites.push({
      name: e.name,
      cases: e.apps.map((a) => testcase(`ferry.${e.name}`, a.name, a.path, a.findings)),
      tests: e.apps.length,
      failures: e.apps.reduce((n, a) => n + failed(a.findings), 0),
    });
  }
  const tests = suites.reduce((n, s) => n + s.tests, 0);
  const failures = suites.reduce((n, s) => n + s.failures, 0);
  const title = opts.validate ? `ferry validate ${plan.head.slice(0, 7)}` : `ferry plan ${plan.base.slice(0, 7)}..${plan.head.slice(0, 7)}`;
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xml(title)}" tests="${tests}" failures="${failures}" errors="0">\n`;
  for (const s of suites) {
    out += `  <testsuite name="${xml(s.name)}" tests="${s.tests}" failures="${s.failures}" errors="0" skipped="0">\n${s.cases.join('')}  </testsuite>\n`;
  }
  return out + '</testsuites>\n';
}
