/**
 * tests/fixtures/segmentation (tools/export_segmentation.py): torchvision segmentation models as ONNX skeletons whose
 * float initializers were stripped of their data; manifest.json says how to regenerate each one bit for bit
 * (`randomF32(numel, seed, lo, hi)`, the same values the exporter set in the torch model before computing PyTorch's
 * reference outputs). `refilledOnnx` puts them back and re-encodes the ModelProto (the importer's own protobuf schema).
 */
import { readFileSync } from 'node:fs';
import { onnxModelType } from '../../src/import/onnx/schema.js';
import { readNpy } from '../../src/io/npy.js';
import type { Tensor } from '../../src/graph/ir.js';
import { randomF32 } from './rng.js';

export const SEGMENTATION_DIR = new URL('../fixtures/segmentation/', import.meta.url);

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

export function segmentationManifest(): SegManifest {
  return JSON.parse(readFileSync(new URL('manifest.json', SEGMENTATION_DIR), 'utf8')) as SegManifest;
}

/** The model's ONNX with every stripped initializer refilled from the PRNG (throws if the manifest and file disagree). */
export function refilledOnnx(m: SegModel): Uint8Array {
  const type = onnxModelType();
  const skeleton = new Uint8Array(readFileSync(new URL(m.model, SEGMENTATION_DIR)));
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

/** A case's input, regenerated exactly as the exporter made it. */
export function segInput(c: SegCase): Float32Array {
  return randomF32(c.shape.reduce((a, b) => a * b, 1), c.seed);
}

export function segReference(c: SegCase): Tensor {
  return readNpy(new Uint8Array(readFileSync(new URL(c.output, SEGMENTATION_DIR))));
}

export function segErrors(got: ArrayLike<number>, want: ArrayLike<number>): { maxAbs: number; relL2: number; maxRef: number } {
  let maxAbs = 0;
  let maxRef = 0;
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    const d = got[i]! - want[i]!;
    maxAbs = Math.max(maxAbs, Math.abs(d));
    maxRef = Math.max(maxRef, Math.abs(want[i]!));
    num += d * d;
    den += want[i]! ** 2;
  }
  return { maxAbs, relL2: Math.sqrt(num / den), maxRef };
}
