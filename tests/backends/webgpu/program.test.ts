/** Node-only checks of the program builder: uniform layout, dispatch folding, cache keys, and that no model text reaches WGSL. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs tool without type declarations
import { OUTPUT, renderShadersModule } from '../../../tools/gen_shaders.mjs';
import { buildProgram, foldDispatch, packUniforms, WebGPUKernelError, type KernelContext } from '../../../src/backends/webgpu/program.js';
import { webgpuKernels } from '../../../src/backends/webgpu/kernels.js';
import type { Node } from '../../../src/graph/ir.js';

describe('shaders.gen.ts', () => {
  it('is up to date with shaders/*.wgsl (run node tools/gen_shaders.mjs)', () => {
    expect(readFileSync(OUTPUT, 'utf8')).toBe(renderShadersModule());
  });
});

describe('packUniforms', () => {
  it('lays scalars at 4 bytes and arrays at 16-byte aligned vec4 slots, as WGSL does', () => {
    const { data, decl } = packUniforms([
      { name: 'total', type: 'u32', value: 7 },
      { name: 'alpha', type: 'f32', value: 0.5 },
      { name: 'shape', type: 'u32', value: [2, 3, 4, 5, 6] },
      { name: 'off', type: 'i32', value: -3 },
    ]);
    expect(data.byteLength).toBe(64); // 8 bytes of scalars, padded to 16, 32 bytes of array, 4 bytes, padded to 16
    const u32 = new Uint32Array(data);
    expect(u32[0]).toBe(7);
    expect(new Float32Array(data)[1]).toBe(0.5);
    expect([...u32.slice(4, 9)]).toEqual([2, 3, 4, 5, 6]);
    expect(new Int32Array(data)[12]).toBe(-3);
    expect(decl).toContain('shape: array<vec4<u32>, 2>');
  });

  it('clamps infinities (Clip without bounds) and rejects out-of-range integers', () => {
    const { data } = packUniforms([
      { name: 'lo', type: 'f32', value: -Infinity },
      { name: 'hi', type: 'f32', value: Infinity },
    ]);
    const f = new Float32Array(data);
    expect(Number.isFinite(f[0]!)).toBe(true);
    expect(f[0]).toBeLessThan(-3e38);
    expect(f[1]).toBeGreaterThan(3e38);
    expect(() => packUniforms([{ name: 'n', type: 'u32', value: -1 }])).toThrow(WebGPUKernelError);
    expect(() => packUniforms([{ name: 'n', type: 'u32', value: 1.5 }])).toThrow(WebGPUKernelError);
    expect(() => packUniforms([{ name: 'bad name', type: 'u32', value: 1 }])).toThrow(WebGPUKernelError);
  });
});

describe('foldDispatch', () => {
  it('keeps every dimension within the limit and covers all workgroups', () => {
    for (const n of [1, 65535, 65536, 65535 * 3 + 1, 65535 * 65535 + 5]) {
      const [x, y, z] = foldDispatch(n, 65535);
      expect(Math.max(x, y, z)).toBeLessThanOrEqual(65535);
      expect(x * y * z).toBeGreaterThanOrEqual(n);
      expect(x * y * z - n).toBeLessThan(x * y); // no fully-empty z slab
    }
    expect(foldDispatch(10, 4)).toEqual([4, 3, 1]);
  });
});

function plan(node: Node, inputShapes: number[][], outputShapes: number[][]) {
  const ctx: KernelContext = { node, inputShapes, outputShapes };
  return webgpuKernels[node.op]!(ctx).programs.map((s) => buildProgram(s));
}

describe('buildProgram', () => {
  it('never puts node or tensor names from the model into WGSL', () => {
    const evil = 'x; } fn main() { /* injected */';
    const node: Node = { name: evil, op: 'Conv', inputs: [`${evil}_in`, `${evil}_w`, `${evil}_b`], outputs: [`${evil}_out`], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } };
    const programs = plan(node, [[1, 2, 5, 5], [4, 2, 3, 3], [4]], [[1, 4, 5, 5]]);
    for (const p of programs) {
      expect(p.wgsl).not.toContain('injected');
      expect(p.cacheKey).not.toContain('injected');
      expect(p.inputs.map((i) => i.tensor)).toContain(`${evil}_in`); // names stay on the binding side only
    }
  });

  it('rejects a fused activation that is not in the fixed table', () => {
    const node: Node = { name: 'c', op: 'FusedConv', inputs: ['x', 'w'], outputs: ['y'], attrs: { kernel_shape: [1, 1], activation: 'relu; evil' } };
    expect(() => plan(node, [[1, 1, 2, 2], [1, 1, 1, 1]], [[1, 1, 2, 2]])).toThrow();
  });

  it('shares one cache key across shapes (shapes are uniforms) and separates variants', () => {
    const relu = (shape: number[]) => plan({ name: 'r', op: 'Relu', inputs: ['x'], outputs: ['y'], attrs: {} }, [shape], [shape])[0]!;
    expect(relu([1, 2, 3]).cacheKey).toBe(relu([7, 9]).cacheKey);
    const sig = plan({ name: 's', op: 'Sigmoid', inputs: ['x'], outputs: ['y'], attrs: {} }, [[4]], [[4]])[0]!;
    expect(sig.cacheKey).not.toBe(relu([4]).cacheKey);
    const a = relu([1, 2, 3]);
    expect(new Uint32Array(a.uniformData)[0]).toBe(6);
  });

  it('keeps `// @if` lines only when the define is set (bias / no bias)', () => {
    const conv = (inputs: string[]) =>
      plan({ name: 'c', op: 'Conv', inputs, outputs: ['y'], attrs: { kernel_shape: [1, 1] } }, [[1, 1, 2, 2], [1, 1, 1, 1], [1]].slice(0, inputs.length), [[1, 1, 2, 2]])[0]!;
    expect(conv(['x', 'w', 'b']).wgsl).toContain('bias_at(oc)');
    expect(conv(['x', 'w']).wgsl).not.toContain('bias_at(oc)');
  });
});
