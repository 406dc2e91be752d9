/**
 * Node side of the image preprocessing: ImageData goes straight to the shared resize/normalise code, so the tensor
 * must equal the CLI's for the same pixels. (Canvas-backed sources are checked in Chromium by e2e/image_sources.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageToInput, preprocessingMetadata } from '../../src/image/index.js';
import { decodePng } from '../../src/io/png.js';
import { imageToTensor, inputGeometry, normalizationFor, type ImageU8 } from '../../src/io/preprocess.js';
import type { GraphMetadata } from '../../src/graph/ir.js';

class FakeImageData {
  constructor(
    readonly data: Uint8ClampedArray,
    readonly width: number,
    readonly height: number,
  ) {}
}
const hadImageData = 'ImageData' in globalThis;
beforeAll(() => {
  if (!hadImageData) (globalThis as Record<string, unknown>)['ImageData'] = FakeImageData;
});
afterAll(() => {
  if (!hadImageData) delete (globalThis as Record<string, unknown>)['ImageData'];
});

const META: GraphMetadata = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], inputSize: [3, 32, 32], pixelScale: 1 / 255, colorOrder: 'RGB' };
const SHAPE = [-1, 3, 32, 32];

function toImageData(img: ImageU8): ImageData {
  const rgba = new Uint8ClampedArray(img.width * img.height * 4);
  for (let p = 0; p < img.width * img.height; p++) {
    for (let c = 0; c < 3; c++) rgba[p * 4 + c] = img.data[p * img.channels + (img.channels === 1 ? 0 : c)]!;
    rgba[p * 4 + 3] = 255;
  }
  return new (globalThis as unknown as { ImageData: new (d: Uint8ClampedArray, w: number, h: number) => ImageData }).ImageData(rgba, img.width, img.height);
}

function cliTensor(img: ImageU8, meta: GraphMetadata) {
  const geom = inputGeometry(SHAPE, meta);
  return imageToTensor(img, geom, normalizationFor(meta, geom.channels));
}

/** A seeded w x h RGB test pattern. */
function pattern(w: number, h: number, seed: number): ImageU8 {
  const data = new Uint8Array(w * h * 3);
  let x = seed;
  for (let i = 0; i < data.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    data[i] = (x >>> 16) & 0xff;
  }
  return { width: w, height: h, channels: 3, layout: 'HWC', data };
}

describe('imageToInput (ImageData)', () => {
  it('gives the CLI tensor, bit for bit, for a CIFAR-10 sample PNG', () => {
    const img = decodePng(new Uint8Array(readFileSync(new URL('../../demo/public/samples/cifar10-test-0000.png', import.meta.url))));
    const got = imageToInput(toImageData(img), { inputShape: SHAPE, metadata: META });
    const want = cliTensor(img, META);
    expect(got.shape).toEqual([1, 3, 32, 32]);
    expect(Array.from(got.data as Float32Array)).toEqual(Array.from(want.data as Float32Array));
  });

  it('matches the CIFAR-10 record the sample was written from', () => {
    const rec = readFileSync(new URL('../fixtures/data/cifar10/test_batch.bin', import.meta.url)).subarray(0, 3073);
    const img = decodePng(new Uint8Array(readFileSync(new URL('../../demo/public/samples/cifar10-test-0000.png', import.meta.url))));
    expect(rec[0]).toBe(3); // cat
    const chw = new Uint8Array(3072);
    for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) chw[c * 1024 + p] = img.data[p * img.channels + c]!;
    expect(Buffer.from(chw).equals(rec.subarray(1))).toBe(true);
  });

  it('resizes and center-crops other sizes exactly like the CLI', () => {
    for (const [w, h] of [[64, 48], [20, 50], [33, 32]] as const) {
      const img = pattern(w, h, w * 100 + h);
      const got = imageToInput(toImageData(img), { inputShape: SHAPE, metadata: META });
      expect(Array.from(got.data as Float32Array)).toEqual(Array.from(cliTensor(img, META).data as Float32Array));
    }
  });

  it('reads mean/std/size/colour order from ONNX metadata_props kept in provenance', () => {
    const fromProps: GraphMetadata = {
      provenance: {
        'meta.mean': '[0.485, 0.456, 0.406]',
        'meta.std': '[0.229, 0.224, 0.225]',
        'meta.inputSize': '[3, 32, 32]',
        'meta.colorOrder': 'BGR',
      },
    };
    const resolved = preprocessingMetadata(fromProps);
    expect(resolved.mean).toEqual([0.485, 0.456, 0.406]);
    expect(resolved.colorOrder).toBe('BGR');
    const img = pattern(32, 32, 5);
    const got = imageToInput(toImageData(img), { inputShape: [-1, 3, -1, -1], metadata: fromProps });
    const want = cliTensor(img, { ...META, colorOrder: 'BGR' });
    expect(Array.from(got.data as Float32Array)).toEqual(Array.from(want.data as Float32Array));
    // BGR really swaps: channel 0 of the result is the blue plane.
    const rgb = cliTensor(img, META).data as Float32Array;
    expect(Array.from((got.data as Float32Array).subarray(0, 8))).not.toEqual(Array.from(rgb.subarray(0, 8)));
  });

  it('gives a grey model the luma of a colour image', () => {
    const img = pattern(28, 28, 9);
    const gray: GraphMetadata = { inputSize: [1, 28, 28], mean: [0], std: [1] };
    const got = imageToInput(toImageData(img), { inputShape: [1, 1, 28, 28], metadata: gray });
    expect(got.shape).toEqual([1, 1, 28, 28]);
    const p = 0;
    const luma = 0.299 * img.data[0]! + 0.587 * img.data[1]! + 0.114 * img.data[2]!;
    expect((got.data as Float32Array)[p]).toBeCloseTo(luma / 255, 5);
  });
});
