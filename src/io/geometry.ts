/**
 * Preprocessing geometry as one gl-matrix `mat3` per image view: it maps continuous OUTPUT coordinates (the model
 * input, pixel (x, y) spans [x, x+1) x [y, y+1)) to continuous SOURCE coordinates (the stored pixels as decoded).
 * Resize, crop, horizontal flip, EXIF orientation and webcam mirroring are matrices multiplied together here; the
 * CPU path (imageToTensor of src/io/preprocess.ts) and the GPU shader (src/image/gpu_plan.ts, image_preprocess.wgsl)
 * both read the resampling they do from `separableGeometry(matrix)`, so there is one geometry for both.
 *
 * The resampling stays the exact separable antialiased triangle filter: every matrix built here is axis-aligned
 * (scales, translations, mirrors and 90-degree turns), so it factors into a per-axis scale + offset on the source
 * axes (where the filter runs) and an integer permutation of the output grid (flips / transposes), which the CPU
 * applies when it writes the tensor and the shader applies to its thread index. Other matrices (arbitrary rotation,
 * shear) are rejected with a PreprocessError: they would need a 2-D filter.
 *
 * Matrices are Float64Array(9) (gl-matrix's functions take any array; its default Float32Array would round the
 * scale of a 4000-pixel image by ~1e-4 pixel and move the filter taps). Column-major like gl-matrix:
 * [a, c, 0, b, d, 0, tx, ty, 1] is x' = a x + b y + tx, y' = c x + d y + ty.
 * Browser-safe (no Node imports).
 */
import { mat3, vec2 } from 'gl-matrix';

/** A 2-D affine map (gl-matrix mat3 layout, f64). */
export type Mat3 = Float64Array;

/** Raised for unusable geometry (a non-axis-aligned view matrix, an EXIF orientation outside 1..8). */
export class GeometryError extends Error {
  override name = 'GeometryError';
}

/** x' = a x + b y + tx, y' = c x + d y + ty. */
export function affine(a: number, b: number, tx: number, c: number, d: number, ty: number): Mat3 {
  const m = new Float64Array(9);
  mat3.set(m, a, c, 0, b, d, 0, tx, ty, 1);
  return m;
}

export const identity = (): Mat3 => affine(1, 0, 0, 0, 1, 0);

/** The product m1 · m2 · ... (the LAST matrix is applied first to a point). */
export function compose(...ms: Mat3[]): Mat3 {
  const out = identity();
  for (const m of ms) mat3.multiply(out, out, m);
  return out;
}

/** Where `m` sends the point (x, y). */
export function apply(m: Mat3, x: number, y: number): [number, number] {
  const p = vec2.transformMat3(new Float64Array(2), [x, y], m);
  return [p[0]!, p[1]!];
}

/** Horizontal mirror of an image `width` wide: x -> width - x (its own inverse). */
export const mirrorX = (width: number): Mat3 => affine(-1, 0, width, 0, 1, 0);

/** Pixel (x, y) of a crop whose top-left corner is at (x0, y0) of the image it is cut from. */
export const translate = (x0: number, y0: number): Mat3 => affine(1, 0, x0, 0, 1, y0);

/**
 * EXIF orientation (TIFF tag 0x0112, 1..8) as the map from DISPLAY coordinates (what a viewer shows) to STORED
 * coordinates (the decoded pixels). Displayed size is the stored size, swapped for 5..8. The eight cases are PIL's
 * `exif_transpose` read backwards: 2 mirror, 3 rotate 180, 4 flip vertical, 5 transpose, 6 rotate 90 clockwise to
 * display, 7 transverse, 8 rotate 90 counter-clockwise to display.
 */
export function orientationMatrix(orientation: number, storedW: number, storedH: number): Mat3 {
  const [w, h] = [storedW, storedH];
  switch (orientation) {
    case 1: return identity();
    case 2: return affine(-1, 0, w, 0, 1, 0);
    case 3: return affine(-1, 0, w, 0, -1, h);
    case 4: return affine(1, 0, 0, 0, -1, h);
    case 5: return affine(0, 1, 0, 1, 0, 0);
    case 6: return affine(0, 1, 0, -1, 0, h);
    case 7: return affine(0, -1, w, -1, 0, h);
    case 8: return affine(0, -1, w, 1, 0, 0);
    default: throw new GeometryError(`EXIF orientation must be 1..8, got ${orientation}`);
  }
}

