/**
 * Geometry of "resize the shorter side, then center-crop" as one source rectangle: the largest centered rectangle of
 * the source with the target's aspect ratio. Drawing that rectangle onto a dstW x dstH canvas is the whole affine
 * transform (scale + translate), aspect ratio preserved.
 */
export interface CropRect {
  sx: number;
  sy: number;
  sw: number;
  sh: number;
}

export function centerCropRect(srcW: number, srcH: number, dstW: number, dstH: number): CropRect {
  if (!(srcW > 0 && srcH > 0 && dstW > 0 && dstH > 0)) throw new RangeError(`sizes must be positive (source ${srcW}x${srcH}, target ${dstW}x${dstH})`);
  // Scale so the source covers the target, then crop the overflow equally from both sides.
  const scale = Math.max(dstW / srcW, dstH / srcH);
  const sw = Math.min(srcW, dstW / scale);
  const sh = Math.min(srcH, dstH / scale);
  return { sx: (srcW - sw) / 2, sy: (srcH - sh) / 2, sw, sh };
}

/**
 * Size of the intermediate bitmap the crop is drawn into before the final antialiased resize: the crop itself when
 * it is small, else shrunk to at most `oversample` times the target per axis (the browser's drawImage does the coarse
 * downscale, the triangle filter of src/io/preprocess.ts the last, accurate step).
 */
export function intermediateSize(crop: CropRect, dstW: number, dstH: number, oversample = 4): { width: number; height: number } {
  const scale = Math.min(1, (dstW * oversample) / crop.sw, (dstH * oversample) / crop.sh);
  return { width: Math.max(dstW, Math.round(crop.sw * scale)), height: Math.max(dstH, Math.round(crop.sh * scale)) };
}
