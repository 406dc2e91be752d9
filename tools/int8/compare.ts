/**
 * int8 vs f32 outputs of ONNX models on the CPU reference: import → convert passes → f32 graph, int8 graph
 * (quantizeWeightsInt8) and int8 without depthwise convs; relative L2 of the int8 outputs against the f32 ones and
 * whether top-1 agrees, on the model's own input (MODEL.input.npy next to it).
 * Usage: npx tsx tools/int8/compare.ts MODEL.onnx...
 */
import { readFileSync } from 'node:fs';
import { CpuExecutor } from '../../src/backends/cpu/index.js';
import { convertPipeline } from '../../src/cli/pipeline.js';
import { quantizeWeightsInt8 } from '../../src/graph/passes/quantize_int8.js';
import { relativeL2 } from '../../src/graph/quant_int8.js';
import type { Graph } from '../../src/graph/ir.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import { readNpy } from '../../src/io/npy.js';

const argmaxRows = (v: Float32Array, cols: number) =>
  Array.from({ length: v.length / cols }, (_, r) => {
    const row = Array.from(v.subarray(r * cols, (r + 1) * cols));
    return row.indexOf(Math.max(...row));
  });

for (const path of process.argv.slice(2)) {
  const input = readNpy(new Uint8Array(readFileSync(path.replace(/\.onnx$/, '.input.npy'))));
  const graph = convertPipeline(importOnnx(new Uint8Array(readFileSync(path))), { optimize: true, binarize: true });
  const run = (g: Graph) => {
    const y = Object.values(new CpuExecutor(g).run({ [g.inputs.find((i) => !g.initializers.has(i.name))!.name]: input }))[0]!;
    return { data: y.data as Float32Array, cols: y.shape.at(-1)! };
  };
  const ref = run(graph);
  const line: string[] = [path.split('/').pop()!];
  for (const depthwise of [true, false]) {
    const { graph: q, summary } = quantizeWeightsInt8(graph, { depthwise });
    const out = run(q);
    const same = argmaxRows(ref.data, ref.cols).every((c, i) => c === argmaxRows(out.data, out.cols)[i]);
    line.push(`${depthwise ? 'int8' : 'int8 (no depthwise)'}: ${summary.layers.length} tensors, rel L2 ${relativeL2(ref.data, out.data).toExponential(2)}, top-1 ${same ? 'same' : 'DIFFERENT'}`);
    if (!summary.layers.some((l) => l.op.includes('Conv') && l.shape[1] === 1)) break; // no depthwise: one row is enough
  }
  console.log(line.join(' | '));
}
