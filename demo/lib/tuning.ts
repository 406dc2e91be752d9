/** The "Kernels" fact: where the conv kernel choice of the loaded model came from (session.tuning, docs/autotune.md). */
import type { TuningReport } from '../../src/runtime/session.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** One line for the facts panel; `backend` because the CPU backend has no kernels to pick. */
export function describeTuning(t: TuningReport, backend: 'webgpu' | 'wasm' | 'cpu'): string {
  if (backend === 'cpu') return 'CPU backend (no GPU kernels to choose)';
  if (backend === 'wasm') return 'WebAssembly SIMD kernels (weights packed at load; no GPU kernels to choose)';
  // "2 of 6 layers": the rest were left to the rule when the time budget ran out.
  const changed = `${t.changed} changed from the default rule`;
  switch (t.source) {
    case 'measured':
      return `tuned now (${seconds(t.ms)}, ${t.layersTuned} of ${plural(t.layers, 'layer')}; ${changed}), stored for next time`;
    case 'cache':
      return `tuned table from this browser’s cache (${plural(Object.keys(t.choices).length, 'layer')}; ${changed})`;
    case 'miss':
      return 'default rule (no tuned table stored yet)';
    case 'none':
      return 'default rule (no conv layer has a choice of kernel)';
    case 'failed':
      return `default rule (tuning failed: ${t.error ?? 'unknown error'})`;
    case 'off':
    default:
      return 'default rule (autotuning off)';
  }
}
