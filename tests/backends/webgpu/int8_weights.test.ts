/**
 * int8 weight storage on WebGPU: a weight with a `quant` (from `tessera convert --int8`) is uploaded as int8 values
 * packed four per u32 followed by its f32 scale table, and kernels that read it through accessors dequantise in
 * registers (`f32(byte) * scale[channel]`). The CPU reference computes with the same dequantised values, so WebGPU
 * must match it as tightly as with f32 weights. Kernels that repack a weight at load (derived constants) keep f32.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../../../src/node/browser_harness.js';
import type { Node } from '../../../src/graph/ir.js';
import { buildProgram, type BindingLayout, type ProgramSpec } from '../../../src/backends/webgpu/program.js';
import { failures, runGraphCases, startTestBrowser, type GraphCase } from '../../harness/browser.js';

describe('accessor code for int8 storage (no GPU)', () => {
  const spec: ProgramSpec = {
    name: 'probe',
    shader: 'unary',
    accessors: true,
    defines: { WG: 64 },
    inputs: [
      { wgsl: 'x', tensor: 'x' },
      { wgsl: 'w', tensor: 'w', vec4: true },
    ],
    outputs: [{ wgsl: 'y', tensor: 'y' }],
    uniforms: [{ name: 'total', type: 'u32', value: 1 }],
    workgroups: 1,
  };
  const layout: BindingLayout = {
    slotOf: [0, 1, 0],
    slots: [
      { writable: true, element: 'f32' },
      { writable: false, element: 'i8x4' },
    ],
    offsets: [12, 0, 100],
    int8: [undefined, { scaleWord: 7, inner: 9, channels: 3 }, undefined],
  };

  it('four values per u32 (sign-extended with shifts), scale per channel from the same binding, geometry in uniforms', () => {
    const p = buildProgram(spec, { layout });
    expect(p.wgsl).toContain('var<storage, read> b1_: array<u32>;');
    expect(p.wgsl).toContain('fn w_scale(i: u32) -> f32 { return bitcast<f32>(b1_[u.qs_w + (i / u.qi_w) % u.qc_w]); }');
    expect(p.wgsl).toContain('bitcast<i32>(b1_[e >> 2u] << (24u - 8u * (e & 3u))) >> 24u');
    expect(p.wgsl).toContain('fn w_at4(i: u32) -> vec4<f32> { let w = b1_[(u.off_w >> 2u) + i];');
    const u32 = new Uint32Array(p.uniformData);
    expect([...u32.slice(1, 7)]).toEqual([12, 0, 100, 7, 9, 3]); // off_x, off_w, off_y, qs_w, qi_w, qc_w
    expect(p.cacheKey).not.toBe(buildProgram(spec, { layout: { ...layout, slots: [layout.slots[0]!, { writable: false, element: 'f32' }], int8: undefined } }).cacheKey);
  });

  it('channel expression by layout: outermost axis without the modulo (one scale per word when inner % 4 == 0), last axis without the division', () => {
    const withQ = (q: NonNullable<BindingLayout['int8']>[number]) => buildProgram(spec, { layout: { ...layout, int8: [undefined, q, undefined] } });
    const outer = withQ({ scaleWord: 7, inner: 9, channels: 3, count: 27 });
    expect(outer.wgsl).toContain('b1_[u.qs_w + min(i / u.qi_w, u.qc_w - 1u)]');
    const outer4 = withQ({ scaleWord: 6, inner: 8, channels: 3, count: 24 });
    expect(outer4.wgsl).toMatch(/fn w_at4\(i: u32\) -> vec4<f32> \{ let w = b1_\[\(u\.off_w >> 2u\) \+ i\]; return vec4<f32>\(.*\) \* w_scale\(4u \* i\); \}/);
    const inner = withQ({ scaleWord: 7, inner: 1, channels: 3, count: 27 });
    expect(inner.wgsl).toContain('b1_[u.qs_w + i % u.qc_w]');
    expect(new Set([outer, outer4, inner].map((p) => p.cacheKey)).size).toBe(3);
  });

  it('an int8 slot without its scale table is refused', () => {
    expect(() => buildProgram(spec, { layout: { ...layout, int8: undefined } })).toThrow(/scale table/);
  });
});

let session: BrowserSession;
beforeAll(async () => {
  session = await startTestBrowser();
});
afterAll(async () => {
  await session?.close();
});

function single(label: string, op: string, attrs: Node['attrs'], inputs: GraphCase['inputs'], seed: number): GraphCase {
  return { label, nodes: [{ name: 'n', op, inputs: inputs.map((i) => i.name), outputs: ['y'], attrs }], inputs, outputs: ['y'], seed };
}
const q = (name: string, shape: number[], int8Axis?: number) => ({ name, shape, kind: 'const' as const, dtype: 'int8' as const, int8Axis });
const f = (name: string, shape: number[]) => ({ name, shape, kind: 'const' as const });
const x = (shape: number[]) => ({ name: 'x', shape });

/** Cases whose kernels read the weight itself through accessors (int8 on the GPU). */
const DIRECT: GraphCase[] = [
  single('conv 1x1 12→20 (odd counts)', 'Conv', { kernel_shape: [1, 1] }, [x([1, 12, 8, 8]), q('w', [20, 12, 1, 1], 0), f('b', [20])], 2),
  single('depthwise 3x3 c=10', 'Conv', { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 10 }, [x([1, 10, 7, 7]), q('w', [10, 1, 3, 3], 0), f('b', [10])], 3),
  single('grouped 1x1 6→9 g3, 27 weights per tensor scale', 'Conv', { kernel_shape: [1, 1], group: 3 }, [x([2, 6, 5, 5]), q('w', [9, 2, 1, 1]), f('b', [9])], 4),
  single('conv3d 2→3', 'Conv', { kernel_shape: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1] }, [x([1, 2, 4, 5, 5]), q('w', [3, 2, 3, 3, 3], 0), f('b', [3])], 5),
  single('Gemm transB (axis 0)', 'FusedGemm', { transB: 1, activation: 'relu' }, [x([2, 37]), q('w', [11, 37], 0), f('b', [11])], 6),
  single('Gemm [K, N] (axis 1)', 'Gemm', { transB: 0 }, [x([3, 13]), q('w', [13, 7], 1), f('b', [7])], 7),
  single('MatMul const B (last axis)', 'MatMul', {}, [x([3, 4, 7]), q('w', [7, 5], 1)], 8),
];

