import type { FerryConfig, ProtectionSettings } from '../config/types.js';

export interface DesiredBranch {
  branch: string;
  environments: string[];
  settings: ProtectionSettings;
}

/**
 * The branches ferry.yml protects, with their settings: every environment's branch, and
 * the default branch for environments that are folders (it holds them). Empty without
 * `protect:`.
 */
export function desiredProtection(config: FerryConfig, defaultBranch: string): DesiredBranch[] {
  const protect = config.protect;
  if (!protect) return [];
  const byBranch = new Map<string, string[]>();
  for (const env of config.environments) {
    const branch = env.branch ?? defaultBranch;
    byBranch.set(branch, [...(byBranch.get(branch) ?? []), env.name]);
  }
  return [...byBranch].map(([branch, environments]) => ({
    branch,
    environments,
    settings: { ...protect.settings, ...protect.branches[branch] },
  }));
}
