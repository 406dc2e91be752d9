/**
 * The view matrices of src/io/geometry.ts and how the exact separable resize (imageToTensor) reads them: the plain
 * rule is unchanged, mirrors and 90-degree turns only move values, ten-crop cuts the documented places, and
 * matrices the separable filter cannot do are refused.
 */
import { describe, expect, it } from 'vitest';
import {
  affine,
  apply,
  centerCropMatrix,
  compose,
  GeometryError,
  mirrorX,
  orientationMatrix,
  orientedSize,
  separableGeometry,
  viewMatrices,
} from '../../src/io/geometry.js';
import { imageToTensor, imageViewsToTensor, normalizationFor, resizeWeights, type ImageU8 } from '../../src/io/preprocess.js';
import { mulberry32 } from '../harness/rng.js';
import type { Tensor } from '../../src/graph/ir.js';

function noise(w: number, h: number, seed: number): ImageU8 {
  const r = mulberry32(seed);
  return { width: w, height: h, channels: 3, layout: 'HWC', data: Uint8Array.from({ length: w * h * 3 }, () => Math.floor(r() * 256)) };
}
const RAW = { pixelScale: 1, mean: [0, 0, 0], std: [1, 1, 1], bgr: false };
const IMAGENET = normalizationFor({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, 3);

/** Value of channel c at (x, y) of a [N, C, H, W] tensor's image n. */
const at = (t: Tensor, n: number, c: number, y: number, x: number) => {
  const [, C, H, W] = t.shape as [number, number, number, number];
  return (t.data as Float32Array)[((n * C + c) * H + y) * W + x]!;
};

describe('orientation matrices', () => {
  it('map the displayed corners to the stored corners as PIL\'s exif_transpose does', () => {
    // Stored 4 x 2 image: where does the displayed top-left pixel centre come from?
    const want: Record<number, [number, number]> = { 1: [0.5, 0.5], 2: [3.5, 0.5], 3: [3.5, 1.5], 4: [0.5, 1.5], 5: [0.5, 0.5], 6: [0.5, 1.5], 7: [3.5, 1.5], 8: [3.5, 0.5] };
    for (let o = 1; o <= 8; o++) {
      expect(apply(orientationMatrix(o, 4, 2), 0.5, 0.5)).toEqual(want[o]);
      expect(orientedSize(o, 4, 2)).toEqual(o >= 5 ? { width: 2, height: 4 } : { width: 4, height: 2 });
    }
    expect(() => orientationMatrix(9, 4, 2)).toThrow(GeometryError);
  });
});

describe('separableGeometry', () => {
  it('keeps the plain rule: per-axis scale and offset, identity index', () => {
    // 64x48 -> 32x32: resized to 42x32 (floor(64 * 2/3)), crop offset (42 - 32) / 2 = 5 columns.
    const g = separableGeometry(centerCropMatrix(64, 48, 32, 32), 32, 32);
    expect(g.x.scale).toBe(64 / 42);
    expect(g.x.offset).toBeCloseTo((5 * 64) / 42, 12);
    expect(g.y).toEqual({ scale: 1.5, offset: 0 });
    expect([g.identityIndex, g.canonicalWidth, g.canonicalHeight]).toEqual([true, 32, 32]);
  });

  it('factors mirrors and transposes into an integer index matrix', () => {
    const flip = separableGeometry(mirrorX(10), 10, 4);
    expect([flip.x, flip.identityIndex, Array.from(flip.index)]).toEqual([{ scale: 1, offset: 0 }, false, [-1, 0, 0, 0, 1, 0, 9, 0, 1]]);
    const turned = separableGeometry(orientationMatrix(6, 4, 10), 10, 4); // displayed 10 x 4 of a stored 4 x 10
    expect([turned.canonicalWidth, turned.canonicalHeight]).toEqual([4, 10]);
    expect(turned.index.every((v) => Number.isInteger(v))).toBe(true);
  });

  it('refuses what the separable filter cannot do', () => {
    const c = Math.cos(Math.PI / 4);
    expect(() => separableGeometry(affine(c, -c, 0, c, c, 0), 8, 8)).toThrow(/not axis-aligned/);
    expect(() => separableGeometry(affine(1, 0.5, 0, 0, 1, 0), 8, 8)).toThrow(GeometryError);
    expect(() => separableGeometry(affine(0, 0, 0, 0, 1, 0), 8, 8)).toThrow(GeometryError);
  });
});

describe('imageToTensor with view matrices', () => {
  it('the plain rule through its matrix is the default path, bit for bit', () => {
    for (const [w, h, W, H] of [[64, 48, 32, 32], [20, 50, 24, 16], [32, 32, 32, 32], [1, 1, 5, 7]] as const) {
      const img = noise(w, h, w + h);
      const geom = { channels: 3, height: H, width: W };
      expect(Array.from(imageToTensor(img, geom, IMAGENET, centerCropMatrix(w, h, W, H)).data as Float32Array)).toEqual(Array.from(imageToTensor(img, geom, IMAGENET).data as Float32Array));
    }
  });

  it('torchvision-exact weights: identity taps at the model size', () => {
    const { rows, cols } = resizeWeights(32, 16, { channels: 3, height: 16, width: 32 });
    expect(cols.weights.every((w) => w.filter((v) => v !== 0).length === 1 && w.includes(1))).toBe(true);
    expect(Array.from(rows.first)).toEqual(Array.from({ length: 16 }, (_, i) => Math.max(0, i - 1)));
  });

  it('a mirrored or turned view holds exactly the plain view\'s values, moved', () => {
    const img = noise(45, 30, 7);
    const geom = { channels: 3, height: 12, width: 16 };
    const [plain, flipped] = viewMatrices(45, 30, 16, 12, { tta: 'flip' }).map((v) => imageToTensor(img, geom, IMAGENET, v.matrix));
    for (let c = 0; c < 3; c++) for (let y = 0; y < 12; y++) for (let x = 0; x < 16; x++) expect(at(flipped!, 0, c, y, x)).toBe(at(plain!, 0, c, y, 15 - x));
    // The same picture stored turned (EXIF 6: stored = rotated 90 degrees counter-clockwise) gives the same tensor.
    const turned: ImageU8 = { width: 30, height: 45, channels: 3, layout: 'HWC', data: new Uint8Array(45 * 30 * 3) };
    for (let y = 0; y < 30; y++)
      for (let x = 0; x < 45; x++)
        for (let c = 0; c < 3; c++) turned.data[((44 - x) * 30 + y) * 3 + c] = img.data[(y * 45 + x) * 3 + c]!;
    const [view] = viewMatrices(30, 45, 16, 12, { orientation: 6 });
    const viaExif = imageToTensor(turned, geom, IMAGENET, view!.matrix);
    const d = Array.from(viaExif.data as Float32Array).map((v, i) => Math.abs(v - (plain!.data as Float32Array)[i]!));
    // Same taps; the f64 sums run along the other stored axis first, so rounding may differ in the last f32 bit.
    expect(Math.max(...d)).toBeLessThan(1e-6);
  });

  it('mirror (webcam) flips the picture before the crop: where the crop is symmetric, the same as a flipped view', () => {
    // 42x30 -> 16x16: resized to 22x16, 3 columns cropped on each side.
    const img = noise(42, 30, 3);
    const geom = { channels: 3, height: 16, width: 16 };
    const [mirrored] = viewMatrices(42, 30, 16, 16, { mirror: true });
    const [, flipped] = viewMatrices(42, 30, 16, 16, { tta: 'flip' });
    expect(Array.from(imageToTensor(img, geom, RAW, mirrored!.matrix).data as Float32Array)).toEqual(Array.from(imageToTensor(img, geom, RAW, flipped!.matrix).data as Float32Array));
    // 40x30: resized to 21x16, the odd column goes to the right (offset 2.5 rounds to 2); mirrored, to the left.
    const [m40] = viewMatrices(40, 30, 16, 16, { mirror: true });
    const [, f40] = viewMatrices(40, 30, 16, 16, { tta: 'flip' });
    expect(apply(m40!.matrix, 0, 0)[0] - apply(f40!.matrix, 0, 0)[0]).toBeCloseTo(40 / 21, 9); // one resized column apart
  });
});

describe('viewMatrices', () => {
  it('flip: the image and its mirror; none: one view', () => {
    expect(viewMatrices(32, 32, 32, 32).map((v) => v.label)).toEqual(['center']);
    expect(viewMatrices(32, 32, 32, 32, { tta: 'flip' }).map((v) => v.label)).toEqual(['center', 'center-flip']);
  });

  it('ten-crop on a CIFAR image: resized to 36x36 (32 / 0.875 floored), crops 4 px apart, then the mirrored five', () => {
    const views = viewMatrices(32, 32, 32, 32, { tta: 'ten-crop' });
    expect(views.map((v) => v.label)).toEqual(['top-left', 'top-right', 'bottom-left', 'bottom-right', 'center', 'top-left-flip', 'top-right-flip', 'bottom-left-flip', 'bottom-right-flip', 'center-flip']);
    const s = 32 / 36;
    // Where output pixel (0, 0)'s top-left corner lies in the source.
    const corner = views.map((v) => apply(v.matrix, 0, 0).map((c) => +(c / s).toFixed(9)));
    expect(corner.slice(0, 5)).toEqual([[0, 0], [4, 0], [0, 4], [4, 4], [2, 2]]);
    // torchvision flips the resized image and crops the same five places: the mirror of top-left is read from the right.
    expect(corner[5]).toEqual([36, 0]);
    expect(corner[9]).toEqual([34, 2]);
  });

  it('ten-crop uses metadata resizeSize when it is larger than the input', () => {
    const views = viewMatrices(300, 200, 224, 224, { tta: 'ten-crop', resizeSize: 256 });
    // Resized to 384x256: the top-right crop starts at x = 160 of the resized image.
    expect(apply(views[1]!.matrix, 0, 0).map((v) => +v.toFixed(9))).toEqual([160 * (300 / 384), 0].map((v) => +v.toFixed(9)));
    const ten = imageViewsToTensor(noise(300, 200, 1), { channels: 3, height: 224, width: 224 }, IMAGENET, views.map((v) => v.matrix));
    expect(ten.shape).toEqual([10, 3, 224, 224]);
    expect((ten.data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it('composes left to right: compose(A, B) applies B first', () => {
    const m = compose(affine(2, 0, 0, 0, 2, 0), affine(1, 0, 5, 0, 1, 0));
    expect(apply(m, 1, 1)).toEqual([12, 2]);
  });
});