describe('int8 weights on WebGPU (Chromium) vs CPU reference on the dequantised values', () => {
  it('every case matches to 1e-4; which kernels read int8 directly', async () => {
    const results = await runGraphCases(session, DIRECT);
    expect(failures(results)).toEqual([]);
    for (const r of results) {
      // Everything but the f32 bias (at most one 16-byte-aligned buffer of it) is int8.
      const bias = 16 * Math.ceil((4 * (DIRECT.find((c) => c.label === r.label)!.inputs.find((i) => i.name === 'b')?.shape[0] ?? 0)) / 16);
      expect(r.memory.int8WeightBytes, `${r.label}: ${r.kernels.join('+')}`).toBe(r.memory.weightBytes - bias);
    }
  });

  it('int8 storage: about a quarter of the f32 weight bytes, same kernels, int8Weights: false turns it off', async () => {
    const big = single('conv 3x3 s2 32→48', 'FusedConv', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], activation: 'relu' }, [x([1, 32, 9, 9]), q('w', [48, 32, 3, 3], 0), f('b', [48])], 9);
    const [int8, full] = await runGraphCases(session, [big, { ...big, label: `${big.label} (f32 storage)`, int8Weights: false }]);
    expect(failures([int8!, full!])).toEqual([]);
    expect(full!.memory.int8WeightBytes).toBe(0);
    expect(int8!.memory.weightBytes).toBeLessThanOrEqual(0.27 * full!.memory.weightBytes);
    expect(int8!.kernels).toEqual(full!.kernels);
  });

  it('Winograd (transformed weights: not int8 values) keeps its derived constants in f32 and still matches', async () => {
    const wino = single('conv 3x3 s1 32→48 (Winograd)', 'FusedConv', { kernel_shape: [3, 3], pads: [1, 1, 1, 1], activation: 'relu' }, [x([1, 32, 9, 9]), q('w', [48, 32, 3, 3], 0), f('b', [48])], 10);
    const [r] = await runGraphCases(session, [wino]);
    expect(failures([r!])).toEqual([]);
    expect(r!.kernels).toContain('winograd_gemm_16x8');
    expect(r!.memory.int8WeightBytes).toBe(0);
  });
});
