import { describe, expect, it } from 'vitest';
import { renderJson, renderMarkdown, renderText } from '../../src/report/plan.js';
import type { AppPlan, Plan } from '../../src/types.js';

const quiet = (name: string): AppPlan => ({ name, path: `envs/${name}`, renderer: 'plain', status: 'rendered', changes: [], findings: [] });

function planOf(): Plan {
  const web: AppPlan = {
    ...quiet('web'),
    changes: [{
      action: 'changed', apiVersion: 'v1', kind: 'ConfigMap', namespace: null, name: 'settings',
      diff: '--- a/ConfigMap/settings\n+++ b/ConfigMap/settings\n@@ -1 +1 @@\n-k: a\n+k: b\n',
      note: 'definition 2 of 2 with this identity in the app (paired by order)',
    }],
  };
  return {
    base: 'a'.repeat(40),
    head: 'b'.repeat(40),
    environments: [
      { name: 'staging', apps: [quiet('db'), quiet('tools'), web] },
      { name: 'production', apps: [quiet('api')] },
    ],
    findings: [],
    summary: { added: 0, changed: 1, removed: 0, errors: 0, warnings: 0 },
  };
}

describe('apps with no change', () => {
  it('markdown: one line per environment, no table row or section of their own', () => {
    const md = renderMarkdown(planOf());
    expect(md).toContain('<details><summary><b>staging / web</b> <code>+0 ~1 -0</code> ✅</summary>');
    expect(md).not.toMatch(/<b>\S+ \/ (db|tools|api)<\/b>/);
    expect(md).toContain('- No change in **staging**: db, tools\n- No change in **production**: api\n');
    expect(md).not.toContain('_No changes._');
    // Only a comment split in parts has the table of apps.
    expect(md).not.toContain('| Environment |');
    const overview = renderMarkdown(planOf(), { overview: true });
    expect(overview).toContain('| staging | web | `+0 ~1 -0` | ✅ |');
    expect(overview).not.toMatch(/\| (db|tools|api) \|/);
  });

  it('text: one line per environment instead of an empty section per app', () => {
    const text = renderText(planOf());
    expect(text).toContain('\n== staging: no change in db, tools\n');
    expect(text).toContain('\n== production: no change in api');
    expect(text).not.toMatch(/== \S+ \/ (db|tools|api) /);
    expect(text).toContain('== staging / web (plain, envs/web) [rendered]');
  });

  it('validate checks one commit: its quiet apps have no findings, not "no change"', () => {
    const text = renderText(planOf(), { validate: { seconds: 1 } });
    expect(text).toContain('\n== staging: no findings in db, tools\n');
    expect(text).not.toContain('no change in');
    const md = renderMarkdown(planOf(), { validate: { seconds: 1 } });
    expect(md).toContain('- No findings in **staging**: db, tools\n- No findings in **production**: api\n');
    expect(md).not.toContain('No change in');
  });

  it('an environment where nothing changed has no table, only its line', () => {
    const p = planOf();
    p.environments = [p.environments[1]!];
    const md = renderMarkdown(p);
    expect(md).not.toContain('| Environment |');
    expect(md).not.toContain("No app's rendered output changes");
    expect(md).toContain('- No change in **production**: api');
  });

  it('an app with a finding but no change keeps its section', () => {
    const p = planOf();
    p.environments[1]!.apps[0]!.findings = [{ severity: 'warning', rule: 'resource-limits', message: 'no limits', file: 'envs/api/d.yaml', line: 3, resource: null }];
    expect(renderMarkdown(p)).toContain('<summary><b>production / api</b> <code>+0 ~0 -0</code> ⚠️ 1 warning</summary>\n\n<sub>plain · `envs/api`</sub>\n\n_No changes._');
    expect(renderText(p)).toContain('== production / api');
  });
});

describe('pairing notes', () => {
  it('are shown in every format', () => {
    const note = 'definition 2 of 2 with this identity in the app (paired by order)';
    expect(renderMarkdown(planOf())).toContain(`**\`~ ConfigMap/settings\`** <sub>${note}</sub>\n\n\`\`\`diff\n`);
    expect(renderText(planOf())).toContain(`~ ConfigMap/settings (${note})\n`);
    const json = JSON.parse(renderJson(planOf())) as Plan;
    expect(json.environments[0]!.apps[2]!.changes[0]!.note).toBe(note);
    // Changes without a note keep the documented keys only.
    const p = planOf();
    delete p.environments[0]!.apps[2]!.changes[0]!.note;
    expect(Object.keys((JSON.parse(renderJson(p)) as Plan).environments[0]!.apps[2]!.changes[0]!)).toEqual(['action', 'apiVersion', 'kind', 'namespace', 'name', 'diff']);
  });
});

