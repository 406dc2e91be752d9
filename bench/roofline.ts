/**
 * Roofline: `npx tsx bench/roofline.ts [--models resnet50,densenet121] [--reps N] [--gemm-reps N] [--out DIR]`
 *
 * In one headless Chromium (WebGPU on the adapter Chromium picks; SwiftShader here, timestamp queries un-quantized by
 * --enable-webgpu-developer-features):
 *   1. the GEMM ceiling: Tessera's MatMul (constant B, the selection rule's kernel, i.e. its best tiled variant) at
 *      512³, 1024³ and a ResNet-50 1×1-like shape, best of --gemm-reps GPU-timestamped reps; the ceiling is the best
 *      of the shapes;
 *   2. bandwidth: copyBufferToBuffer and a vec4 copy shader over 32 MiB, and Tessera's own Relu kernel on 32 MiB;
 *   3. per model: Session.create, one warm-up run, --reps session.profile() runs; per dispatch the median time.
 * Prints per layer with MACs: op, kernel, shape, MACs, GPU ms, GFLOP/s (2·MAC / time), % of the ceiling; totals per
 * class (3×3, 1×1, depthwise/grouped, other conv, gemm, other ops) and how many layers reach 70 % of the ceiling.
 * Writes DIR/roofline-<date>.json and DIR/roofline.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrowserSession } from '../src/node/browser_harness.js';
import { ensureModel } from './models.js';
import type { KernelJob, KernelJobResult } from './kernels/types.js';
import type { CopyResult, ModelJob, ModelProfile } from './roofline_page.js';
import { parseRooflineArgs, RooflineArgsError } from './roofline_table.js';
import { measureRoofline, rooflineMarkdown, THRESHOLD } from './roofline_measure.js';

const here = dirname(fileURLToPath(import.meta.url));
const log = (s: string) => process.stderr.write(`${s}\n`);

async function main(): Promise<void> {
  const args = parseRooflineArgs(process.argv.slice(2));
  const t0 = Date.now();
  // Export (or find) the models before the browser starts.
  const files = args.models.map((name) => ({ name, files: ensureModel(name, undefined, log) }));
  const session = await startBrowserSession({ entry: join(here, 'roofline_page.ts'), args: ['--enable-webgpu-developer-features'] });
  const page = session.page;
  type KernelApi = { run(j: KernelJob): Promise<KernelJobResult> };
  type RoofApi = { copy(bytes: number, reps: number): Promise<CopyResult>; profileModel(j: ModelJob): Promise<ModelProfile> };
  let chromium = 'unknown';
  let r: Awaited<ReturnType<typeof measureRoofline>>;
  try {
    chromium = session.browser.version();
    r = await measureRoofline(
      {
        kernel: (job) => page.evaluate((j) => (globalThis as unknown as { tesseraKernelBench: KernelApi }).tesseraKernelBench.run(j), job),
        copy: (bytes, reps) => page.evaluate(([b, n]) => (globalThis as unknown as { tesseraRoofline: RoofApi }).tesseraRoofline.copy(b, n), [bytes, reps] as const),
        profileModel: (job) => page.evaluate((j) => (globalThis as unknown as { tesseraRoofline: RoofApi }).tesseraRoofline.profileModel(j), job),
        serve: (bytes) => session.serveBytes(bytes),
        unserve: (url) => session.unserve(url),
      },
      files,
      args,
      log,
    );
  } finally {
    await session.close();
  }
  const date = new Date();
  const minutes = (Date.now() - t0) / 60000;
  const md = rooflineMarkdown({ ...r, date, host: `headless Chromium ${chromium}`, minutes, reps: args.reps, gemmReps: args.gemmReps });
  mkdirSync(resolve(args.outDir), { recursive: true });
  const stamp = date.toISOString().slice(0, 10);
  const jsonPath = join(args.outDir, `roofline-${stamp}.json`);
  const { gemms, ceiling, bandwidth, models, loads } = r;
  writeFileSync(jsonPath, JSON.stringify({ date: date.toISOString(), chromium, cpus: cpus().length, loadAverages: loads, minutes, threshold: THRESHOLD, gemms, ceilingGflops: ceiling, bandwidth, models }, null, 1));
  writeFileSync(join(args.outDir, 'roofline.md'), md);
  console.log(md);
  log(`wrote ${jsonPath} and ${join(args.outDir, 'roofline.md')} (${minutes.toFixed(1)} min)`);
}

main().catch((e) => {
  if (e instanceof RooflineArgsError) {
    log(`${e.name}: ${e.message}`);
    process.exit(2);
  }
  console.error(e);
  process.exit(1);
});