/** Displayed size of a stored image under an EXIF orientation (5..8 swap width and height). */
export function orientedSize(orientation: number, storedW: number, storedH: number): { width: number; height: number } {
  return orientation >= 5 ? { width: storedH, height: storedW } : { width: storedW, height: storedH };
}

/** Python's round(): halves go to the even neighbour (torchvision's CenterCrop offsets). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The resize step of the rule: scale so a w x h image covers `ratio` times the target (aspect kept; ratio 1 is the
 * CLI's / torchvision's Resize + CenterCrop, > 1 the larger image that ten-crop cuts its crops from), integer
 * resized size per axis. Returns that size and the map from resized coordinates to the image's.
 */
export function resizeTo(w: number, h: number, outW: number, outH: number, ratio = 1): { width: number; height: number; toSource: Mat3 } {
  const s = ratio * Math.max(outH / h, outW / w);
  // 1e-9: 32 * (36 / 32) must floor to 36, not 35.
  const rh = Math.max(outH, Math.floor(h * s + 1e-9));
  const rw = Math.max(outW, Math.floor(w * s + 1e-9));
  return { width: rw, height: rh, toSource: affine(w / rw, 0, 0, 0, h / rh, 0) };
}

/** Output -> image map of the plain rule: resize (shorter side) + center crop, offsets rounded half-to-even. */
export function centerCropMatrix(w: number, h: number, outW: number, outH: number): Mat3 {
  const r = resizeTo(w, h, outW, outH);
  return compose(r.toSource, translate(roundHalfEven((r.width - outW) / 2), roundHalfEven((r.height - outH) / 2)));
}

/** How an axis of the output is read from one axis of the source: source = scale * canonical + offset. */
export interface AxisMap {
  /** Source pixels per output pixel (> 0; the filter widens to this when it is above 1). */
  scale: number;
  offset: number;
}

/**
 * An axis-aligned matrix factored for the separable filter. The "canonical" grid is the output grid with flips and
 * the transpose undone: its columns run along the source's x axis, its rows along y, both increasing. The filter
 * computes the canonical image (x then y), and `index` maps each output pixel to the canonical pixel it shows.
 */
export interface SeparableGeometry {
  x: AxisMap;
  y: AxisMap;
  canonicalWidth: number;
  canonicalHeight: number;
  /** Output pixel index (x, y) -> canonical pixel index; entries are integers (0, +-1, and 0 or size - 1). */
  index: Mat3;
  /** True when the index map is the identity (no flip, no transpose). */
  identityIndex: boolean;
}

/**
 * Factors `m` (output -> source, for an outW x outH output) into per-axis scale/offset and an output permutation.
 * Throws GeometryError when `m` is not axis-aligned (a rotation by other than a multiple of 90 degrees, or a shear).
 */
export function separableGeometry(m: Mat3, outW: number, outH: number): SeparableGeometry {
  const [a, c, b, d, tx, ty] = [m[0]!, m[1]!, m[3]!, m[4]!, m[6]!, m[7]!];
  const eps = 1e-12 * (Math.abs(a) + Math.abs(b) + Math.abs(c) + Math.abs(d));
  const zero = (v: number) => Math.abs(v) <= eps;
  // One output axis read along one source axis: a mirrored one (negative scale) is read in canonical order instead.
  const axis = (k: number, t: number, size: number): { map: AxisMap; sign: number; shift: number } =>
    k > 0 ? { map: { scale: k, offset: t }, sign: 1, shift: 0 } : { map: { scale: -k, offset: k * size + t }, sign: -1, shift: size - 1 };
  if (zero(b) && zero(c) && !zero(a) && !zero(d)) {
    const ax = axis(a, tx, outW);
    const ay = axis(d, ty, outH);
    return {
      x: ax.map,
      y: ay.map,
      canonicalWidth: outW,
      canonicalHeight: outH,
      index: affine(ax.sign, 0, ax.shift, 0, ay.sign, ay.shift),
      identityIndex: ax.sign > 0 && ay.sign > 0,
    };
  }
  if (zero(a) && zero(d) && !zero(b) && !zero(c)) {
    // Source x follows the output's rows, source y its columns: the canonical grid is the output transposed.
    const ax = axis(b, tx, outH);
    const ay = axis(c, ty, outW);
    return { x: ax.map, y: ay.map, canonicalWidth: outH, canonicalHeight: outW, index: affine(0, ax.sign, ax.shift, ay.sign, 0, ay.shift), identityIndex: false };
  }
  throw new GeometryError(
    `the view matrix [${[a, b, tx, c, d, ty].map((v) => +v.toPrecision(6)).join(', ')}] is not axis-aligned: the exact separable resize ` +
      'handles scales, crops, mirrors and 90-degree turns only (rotate or shear the image before preprocessing)',
  );
}

