/**
 * Node side of `npm run bench -- --int8`: the bench model's ONNX converted as `tessera convert` does (optimize +
 * binarize) into an f32 .tessera and an `--int8` one, and the table row of what bench/int8_job.ts measured.
 */
import { convertPipeline } from '../src/cli/pipeline.js';
import { writeTessera } from '../src/format/index.js';
import { quantizeWeightsInt8 } from '../src/graph/passes/quantize_int8.js';
import { importOnnx } from '../src/import/onnx/index.js';
import type { JobResult } from './page_types.js';

export interface Int8Files {
  f32: Uint8Array;
  int8: Uint8Array;
}

export function int8Files(onnx: Uint8Array): Int8Files {
  const graph = convertPipeline(importOnnx(onnx), { optimize: true, binarize: true });
  return { f32: writeTessera(graph), int8: writeTessera(quantizeWeightsInt8(graph).graph) };
}

export const INT8_TABLE_HEAD = [
  '| model | file int8 / f32 | f32 median | int8 median (default int8Weights) | int8 / f32 | int8 median (int8Weights: true) | int8 / f32 | rel L2 vs f32 | runs |',
  '|---|---|---|---|---|---|---|---|---|',
];

/** One row of the --int8 table. */
export function int8Line(model: string, r: JobResult): string {
  const t = r.int8!;
  const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`);
  const mb = (x: number) => `${(x / 2 ** 20).toFixed(1)} MiB`;
  const ratio = (x: number) => `${(x / t.medianMs.f32).toFixed(2)}×`;
  return (
    `| ${model} | ${mb(t.fileBytes.int8)} / ${mb(t.fileBytes.f32)} (${((100 * t.fileBytes.int8) / t.fileBytes.f32).toFixed(1)} %) | ${ms(t.medianMs.f32)} | ` +
    `${ms(t.medianMs.int8)} | ${ratio(t.medianMs.int8)} | ${ms(t.medianMs.int8InRegister)} | ${ratio(t.medianMs.int8InRegister)} | ` +
    `${t.relL2.int8.toExponential(1)} / ${t.relL2.int8InRegister.toExponential(1)} | ${t.reps} |`
  );
}
