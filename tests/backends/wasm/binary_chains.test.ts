/**
 * Bit-packed binary chains on the WASM backend (kernels/binary.c: binarize, bdots, bbits) against the CPU reference:
 * seeded random chains (tests/harness/binary_chains.ts: odd channel counts, pads 0 / -1, stride 2, MaxPools fused
 * as OR / AND windows, negative BN scales, thresholds placed exactly on producer outputs) packed by packBinaryChains
 * into BinaryConvBits producers, run on WasmExecutor with 1 and 2 threads (the pool's program and the calling
 * thread's); every packed tensor and the final output equal the CPU reference's bit for bit.
 *
 * The chains' activations are the exact ones (none, relu, leaky_relu, clip). With sigmoid, tanh or hard_swish in a
 * float epilogue, WASM and the CPU reference differ by an ulp (f32 vs f64 evaluation), and the generator's thresholds
 * sit exactly on such outputs, so a tie flips a bit downstream: a difference of the epilogue, not of the binary
 * kernels (the float epilogues are checked within 1e-5 in kernels_ops.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../../src/backends/cpu/index.js';
import { WasmExecutor } from '../../../src/backends/wasm/index.js';
import { inferShapes } from '../../../src/graph/infer.js';
import type { Graph, Tensor } from '../../../src/graph/ir.js';
import { packBinaryChains } from '../../../src/graph/passes/pack_binary_chains.js';
import { randomChain } from '../../harness/binary_chains.js';

const CHAINS = 60;

/** The packed producers' outputs as extra graph outputs. */
function exposePacked(g: Graph): { graph: Graph; packed: string[] } {
  const infos = inferShapes(g);
  const packed = g.nodes.filter((n) => n.op === 'BinaryConvBits').map((n) => n.outputs[0]!);
  return { graph: { ...g, outputs: [...g.outputs, ...packed.map((name) => ({ ...infos.get(name)!, name }))] }, packed };
}

/** Index of the first differing 32-bit word of two tensors (f32 or packed bits), -1 when identical. */
function firstDifference(a: Tensor, b: Tensor): number {
  if (a.shape.join(',') !== b.shape.join(',') || a.dtype !== b.dtype || a.data.byteLength !== b.data.byteLength) return 0;
  const x = new Uint32Array(a.data.buffer, a.data.byteOffset, a.data.byteLength / 4);
  const y = new Uint32Array(b.data.buffer, b.data.byteOffset, b.data.byteLength / 4);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

describe(`WASM bit-packed binary chains vs CPU reference (${CHAINS} seeded chains, 1 and 2 threads)`, () => {
  it('every packed tensor and the output identical bit for bit', async () => {
    const problems: string[] = [];
    let producers = 0;
    for (let i = 0; i < CHAINS; i++) {
      const chain = randomChain(i, { unitLast: i % 2 === 0 });
      const { graph, packed } = exposePacked(packBinaryChains(chain.graph));
      producers += packed.length;
      const input = graph.inputs[0]!.name;
      const ref = new CpuExecutor(graph).run({ [input]: chain.x });
      for (const threads of [1, 2]) {
        const ex = await WasmExecutor.create(graph, { inputShapes: { [input]: [...chain.x.shape] }, numThreads: threads });
        try {
          if (ex.info.fallbackNodes.some((f) => /\(Binary/.test(f))) problems.push(`${chain.label} t${threads}: binary node on the CPU reference: ${ex.info.fallbackNodes.join(', ')}`);
          const feeds = { [input]: chain.x.data as Float32Array };
          for (const out of threads > 1 ? [ex.run(feeds, 'pool'), ex.run(feeds, 'single')] : [ex.run(feeds)])
            for (const o of graph.outputs) {
              const at = firstDifference(out[o.name]!, ref[o.name]!);
              if (at >= 0) problems.push(`${chain.label} t${threads}: ${o.name} differs at word ${at}`);
            }
        } finally {
          ex.release();
        }
      }
    }
    expect(producers).toBeGreaterThan(CHAINS); // most chains pack several producers
    expect(problems, problems.slice(0, 20).join('\n')).toEqual([]);
  });
});
