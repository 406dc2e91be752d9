/**
 * `tessera convert --int8 --int8-calibration DIR`: a folder of photos as the calibration set of mixed-precision int8
 * (src/graph/passes/int8_mixed.ts), preprocessed exactly as `tessera run --image` would feed them (src/cli/image_input.ts:
 * EXIF orientation, the model's resize / crop, mean and std from its metadata or the convert flags). Real images give
 * the model's real top-1 margins, which the estimate of how many predictions int8 would change depends on.
 */
import { readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Graph, Tensor } from '../graph/ir.js';
import { IMAGE_EXTENSIONS } from './classify-images.js';
import { CliError } from './errors.js';
import { loadImageInput } from './image_input.js';

/** At most this many images are read (sorted by name): the estimate's cost grows with every one. */
export const MAX_CALIBRATION_IMAGES = 64;

/** The images of `dir` (PNG / JPEG / WebP, sorted, the first MAX_CALIBRATION_IMAGES) as one [N, C, H, W] float32 batch. */
export function calibrationFromImages(dir: string, graph: Graph): { tensor: Tensor; files: number; skipped: number } {
  const names = readdirSync(dir)
    .filter((f) => IMAGE_EXTENSIONS.includes(extname(f).toLowerCase()))
    .sort();
  if (names.length === 0) throw new CliError(`convert --int8-calibration '${dir}': no ${IMAGE_EXTENSIONS.join('/')} images in the folder`);
  const used = names.slice(0, MAX_CALIBRATION_IMAGES);
  const views = used.map((f) => loadImageInput(join(dir, f), graph, { what: 'convert --int8-calibration' }).tensor);
  const per = views[0]!.data.length;
  const data = new Float32Array(per * views.length);
  views.forEach((v, i) => data.set(v.data as Float32Array, i * per));
  return { tensor: { dtype: 'f32', shape: [views.length, ...views[0]!.shape.slice(1)], data }, files: used.length, skipped: names.length - used.length };
}
