/**
 * Gemm / MatMul and reduction variant micro-benchmark (matmul_select.ts, reduce_select.ts):
 * `npx tsx bench/kernels/variants.ts [--reps N] [--max-seconds S]`.
 *
 * Same page and timing as bench/kernels/conv.ts (one headless Chromium, one-node graphs, the node's dispatch timed by
 * GPU timestamps when the device has them, else whole-run wall time; min of the reps). Times each listed variant of a
 * few layers where the real-GPU variants are meant to matter (a classifier GEMM, ResNet-50's last global pool, a
 * 1000-class softmax, ViT / ConvNeXt norms) and prints one Markdown table. On SwiftShader this says what they cost
 * there, not what they do on a GPU.
 */
import { dirname, join } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startBrowserSession } from '../../src/node/browser_harness.js';
import type { KernelJob, KernelJobResult } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));

interface Case {
  name: string;
  job: Omit<KernelJob, 'reps' | 'maxSeconds' | 'variant'>;
  variants: string[];
}

const REDUCE = ['reduce_thread', 'reduce_wg', 'reduce_subgroup'];
const CASES: Case[] = [
  {
    name: 'Gemm 1x2048 x 2048x1000 (ResNet-50 fc)',
    job: { op: 'Gemm', attrs: { transB: 1 }, inputs: [{ shape: [1, 2048] }, { shape: [1000, 2048], kind: 'const' }, { shape: [1000], kind: 'const' }], outputShape: [1, 1000] },
    variants: ['matmul_tiled', 'matmul_splitk'],
  },
  {
    name: 'MatMul 49x512 x 512x512',
    job: { op: 'MatMul', inputs: [{ shape: [49, 512] }, { shape: [512, 512], kind: 'const' }], outputShape: [49, 512] },
    variants: ['matmul_tiled', 'matmul_splitk'],
  },
  { name: 'GlobalAveragePool [1,2048,7,7]', job: { op: 'GlobalAveragePool', inputs: [{ shape: [1, 2048, 7, 7] }], outputShape: [1, 2048, 1, 1] }, variants: REDUCE },
  { name: 'GlobalAveragePool [1,32,112,112]', job: { op: 'GlobalAveragePool', inputs: [{ shape: [1, 32, 112, 112] }], outputShape: [1, 32, 1, 1] }, variants: REDUCE },
  { name: 'Softmax [1,1000]', job: { op: 'Softmax', attrs: { axis: -1 }, inputs: [{ shape: [1, 1000] }], outputShape: [1, 1000] }, variants: REDUCE },
  { name: 'Softmax [3,197,197]', job: { op: 'Softmax', attrs: { axis: -1 }, inputs: [{ shape: [3, 197, 197] }], outputShape: [3, 197, 197] }, variants: REDUCE },
  {
    name: 'LayerNorm [197,192] (ViT-Tiny)',
    job: { op: 'LayerNormalization', attrs: { axis: -1 }, inputs: [{ shape: [197, 192] }, { shape: [192], kind: 'const' }, { shape: [192], kind: 'const' }], outputShape: [197, 192] },
    variants: REDUCE,
  },
  {
    name: 'ChannelLayerNorm [1,768,7,7] (ConvNeXt-T)',
    job: { op: 'ChannelLayerNorm', inputs: [{ shape: [1, 768, 7, 7] }, { shape: [768], kind: 'const' }, { shape: [768], kind: 'const' }], outputShape: [1, 768, 7, 7] },
    variants: REDUCE,
  },
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const reps = Number(arg('reps') ?? 7);
  const maxSeconds = Number(arg('max-seconds') ?? 4);
  const session = await startBrowserSession({ entry: join(here, 'page.ts'), args: ['--enable-webgpu-developer-features'] });
  type Api = { run(j: KernelJob): Promise<KernelJobResult> };
  const run = (job: KernelJob): Promise<KernelJobResult> =>
    session.page.evaluate((j) => (globalThis as unknown as { tesseraKernelBench: Api }).tesseraKernelBench.run(j), job);
  const lines = ['| layer | ' + ['variant (kernel)', 'min ms', 'timing'].join(' | ') + ' |', '|---|---|---:|---|'];
  try {
    for (const c of CASES) {
      for (const variant of c.variants) {
        const r = await run({ ...c.job, variant, reps, maxSeconds });
        console.error(`${c.name}: ${variant} -> ${r.kernel} ${r.minMs.toFixed(3)} ms (${r.timing}, ${r.reps} reps)`);
        lines.push(`| ${c.name} | ${variant} (${r.kernel}) | ${r.minMs.toFixed(3)} | ${r.timing} |`);
      }
    }
  } finally {
    await session.close();
  }
  console.log(`Min of ${reps} reps per variant; load average ${loadavg()[0]!.toFixed(1)}.\n`);
  console.log(lines.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
