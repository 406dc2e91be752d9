// Guards the fix for slow cold starts on SwiftShader: it compiles every inlined call of a kernel's epilogue
// separately, so 32 (or 16) unrolled store calls made each conv pipeline ~6x slower to create (bench/compile_probe.ts).
// The register-tiled conv and matmul shaders must write their accumulators through one loop: a single epilogue call
// site (matmul_tiled: 16x8 pipelines went from 0.9–1.7 s to 0.1–0.2 s each, docs/webgpu.md).
import { describe, expect, it } from 'vitest';
import { SHADER_SOURCES as SHADERS } from '../../../src/backends/webgpu/shader_sources.js';
import { applyConditionals } from '../../../src/backends/webgpu/program.js';

const ALL_ON = { PX8: 1, OC8: 1, PX8_OC8: 1, X4: 1, X1: 1, HAS_BIAS: 1, RES_BEFORE: 1, RES_AFTER: 1, IN_SCALE: 1, R16: 1, HAS_C: 1 };

function callSites(source: string, fn: string): number {
  const code = applyConditionals(source, ALL_ON)
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('//'))
    .join('\n');
  const calls = code.match(new RegExp(`\\b${fn}\\(`, 'g'))?.length ?? 0;
  return calls - (code.match(new RegExp(`fn ${fn}\\(`, 'g'))?.length ?? 0);
}

describe('register-tiled shaders keep one epilogue call site', () => {
  it.each([
    ['conv2d_1x1', 'store_q'],
    ['conv2d_gemm', 'store4'],
    ['conv2d_gemm_win3', 'store4'],
    ['conv2d_gemm_win3s2', 'store4'],
    ['conv3d_gemm', 'store4'],
    ['conv3d_gemm_win3', 'store4'],
    ['matmul_tiled', 'store4'],
    ['matmul_tiled_f16', 'store4'],
  ] as const)('%s calls %s once', (shader, fn) => {
    expect(SHADERS[shader]).toContain(`fn ${fn}(`);
    expect(callSites(SHADERS[shader], fn)).toBe(1);
  });
});
