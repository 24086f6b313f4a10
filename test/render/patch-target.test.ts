import { describe, expect, it } from 'vitest';
import { matchesPattern, parseSelector, targetMatches, type TargetSubject } from '../../src/render/patch-target.js';

const subject = (over: Partial<TargetSubject> = {}): TargetSubject => ({
  group: 'apps', version: 'v1', kind: 'Deployment', names: ['prod-web', 'web'], namespaces: ['prod', ''],
  labels: [{ app: 'web', tier: 'front' }, { app: 'web' }], annotations: [{}], ...over,
});

describe('patch targets', () => {
  it('names are anchored patterns: literals, `.` and `*`', () => {
    expect(matchesPattern('web', ['prod-web', 'web'])).toBe(true);
    expect(matchesPattern('we', ['web'])).toBe(false);
    expect(matchesPattern('.*-web', ['prod-web'])).toBe(true);
    expect(matchesPattern('w.b', ['web'])).toBe(true);
    expect(matchesPattern('web-.*', ['web'])).toBe(false);
  });

  it('a pattern it does not evaluate is unknown, not a match or a miss', () => {
    expect(matchesPattern('(web|api)', ['web'])).toBeNull();
    expect(matchesPattern('web+', ['web'])).toBeNull();
    expect(matchesPattern('**', ['web'])).toBeNull();
  });

  it('a hostile pattern costs its length times the name, not exponential time', () => {
    expect(matchesPattern('a*'.repeat(100) + 'b', ['a'.repeat(200)])).toBe(false);
  });

  it('label selectors: equality, sets and existence', () => {
    expect(parseSelector('app=web, tier in (front, back),!canary')).toEqual([
      { key: 'app', op: 'in', values: ['web'] },
      { key: 'tier', op: 'in', values: ['front', 'back'] },
      { key: 'canary', op: '!exists', values: [] },
    ]);
    expect(parseSelector('app=(web')).toBeNull();
  });

  it('a selector must hold on the labels as written and as rendered', () => {
    expect(targetMatches({ kind: 'Deployment', labelSelector: 'app=web' }, subject())).toBe(true);
    // Only the rendered labels have the tier: an overlay added it after its patches ran.
    expect(targetMatches({ labelSelector: 'tier=front' }, subject())).toBe(false);
    expect(targetMatches({ labelSelector: 'app notin (web)' }, subject())).toBe(false);
    expect(targetMatches({ labelSelector: 'app in (web' }, subject())).toBeNull();
  });

  it('group, version, kind, name and namespace all count', () => {
    expect(targetMatches({ group: 'apps', version: 'v1', kind: 'Deployment', name: 'web', namespace: 'prod' }, subject())).toBe(true);
    expect(targetMatches({ group: 'batch', kind: 'Deployment' }, subject())).toBe(false);
    expect(targetMatches({ kind: 'Deployment', name: 'api' }, subject())).toBe(false);
    // One miss decides even when another field is not evaluated.
    expect(targetMatches({ kind: 'Service', name: '(web)' }, subject())).toBe(false);
    expect(targetMatches({ kind: 'Deployment', name: '(web)' }, subject())).toBeNull();
  });
});
