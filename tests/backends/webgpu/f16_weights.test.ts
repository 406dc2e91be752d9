/**
 * f16 weight storage: constants stored as f16 stay halves in GPU buffers (half the bytes) and are read with
 * `unpack2x16float` (no shader-f16, e.g. SwiftShader) or as `f16` (shader-f16). The CPU reference decodes the
 * same halves, so WebGPU must match it as tightly as with f32 weights.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession } from '../../../src/node/browser_harness.js';
import type { Node } from '../../../src/graph/ir.js';
import { buildProgram, type BindingLayout, type ProgramSpec } from '../../../src/backends/webgpu/program.js';
import { failures, runGraphCases, startTestBrowser, type GraphCase } from '../../harness/browser.js';

describe('accessor code for f16 storage (no GPU)', () => {
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
  const layout = (element: 'f32' | 'f16' | 'f16x2'): BindingLayout => ({
    slotOf: [0, 1, 0],
    slots: [
      { writable: true, element: 'f32' },
      { writable: false, element },
    ],
    offsets: [12, 0, 100],
  });

  it('packed halves: two per u32, read with unpack2x16float; vec4 reads as vec2<u32>', () => {
    const p = buildProgram(spec, { layout: layout('f16x2') });
    expect(p.wgsl).toContain('array<vec2<u32>>');
    expect(p.wgsl).toContain('unpack2x16float');
    expect(p.wgsl).not.toContain('enable f16');
    expect(p.bindingCount).toBe(2);
  });

  it('shader-f16: `enable f16;` first, array<vec4<f16>>, converted to f32 on read', () => {
    const p = buildProgram(spec, { layout: layout('f16') });
    expect(p.wgsl.startsWith('enable f16;')).toBe(true);
    expect(p.wgsl).toContain('array<vec4<f16>>');
    expect(p.wgsl).toContain('vec4<f32>(b1_[(u.off_w >> 2u) + i])');
  });

  it('tensors sharing a binding get their element offsets as uniforms; storage kinds are part of the cache key', () => {
    const a = buildProgram(spec, { layout: layout('f16x2') });
    const b = buildProgram(spec, { layout: layout('f32') });
    expect(a.cacheKey).not.toBe(b.cacheKey);
    const u32 = new Uint32Array(a.uniformData);
    expect([...u32.slice(1, 4)]).toEqual([12, 0, 100]); // off_x, off_w, off_y after `total`
    expect(a.wgsl).toContain('fn x_at(i: u32) -> f32 { return b0_[u.off_x + i]; }');
    expect(a.wgsl).toContain('fn y_set(i: u32, v: f32) { b0_[u.off_y + i] = v; }');
    expect(() => buildProgram(spec, { layout: { ...layout('f32'), slots: [{ writable: true, element: 'f16' }, { writable: false, element: 'f32' }] } })).toThrow(/writable/);
  });
});

let session: BrowserSession;
beforeAll(async () => {
  session = await startTestBrowser();
});
afterAll(async () => {
  await session?.close();
});

/** One node with f16 initializers. */
function single(label: string, op: string, attrs: Node['attrs'], inputs: GraphCase['inputs'], seed: number): GraphCase {
  return { label, nodes: [{ name: 'n', op, inputs: inputs.map((i) => i.name), outputs: ['y'], attrs }], inputs, outputs: ['y'], seed };
}
const h = (name: string, shape: number[], lo = -1, hi = 1) => ({ name, shape, kind: 'const' as const, dtype: 'f16' as const, lo, hi });
const x = (shape: number[]) => ({ name: 'x', shape });

const CASES: GraphCase[] = [
  single('conv 3x3 16→24 (gemm variant)', 'FusedConv', { kernel_shape: [3, 3], pads: [1, 1, 1, 1], activation: 'relu' }, [x([1, 16, 9, 9]), h('w', [24, 16, 3, 3]), h('b', [24])], 1),
  single('conv 1x1 12→20', 'Conv', { kernel_shape: [1, 1] }, [x([1, 12, 8, 8]), h('w', [20, 12, 1, 1]), h('b', [20])], 2),
  single('depthwise 3x3 c=10', 'Conv', { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 10 }, [x([1, 10, 7, 7]), h('w', [10, 1, 3, 3]), h('b', [10])], 3),
  single('grouped odd 3→3 g3 (3 halves: odd length)', 'Conv', { kernel_shape: [1, 1], group: 3 }, [x([2, 3, 5, 5]), h('w', [3, 1, 1, 1]), h('b', [3])], 4),
  single('conv3d 2→3', 'Conv', { kernel_shape: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1] }, [x([1, 2, 4, 5, 5]), h('w', [3, 2, 3, 3, 3]), h('b', [3])], 5),
  single('Gemm transB', 'FusedGemm', { transB: 1, activation: 'relu' }, [x([2, 37]), h('w', [11, 37]), h('b', [11])], 6),
  single('MatMul const B', 'MatMul', {}, [x([3, 4, 7]), h('w', [7, 5])], 7),
  single('BatchNormalization', 'BatchNormalization', {}, [x([1, 6, 4, 4]), h('s', [6]), h('b', [6]), h('m', [6]), h('v', [6], 0.5, 2)], 8),
];

describe('f16 weights on WebGPU (Chromium) vs CPU reference on the same halves', () => {
  it('every case matches to 1e-4 and stores its weights as f16', async () => {
    const results = await runGraphCases(session, CASES);
    expect(failures(results)).toEqual([]);
    for (const r of results) {
      expect(r.memory.f16WeightBytes, r.label).toBeGreaterThan(0);
      expect(r.memory.f16WeightBytes, r.label).toBe(r.memory.weightBytes);
    }
  });

  it('halves the weight bytes compared with f32 storage of the same graph', async () => {
    const big = CASES[0]!;
    const [half, full] = await runGraphCases(session, [big, { ...big, label: `${big.label} (f32 storage)`, f16Weights: false }]);
    expect(failures([half!, full!])).toEqual([]);
    expect(full!.memory.f16WeightBytes).toBe(0);
    expect(half!.memory.weightBytes).toBeLessThanOrEqual(0.55 * full!.memory.weightBytes);
    expect(half!.kernels).toEqual(full!.kernels);
  });
});
