/**
 * Weight packing at load by the kernel module (what the executor uses, staging raw filters a few output channels at
 * a time): kernels/winograd.c winograd_pack and kernels/conv.c conv_pack must give the same bits as pack.ts's
 * JavaScript loops; the Winograd loop must match src/graph/ops/winograd.ts winogradWeights (U = G g Gᵀ in float64)
 * rounded to f32. Odd channel counts, groups, a last channel tile that is not full, stages of any size.
 */
import { describe, expect, it } from 'vitest';
import { instantiate, kernelModule, wasmFeatures } from '../../../src/backends/wasm/module.js';
import { packConvWeights, packWinogradWeights, type PackMemory } from '../../../src/backends/wasm/pack.js';
import { winogradWeights } from '../../../src/graph/ops/winograd.js';
import { mulberry32, randInt, randomData } from './helpers.js';

const SHAPES: [number, number][] = [[1, 1], [3, 5], [5, 3], [8, 8], [13, 7], [16, 16], [37, 19], [64, 33]];

describe('load-time weight packing in the kernel module', () => {
  it('the JavaScript loop equals winogradWeights (float64) rounded to f32', () => {
    const r = mulberry32(7001);
    for (const [cout, cin] of SHAPES) {
      const w = randomData(r, cout * cin * 9, -3, 3);
      const packed = packWinogradWeights(w, cout, cin);
      const u = winogradWeights(w, cout, cin); // [e][ci][co]
      expect(packed.length).toBe(Math.ceil(cout / 4) * 16 * cin * 4);
      const expected = new Float32Array(packed.length);
      for (let e = 0; e < 16; e++)
        for (let ci = 0; ci < cin; ci++)
          for (let co = 0; co < cout; co++) expected[((co >> 2) * 16 + e) * cin * 4 + ci * 4 + (co & 3)] = u[(e * cin + ci) * cout + co]!;
      expect(packed).toEqual(expected);
    }
  });

  it.runIf(wasmFeatures().simd)('kernels/winograd.c winograd_pack gives the same bits, in stages of any size', async () => {
    const r = mulberry32(7002);
    for (const relaxed of [false, ...(wasmFeatures().relaxedSimd ? [true] : [])]) {
      const memory = new WebAssembly.Memory({ initial: 64 });
      const exports = await instantiate(await kernelModule(false, relaxed), memory);
      for (const [cout, cin] of SHAPES) {
        const w = randomData(r, cout * cin * 9, -3, 3);
        const later = packWinogradWeights(w, cout, cin, true);
        const dst = 1 << 20;
        const stage = 2 << 20;
        // room for 1 .. all output channels per stage
        const rows = Math.min(8, randInt(r, 1, cout));
        new Uint8Array(memory.buffer).fill(0, dst, dst + later.byteLength);
        const mem: PackMemory = { memory, stage, stageBytes: rows * cin * 9 * 4, stageUsed: 0, exports };
        expect(later.writeIn!(mem, dst)).toBe(true);
        expect(mem.stageUsed).toBe(Math.min(rows, cout) * cin * 9 * 4);
        expect(new Float32Array(memory.buffer, dst, later.byteLength / 4)).toEqual(packWinogradWeights(w, cout, cin));
        expect(later.writeIn!({ ...mem, stageBytes: cin * 9 * 4 - 1 }, dst)).toBe(false); // a stage too small for one channel
      }
    }
  });

  it.runIf(wasmFeatures().simd)('kernels/conv.c conv_pack gives the same bits as packConvWeights (groups, odd K, short tiles)', async () => {
    const r = mulberry32(7003);
    const memory = new WebAssembly.Memory({ initial: 64 });
    const exports = await instantiate(await kernelModule(false, false), memory);
    for (let i = 0; i < 40; i++) {
      const group = randInt(r, 1, 4);
      const cout = group * randInt(r, 1, 23);
      const k = randInt(r, 1, 75);
      const w = randomData(r, cout * k);
      const later = packConvWeights(w, cout, group, k, true);
      const dst = 1 << 20;
      new Uint8Array(memory.buffer).fill(0, dst, dst + later.byteLength);
      const rows = 4 * randInt(r, 1, 5);
      const mem: PackMemory = { memory, stage: 2 << 20, stageBytes: rows * k * 4, stageUsed: 0, exports };
      expect(later.writeIn!(mem, dst)).toBe(true);
      expect(new Float32Array(memory.buffer, dst, later.byteLength / 4), `cout ${cout} group ${group} K ${k} stage rows ${rows}`).toEqual(packConvWeights(w, cout, group, k));
      expect(later.writeIn!({ ...mem, stageBytes: 4 * k * 4 - 1 }, dst)).toBe(false); // a stage smaller than one tile
    }
  });
});