describe('findings linked to their lines (forges without annotations)', () => {
  function withFinding(file: string): Plan {
    const p = planOf();
    p.environments[0]!.apps[2]!.findings = [{ severity: 'error', rule: 'schema', message: 'bad port', file, line: 12, resource: null }];
    p.findings = [{ severity: 'warning', rule: 'unowned-change', message: 'nobody reads it', file: 'stray.yaml', line: null, resource: null }];
    return p;
  }
  const link = (file: string, line: number | null) => `https://gitlab.example.test/acme/gitops/-/blob/${'b'.repeat(40)}/${file.split('/').map(encodeURIComponent).join('/')}${line ? `#L${line}` : ''}`;

  it('each finding with a file links to it, at its line when known', () => {
    const md = renderMarkdown(withFinding('envs/staging/web/svc.yaml'), { fileLink: link });
    expect(md).toContain(`**schema** [\`envs/staging/web/svc.yaml:12\`](https://gitlab.example.test/acme/gitops/-/blob/${'b'.repeat(40)}/envs/staging/web/svc.yaml#L12): bad port`);
    expect(md).toContain(`**unowned-change** [\`stray.yaml\`](https://gitlab.example.test/acme/gitops/-/blob/${'b'.repeat(40)}/stray.yaml): nobody reads it`);
    // Without a link function (GitHub: annotations), no links.
    expect(renderMarkdown(withFinding('envs/staging/web/svc.yaml'))).toContain('**schema** `envs/staging/web/svc.yaml:12`: bad port');
  });

  it('a URL that could end the link target (a hostile file name left unencoded) is not used', () => {
    const hostile = 'x) [click](https://evil.example) (y.yaml';
    const md = renderMarkdown(withFinding(hostile), { fileLink: (file, line) => `https://gitlab.example.test/blob/${file}#L${line}` });
    const line = md.split('\n').find((l) => l.includes('bad port'))!;
    expect(line).not.toContain('](https://gitlab.example.test');
    expect(line).toContain('**schema** `x) [click](https://evil.example) (y.yaml:12`: bad port');
  });
});

describe('findings already in base', () => {
  const finding = (severity: 'error' | 'warning', file: string, inBase: boolean) => ({ severity, rule: 'no-latest-tag', message: 'm', file, line: 3, resource: 'Deployment/web', inBase });

  it('the summary row counts the change\'s own findings and says how many the base already had', () => {
    const p = planOf();
    const web = p.environments[0]!.apps[2]!;
    web.findings = [finding('error', 'base/a.yaml', true), finding('warning', 'base/b.yaml', true)];
    expect(renderMarkdown(p)).toContain('<summary><b>staging / web</b> <code>+0 ~1 -0</code> ✅ nothing new (2 in base)</summary>');
    expect(renderMarkdown(p, { overview: true })).toContain('| staging | web | `+0 ~1 -0` | ✅ nothing new (2 in base) |');
    // Collapsed under their own heading inside the app's section.
    expect(renderMarkdown(p)).toMatch(/<details><summary>Already in base: 2 findings on files this change does not touch<\/summary>\n\n- ❌ \*\*no-latest-tag\*\* `base\/a\.yaml:3`/);
    web.findings.push(finding('warning', 'envs/web/c.yaml', false));
    expect(renderMarkdown(p)).toContain('<summary><b>staging / web</b> <code>+0 ~1 -0</code> ⚠️ 1 warning (+2 in base)</summary>');
    expect(renderMarkdown(p, { overview: true })).toContain('| staging | web | `+0 ~1 -0` | ⚠️ 1 warning (+2 in base) |');
    expect(renderJson(p)).toContain('"inBase": true');
  });
});

describe('validate: a finding in a file several apps share is shown once', () => {
  const alert = (ns: string) => ({
    severity: 'error' as const, rule: 'schema', file: 'components/alerts/alert.yaml', line: 7, resource: `Alert/${ns}/home`,
    message: 'spec.eventSeverity: "warn" is not one of "info", "error"',
  });
  const own = { severity: 'warning' as const, rule: 'resource-limits', file: 'apps/web/deploy.yaml', line: 3, resource: 'Deployment/web/web', message: 'container web has no limits' };
  const app = (name: string, findings: AppPlan['findings']): AppPlan => ({ ...quiet(name), findings });
  const plan = (): Plan => ({
    ...planOf(),
    environments: [
      { name: 'main', apps: [app('web', [alert('web'), own]), app('db', [alert('db')]), app('cache', [alert('cache')]), quiet('tools')] },
      { name: 'lab', apps: [app('web', [alert('web')])] },
    ],
    summary: { added: 0, changed: 0, removed: 0, errors: 4, warnings: 1 },
  });

  it('text: once, naming the apps by environment; each app keeps its own findings and the count of shared ones', () => {
    const text = renderText(plan(), { validate: { seconds: 1 } });
    const line = 'error [schema] components/alerts/alert.yaml:7: spec.eventSeverity: "warn" is not one of "info", "error"';
    expect(text.split(line).length - 1).toBe(1);
    expect(text).toContain(`== the same finding in several apps (a file they share), shown once\n  ${line}\n    in 4 apps: main: web, db, cache; lab: web\n`);
    expect(text).toContain('== main / web (plain, envs/web) [rendered]\n  warning [resource-limits] apps/web/deploy.yaml:3 Deployment/web/web: container web has no limits\n  1 finding(s) in shared files, shown once above\n');
    expect(text).toContain('== main / db (plain, envs/db) [rendered]\n  1 finding(s) in shared files, shown once above\n');
    // An app whose only findings are shared ones is not listed as without findings.
    expect(text).toContain('== main: no findings in tools\n');
  });

  it('a finding in one app only, or plan output, stays with its app', () => {
    const one = plan();
    one.environments = [{ name: 'main', apps: [one.environments[0]!.apps[0]!] }];
    const text = renderText(one, { validate: { seconds: 1 } });
    expect(text).not.toContain('several apps');
    expect(text).toContain('== main / web (plain, envs/web) [rendered]\n  error [schema] components/alerts/alert.yaml:7 Alert/web/home:');
    expect(renderText(plan())).not.toContain('several apps');
    // JSON keeps every app's findings.
    expect(JSON.parse(renderJson(plan())).environments[0].apps[1].findings).toHaveLength(1);
  });
});
