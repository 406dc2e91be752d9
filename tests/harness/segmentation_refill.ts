/**
 * The browser-safe half of tests/harness/segmentation.ts: turns a weight-free segmentation skeleton
 * (tests/fixtures/segmentation, tools/export_segmentation.py) back into a runnable ONNX model by regenerating every
 * stripped float initializer from the seeded PRNG the manifest names (`randomF32(numel, seed, lo, hi)`). No Node APIs:
 * the demo page (demo/lib/segmentation.ts) builds its random-weight LR-ASPP with it, in the browser.
 */
import { onnxModelType } from '../../src/import/onnx/schema.js';
import { randomF32 } from './rng.js';

export interface SegInitializer {
  name: string;
  dims: number[];
  seed: number;
  lo: number;
  hi: number;
}
export interface SegCase {
  shape: number[];
  seed: number;
  inputSum: number;
  output: string;
  outputShape: number[];
}
export interface SegModel {
  name: string;
  model: string;
  parameters: number;
  initializers: SegInitializer[];
  cases: SegCase[];
}
export interface SegManifest {
  source: string;
  input: string;
  output: string;
  models: SegModel[];
}

/** `skeleton` (the model's ONNX file without weights) with every stripped initializer refilled; throws if the manifest and file disagree. */
export function refillSkeleton(skeleton: Uint8Array, m: SegModel): Uint8Array {
  const type = onnxModelType();
  const msg = type.decode(skeleton) as unknown as { graph: { initializer: { name: string; dims: unknown[]; raw_data?: Uint8Array }[] } };
  const byName = new Map(m.initializers.map((t) => [t.name, t]));
  let filled = 0;
  for (const init of msg.graph.initializer) {
    const t = byName.get(init.name);
    if (!t) continue;
    const dims = init.dims.map(Number);
    if (dims.join(',') !== t.dims.join(',')) throw new Error(`${m.name}: initializer ${t.name} has dims [${dims}], manifest [${t.dims}]`);
    if (init.raw_data !== undefined && init.raw_data.length > 0) throw new Error(`${m.name}: initializer ${t.name} was not stripped`);
    const data = randomF32(t.dims.reduce((a, b) => a * b, 1), t.seed, t.lo, t.hi);
    const bytes = new Uint8Array(data.byteLength);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
    init.raw_data = bytes;
    filled++;
  }
  if (filled !== m.initializers.length) throw new Error(`${m.name}: refilled ${filled} of ${m.initializers.length} initializers`);
  return type.encode(msg as never).finish();
}
