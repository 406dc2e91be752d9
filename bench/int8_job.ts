/**
 * `npm run bench -- --int8`: int8 weights against f32 weights for Tessera on WebGPU, in the page (or Node job) of the
 * default Tessera job, after it. Three sessions of the same model converted by the Node side (bench/run.ts, the
 * passes of `tessera convert`): the f32 .tessera, the `--int8` .tessera with the default `int8Weights` (dequantised
 * at load on a software adapter, in registers on hardware) and the `--int8` .tessera with `int8Weights: true` (int8
 * on the GPU, dequantised in registers everywhere). Their steady runs are interleaved (one run of each per round), so
 * load changes on the shared machine hit all three alike and the ratios are side by side.
 */
import { Session } from '../src/runtime/session.js';
import type { Int8Result, JobSpec } from './page_types.js';
import { relativeL2 as relL2 } from '../src/graph/quant_int8.js';
import { fetchBytes, median } from './page_util.js';

type Feeds = Parameters<Session['run']>[0];

export async function measureInt8(spec: JobSpec, input: Float32Array): Promise<Int8Result> {
  const files = spec.int8!;
  const f32Bytes = await fetchBytes(files.f32Url);
  const int8Bytes = await fetchBytes(files.int8Url);
  const variants: { label: keyof Int8Result['medianMs']; bytes: Uint8Array; int8Weights?: boolean }[] = [
    { label: 'f32', bytes: f32Bytes },
    { label: 'int8', bytes: int8Bytes },
    { label: 'int8InRegister', bytes: int8Bytes, int8Weights: true },
  ];
  const sessions: Session[] = [];
  try {
    const outputs: Float32Array[] = [];
    for (const v of variants) {
      const s = await Session.create(v.bytes, { backend: 'webgpu', ...(v.int8Weights !== undefined ? { int8Weights: v.int8Weights } : {}) });
      sessions.push(s);
      const feeds: Feeds = { [s.inputs[0]!.name]: { dtype: 'f32', shape: spec.inputShape, data: input } };
      outputs.push(Object.values(await s.run(feeds))[0]!.data as Float32Array); // first run: outside the timings
    }
    const runs: number[][] = variants.map(() => []);
    const start = performance.now();
    while (runs[0]!.length < spec.reps) {
      for (let i = 0; i < sessions.length; i++) {
        const s = sessions[i]!;
        const t0 = performance.now();
        await s.run({ [s.inputs[0]!.name]: { dtype: 'f32', shape: spec.inputShape, data: input } });
        runs[i]!.push(performance.now() - t0);
      }
      if (runs[0]!.length >= spec.minReps && performance.now() - start > 3 * spec.maxSeconds * 1000) break;
    }
    return {
      fileBytes: { f32: f32Bytes.length, int8: int8Bytes.length },
      medianMs: { f32: median(runs[0]!), int8: median(runs[1]!), int8InRegister: median(runs[2]!) },
      reps: runs[0]!.length,
      relL2: { int8: relL2(outputs[0]!, outputs[1]!), int8InRegister: relL2(outputs[0]!, outputs[2]!) },
    };
  } finally {
    for (const s of sessions) s.release();
  }
}
