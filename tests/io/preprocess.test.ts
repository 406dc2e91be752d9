import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../../src/io/npy.js';
import {
  batchToTensor,
  imageToTensor,
  inputGeometry,
  normalizationFor,
  PreprocessError,
  type ImageU8,
} from '../../src/io/preprocess.js';

const FIX = join(__dirname, '../fixtures/io');
const npy = (name: string) => readNpy(new Uint8Array(readFileSync(join(FIX, name))), name);

describe('normalization and geometry', () => {
  it('uses metadata mean/std/pixelScale with documented defaults', () => {
    const n = normalizationFor({ mean: [0.5, 0.25, 0], std: [0.5, 0.25, 2] }, 3);
    expect(n.pixelScale).toBeCloseTo(1 / 255, 12);
    expect(normalizationFor({}, 1)).toMatchObject({ mean: [0], std: [1] });
    expect(normalizationFor({ mean: [0.1307], std: [0.3081] }, 3).mean).toEqual([0.1307, 0.1307, 0.1307]);
    expect(() => normalizationFor({ mean: [1, 2] }, 3)).toThrow(PreprocessError);
    expect(() => normalizationFor({ std: [0] }, 1)).toThrow(/non-zero/);
  });

  it('takes geometry from the input shape, falling back to inputSize for dynamic dims', () => {
    expect(inputGeometry([1, 3, 32, 32], {})).toEqual({ channels: 3, height: 32, width: 32 });
    expect(inputGeometry([-1, 1, -1, -1], { inputSize: [1, 28, 28] })).toEqual({ channels: 1, height: 28, width: 28 });
    expect(() => inputGeometry([-1, 3, -1, -1], {})).toThrow(PreprocessError);
    expect(() => inputGeometry([1, 784], {})).toThrow(/not an NCHW image/);
  });
});

describe('batchToTensor / imageToTensor', () => {
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const norm = normalizationFor({ mean, std }, 3);
  const geom = { channels: 3, height: 2, width: 3 };
  const chw = Uint8Array.from({ length: 2 * 18 }, (_, i) => (i * 29 + 3) % 256);

  it('normalises CHW uint8 batches as (v/255 - mean)/std', () => {
    const t = batchToTensor(chw, 2, geom, geom, norm);
    expect(t.shape).toEqual([2, 3, 2, 3]);
    for (let i = 0; i < 36; i++) {
      const c = Math.floor(i / 6) % 3;
      expect(t.data[i]).toBeCloseTo((chw[i]! / 255 - mean[c]!) / std[c]!, 5);
    }
  });

  it('gives identical values for the same pixels as HWC image and CHW batch, and honours BGR', () => {
    const hwc = new Uint8Array(18);
    for (let c = 0; c < 3; c++) for (let p = 0; p < 6; p++) hwc[p * 3 + c] = chw[c * 6 + p]!;
    const img: ImageU8 = { width: 3, height: 2, channels: 3, layout: 'HWC', data: hwc };
    expect(Array.from(imageToTensor(img, geom, norm).data as Float32Array)).toEqual(Array.from(batchToTensor(chw, 1, geom, geom, norm).data as Float32Array));
    const bgr = { ...normalizationFor({}, 3), bgr: true };
    const t = imageToTensor(img, geom, bgr);
    expect(t.data[0]).toBeCloseTo(hwc[2]! / 255, 6); // channel 0 of a BGR model is the image's blue
  });

  it('converts RGB(A) to gray with BT.601 luma and replicates gray to 3 channels', () => {
    const img: ImageU8 = { width: 1, height: 1, channels: 4, layout: 'HWC', data: Uint8Array.from([200, 100, 50, 7]) };
    const g = imageToTensor(img, { channels: 1, height: 1, width: 1 }, { pixelScale: 1, mean: [0], std: [1], bgr: false });
    expect(g.data[0]).toBeCloseTo(0.299 * 200 + 0.587 * 100 + 0.114 * 50, 3);
    const gray = Uint8Array.from([10, 20]);
    const t = batchToTensor(gray, 1, { channels: 1, height: 1, width: 2 }, { channels: 3, height: 1, width: 2 }, normalizationFor({}, 3));
    expect(Array.from(t.data as Float32Array)).toEqual([10, 20, 10, 20, 10, 20].map((v) => Math.fround(v / 255)));
  });

  it('rejects size and channel mismatches in batches', () => {
    expect(() => batchToTensor(chw, 1, { channels: 3, height: 3, width: 2 }, geom, norm)).toThrow(/3x2 but the model input is 2x3/);
    expect(() => batchToTensor(chw, 1, { channels: 2, height: 2, width: 3 }, geom, norm)).toThrow(PreprocessError);
  });

  for (const name of ['resize_down', 'resize_up', 'resize_odd']) {
    it(`resizes + center-crops like torchvision Resize+CenterCrop (${name})`, () => {
      const input = npy(`${name}_in.npy`);
      const want = npy(`${name}_out.npy`);
      const [h, w] = input.shape as [number, number, number];
      const [, oh, ow] = want.shape as [number, number, number];
      const img: ImageU8 = { width: w, height: h, channels: 3, layout: 'HWC', data: input.data as Uint8Array };
      const got = imageToTensor(img, { channels: 3, height: oh, width: ow }, { pixelScale: 1, mean: [0, 0, 0], std: [1, 1, 1], bgr: false });
      expect(got.shape).toEqual([1, 3, oh, ow]);
      let maxErr = 0;
      for (let i = 0; i < want.data.length; i++) maxErr = Math.max(maxErr, Math.abs((got.data[i] as number) - (want.data[i] as number)));
      expect(maxErr).toBeLessThan(1e-3);
    });
  }
});
