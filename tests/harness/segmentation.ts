/**
 * tests/fixtures/segmentation (tools/export_segmentation.py): torchvision segmentation models as ONNX skeletons whose
 * float initializers were stripped of their data; manifest.json says how to regenerate each one bit for bit
 * (`randomF32(numel, seed, lo, hi)`, the same values the exporter set in the torch model before computing PyTorch's
 * reference outputs). `refilledOnnx` puts them back and re-encodes the ModelProto (the importer's own protobuf schema).
 */
import { readFileSync } from 'node:fs';
import { readNpy } from '../../src/io/npy.js';
import type { Tensor } from '../../src/graph/ir.js';
import { randomF32 } from './rng.js';
import { refillSkeleton, type SegCase, type SegManifest, type SegModel } from './segmentation_refill.js';

export const SEGMENTATION_DIR = new URL('../fixtures/segmentation/', import.meta.url);

export type { SegCase, SegInitializer, SegManifest, SegModel } from './segmentation_refill.js';

export function segmentationManifest(): SegManifest {
  return JSON.parse(readFileSync(new URL('manifest.json', SEGMENTATION_DIR), 'utf8')) as SegManifest;
}

/** The model's ONNX with every stripped initializer refilled from the PRNG (throws if the manifest and file disagree). */
export function refilledOnnx(m: SegModel): Uint8Array {
  return refillSkeleton(new Uint8Array(readFileSync(new URL(m.model, SEGMENTATION_DIR))), m);
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
