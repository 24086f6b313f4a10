import path from 'node:path';
import { which } from '../util/exec.js';
import type { RenderConfig } from '../config/types.js';
import { detectSandbox, type Sandbox } from './sandbox.js';

export interface KustomizeTool {
  cmd: string;
  /** Arguments before the folder: `build` for kustomize, `kustomize` for kubectl. */
  args: string[];
}

export interface RenderTools {
  kustomize: KustomizeTool | null;
  helm: string | null;
  timeoutMs: number;
  maxOutputBytes: number;
  /** Identifies the tools in render cache keys, so a tool upgrade invalidates old renders. */
  fingerprint: string;
  sandbox: Sandbox;
  /** Paths a render must not see: Ferry's cache (git mirrors, renders) and the App's key file. */
  hidden: string[];
}

function kustomizeToolFor(cmd: string): KustomizeTool {
  return /(^|\/)kubectl$/.test(cmd) ? { cmd, args: ['kustomize'] } : { cmd, args: ['build'] };
}

/** Resolves the configured (or first available) Kustomize and Helm binaries. */
export async function detectTools(cfg: RenderConfig): Promise<RenderTools> {
  let kustomize: KustomizeTool | null = null;
  if (cfg.kustomize) {
    const found = await which(cfg.kustomize);
    kustomize = found ? kustomizeToolFor(found) : null;
  } else {
    const k = await which('kustomize');
    const kc = k ? null : await which('kubectl');
    kustomize = k ? kustomizeToolFor(k) : kc ? kustomizeToolFor(kc) : null;
  }
  const helm = await which(cfg.helm ?? 'helm');
  return {
    kustomize,
    helm,
    timeoutMs: cfg.timeoutMs,
    maxOutputBytes: cfg.maxOutputBytes,
    fingerprint: [kustomize?.cmd ?? '-', helm ?? '-'].join('|'),
    sandbox: await detectSandbox(),
    hidden: [process.env.PRIVATE_KEY_PATH, process.env.FERRY_CACHE_DIR].filter((p): p is string => !!p).map((p) => path.resolve(p)),
  };
}
