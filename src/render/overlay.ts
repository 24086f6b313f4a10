import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { GO_YAML } from './yaml-numbers.js';

/**
 * A controller's kustomize options (Flux's Kustomization, Argo CD's `source.kustomize`)
 * as a generated overlay that kustomize itself builds: written two levels below the
 * render tree's root, in a folder named by its content, so concurrent renders of the
 * same overlay write the same bytes.
 */
export function overlay(home: string, resources: string[], fields: Record<string, unknown>): { text: string; dir: string } {
  const k: Record<string, unknown> = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: resources.map(fromOverlay), ...fields };
  k.buildMetadata = ['originAnnotations'];
  const text = stringify(k, GO_YAML);
  return { text, dir: `${home}/${createHash('sha256').update(text).digest('hex').slice(0, 16)}` };
}

/** A repository folder as the overlay (two levels below the root) names it. */
export function fromOverlay(p: string): string {
  return p === '' ? '../..' : `../../${p}`;
}
