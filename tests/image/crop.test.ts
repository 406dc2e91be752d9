import { describe, expect, it } from 'vitest';
import { centerCropRect, intermediateSize } from '../../src/image/crop.js';

describe('centerCropRect', () => {
  it('keeps the whole image when the aspect ratios agree', () => {
    expect(centerCropRect(64, 64, 32, 32)).toEqual({ sx: 0, sy: 0, sw: 64, sh: 64 });
    expect(centerCropRect(300, 200, 30, 20)).toEqual({ sx: 0, sy: 0, sw: 300, sh: 200 });
  });

  it('crops the long side equally on both ends (landscape and portrait)', () => {
    expect(centerCropRect(640, 480, 32, 32)).toEqual({ sx: 80, sy: 0, sw: 480, sh: 480 });
    expect(centerCropRect(480, 640, 32, 32)).toEqual({ sx: 0, sy: 80, sw: 480, sh: 480 });
    // Non-square target: 4:3 source into 1:2 (portrait) target.
    const r = centerCropRect(400, 300, 10, 20);
    expect(r.sh).toBe(300);
    expect(r.sw).toBeCloseTo(150, 10);
    expect(r.sx).toBeCloseTo(125, 10);
  });

  it('gives a rectangle with the target aspect ratio inside the source', () => {
    for (const [w, h, tw, th] of [[1920, 1080, 224, 224], [17, 391, 28, 28], [1000, 10, 32, 16], [5, 7, 3, 11]] as const) {
      const r = centerCropRect(w, h, tw, th);
      expect(r.sw / r.sh).toBeCloseTo(tw / th, 9);
      expect(r.sx).toBeGreaterThanOrEqual(0);
      expect(r.sy).toBeGreaterThanOrEqual(0);
      expect(r.sx + r.sw).toBeLessThanOrEqual(w + 1e-9);
      expect(r.sy + r.sh).toBeLessThanOrEqual(h + 1e-9);
      expect(Math.max(w - r.sw, h - r.sh)).toBeGreaterThanOrEqual(0);
      expect(Math.min(w - r.sw, h - r.sh)).toBeCloseTo(0, 9); // one side is used in full
    }
  });

  it('rejects empty sizes', () => {
    expect(() => centerCropRect(0, 10, 32, 32)).toThrow(RangeError);
  });
});

describe('intermediateSize', () => {
  it('draws small crops 1:1 and caps big ones at 4x the model size', () => {
    expect(intermediateSize({ sx: 0, sy: 0, sw: 32, sh: 32 }, 32, 32)).toEqual({ width: 32, height: 32 });
    expect(intermediateSize({ sx: 0, sy: 0, sw: 100, sh: 100 }, 32, 32)).toEqual({ width: 100, height: 100 });
    expect(intermediateSize({ sx: 80, sy: 0, sw: 480, sh: 480 }, 32, 32)).toEqual({ width: 128, height: 128 });
    expect(intermediateSize({ sx: 0, sy: 0, sw: 10, sh: 10 }, 32, 32)).toEqual({ width: 32, height: 32 });
  });
});