/** Test-time augmentation: 'none' (1 view), 'flip' (the image and its mirror), 'ten-crop' (4 corners + centre, and mirrors). */
export type Tta = 'none' | 'flip' | 'ten-crop';

export const TTA_MODES: readonly Tta[] = ['none', 'flip', 'ten-crop'];

export interface ViewOptions {
  /** EXIF orientation of the stored pixels (1..8, default 1). */
  orientation?: number;
  /** Mirror the (oriented) image first, e.g. a front-facing webcam shown as a mirror. */
  mirror?: boolean;
  tta?: Tta;
  /**
   * Ten-crop only: shorter side the image is resized to before cropping (the `Resize(256)` of ImageNet's
   * `Resize(256) + TenCrop(224)`). Default: `metadata.resizeSize` when larger than the input, else input / 0.875.
   */
  resizeSize?: number;
}

export interface View {
  /** 'center', 'center-flip', 'top-left', ... */
  label: string;
  /** Output pixel -> stored source pixel. */
  matrix: Mat3;
}

/**
 * `metadata.resizeSize` (the shorter side a model's evaluation resizes to before its center crop, e.g. 256 for
 * ImageNet's 224 input) when it is a positive number: ten-crop cuts its crops from an image of that size.
 */
export function resizeSizeOf(meta: Record<string, unknown>): number | undefined {
  const v = meta['resizeSize'];
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

/** ImageNet's 224 / 256: the input is this fraction of the image ten-crop cuts from, when nothing else says. */
export const CROP_FRACTION = 0.875;

/**
 * The views of one stored srcW x srcH image for an outW x outH model input, one matrix each.
 * - 'none': the plain rule (resize shorter side + center crop); 'flip': that and its horizontal mirror.
 * - 'ten-crop' (torchvision's Resize(S) + TenCrop, the protocol of the ResNet / WRN / DenseNet papers): resize so the
 *   image covers S / min(outW, outH) times the input (S = `resizeSize`), cut the input-sized top-left, top-right,
 *   bottom-left, bottom-right and centre crops, then the same five of the mirrored resized image. For a 32x32
 *   CIFAR image and a 32x32 input, S = 32 / 0.875 -> the image is resized to 36x36 and the crops are 4 px apart.
 */
export function viewMatrices(srcW: number, srcH: number, outW: number, outH: number, options: ViewOptions = {}): View[] {
  const o = options.orientation ?? 1;
  const shown = orientedSize(o, srcW, srcH);
  // Display -> stored, then the optional mirror of what is displayed.
  const base = compose(orientationMatrix(o, srcW, srcH), options.mirror ? mirrorX(shown.width) : identity());
  const tta = options.tta ?? 'none';
  if (tta === 'none' || tta === 'flip') {
    const center = compose(base, centerCropMatrix(shown.width, shown.height, outW, outH));
    const views = [{ label: 'center', matrix: center }];
    if (tta === 'flip') views.push({ label: 'center-flip', matrix: compose(center, mirrorX(outW)) });
    return views;
  }
  if (tta !== 'ten-crop') throw new GeometryError(`unknown test-time augmentation '${String(tta)}' (expected ${TTA_MODES.join(', ')})`);
  const short = Math.min(outW, outH);
  const size = options.resizeSize !== undefined && options.resizeSize > short ? options.resizeSize : short / CROP_FRACTION;
  const r = resizeTo(shown.width, shown.height, outW, outH, size / short);
  const [dx, dy] = [r.width - outW, r.height - outH];
  const corners: [string, number, number][] = [
    ['top-left', 0, 0],
    ['top-right', dx, 0],
    ['bottom-left', 0, dy],
    ['bottom-right', dx, dy],
    ['center', roundHalfEven(dx / 2), roundHalfEven(dy / 2)],
  ];
  const resized = compose(base, r.toSource);
  const flipped = compose(resized, mirrorX(r.width));
  return [
    ...corners.map(([label, x0, y0]) => ({ label, matrix: compose(resized, translate(x0, y0)) })),
    // torchvision flips the resized image and crops the same five places of it.
    ...corners.map(([label, x0, y0]) => ({ label: `${label}-flip`, matrix: compose(flipped, translate(x0, y0)) })),
  ];
}
