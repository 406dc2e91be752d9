/**
 * What a threaded executor's two programs differ in (src/backends/wasm/lower.ts, `Addresses.threads`): a conv node
 * with few pixel blocks is split into output-channel chunks for the pool, and not for the calling thread alone (each
 * chunk repeats its block's im2col copy or Winograd input transform). Correctness of both programs against the CPU
 * reference is in kernels.test.ts / kernels_ops.test.ts (helpers.ts runs a threaded executor in both modes).
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../src/graph/builder.js';
import { inferShapes } from '../../../src/graph/infer.js';
import type { Tensor } from '../../../src/graph/ir.js';
import { planMemory } from '../../../src/plan/index.js';
import { lowerNode, type Addresses } from '../../../src/backends/wasm/lower.js';

const zeros = (shape: number[]): Tensor => ({ dtype: 'f32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });

/** The conv's kernel calls, lowered as the executor does, and its last call encoded for `threads`. */
function encodedFor(x: number[], cout: number, k: number, strides: number[], threads: number): { kernels: string[]; fields: number[] } {
  const b = new GraphBuilder();
  b.input('x', 'f32', x);
  const y = b.node('Conv', ['x', b.init('w', zeros([cout, x[1]!, k, k])), b.init('b', zeros([cout]))], { pads: [1, 1, 1, 1], strides });
  b.output(y);
  const graph = b.build();
  const values = inferShapes(graph, { x });
  const plan = planMemory(graph, values, { alignment: 64, maxBufferBytes: 2 ** 31 });
  const calls = lowerNode(graph.nodes[0]!, { graph, plan, constant: (n) => graph.initializers.get(n), packed: new Map() })!;
  const a: Addresses = { tensor: () => 4096, weight: () => 8192, scratch: 16384, scratchStride: 1024, shared: 32768, threads };
  return { kernels: calls.map((c) => c.kernel), fields: calls.at(-1)!.encode(a) };
}

describe('WASM lowering: channel chunks per thread count', () => {
  it('a Winograd conv on an 8x8 plane (one pixel block): 8 chunks for 2 threads, none for one', () => {
    const one = encodedFor([1, 64, 8, 8], 64, 3, [1, 1], 1);
    const two = encodedFor([1, 64, 8, 8], 64, 3, [1, 1], 2);
    expect(one.kernels).toEqual(['pad2d', 'winograd']);
    expect(one.fields.at(-1)).toBe(1); // the last Winograd field is the chunk count
    expect(two.fields.at(-1)).toBe(8); // >= 4 items per thread: 8 of the 16 channel tiles' chunks
    // nothing else differs between the two encodings
    expect(two.fields.slice(0, -1)).toEqual(one.fields.slice(0, -1));
  });

  it('a strided (im2col) conv with few pixel blocks likewise; a big plane needs no chunks for either', () => {
    const diff = (x: number[], s: number) => {
      const [a, b] = [encodedFor(x, 32, 3, [s, s], 1).fields, encodedFor(x, 32, 3, [s, s], 2).fields];
      return a.flatMap((v, i) => (v !== b[i] ? [[v, b[i]]] : []));
    };
    expect(diff([1, 16, 8, 8], 2)).toEqual([[1, 8]]); // 16 output pixels: one block; 8 chunks (its 8 channel tiles)
    expect(diff([1, 16, 64, 64], 2)).toEqual([[1, 2]]); // 1024 output pixels: 5 blocks, 2 chunks each for 8 items
    expect(diff([1, 16, 128, 128], 2)).toEqual([]); // 4096 output pixels: 19 blocks, >= 4 per thread
  });
});
