/**
 * Browser bundle for gelu.test.ts: the shared test entry plus a runner for a unary node on given values (the
 * shared one draws random inputs; Erf / Gelu are checked at ±0, tiny, huge and ±Inf too). Values cross
 * page.evaluate as f32 bit patterns so -0, ±Inf and NaN survive the serialisation.
 */
import '../../harness/browser_test_entry.js';
import { cpuKernels } from '../../../src/backends/cpu/index.js';
import { sharedGpu } from '../../../src/backends/webgpu/device.js';
import { WebGPUExecutor } from '../../../src/backends/webgpu/executor.js';
import type { Graph, Node, Tensor } from '../../../src/graph/ir.js';

const bitsOf = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

(globalThis as unknown as { tesseraGeluTest: unknown }).tesseraGeluTest = {
  async unary(op: string, attrs: Node['attrs'], bits: number[]): Promise<{ cpu: number[]; gpu: number[]; kernels: string[] }> {
    const x = new Float32Array(Uint32Array.from(bits).buffer);
    const node: Node = { name: 'node_under_test', op, inputs: ['x'], outputs: ['y'], attrs };
    const input: Tensor = { dtype: 'f32', shape: [x.length], data: x };
    const cpu = cpuKernels[op]!(node, [input])[0]!.data as Float32Array;
    const graph: Graph = {
      inputs: [{ name: 'x', dtype: 'f32', shape: [x.length] }],
      outputs: [{ name: 'y', dtype: 'f32', shape: [x.length] }],
      nodes: [node],
      initializers: new Map(),
      metadata: {},
    };
    const ex = await WebGPUExecutor.create(await sharedGpu(), graph);
    const gpu = (await ex.run({ x }))['y']!.data as Float32Array;
    const kernels = ex.dispatches.map((d) => d.kernel);
    ex.release();
    return { cpu: bitsOf(cpu), gpu: bitsOf(gpu), kernels };
  },
};
