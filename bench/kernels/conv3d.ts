/**
 * 3-D conv kernel benchmark on R3D-18 layer shapes (batch 1, FusedConv + bias + ReLU, constant weights):
 *   npx tsx bench/kernels/conv3d.ts [--layers l1,l3] [--variants conv3d_direct,conv3d_gemm] [--reps N] [--max-seconds S]
 * One headless Chromium (SwiftShader here), one job per (layer, variant) through bench/kernels/page.ts (warm-up run,
 * then up to N GPU-timestamped runs). Prints GFLOP/s = 2 x MACs / time (min of the reps) per variant.
 */
import { dirname, join } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startBrowserSession } from '../../src/node/browser_harness.js';
import type { KernelJob, KernelJobResult } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));

interface Layer3d {
  name: string;
  cin: number;
  cout: number;
  /** Input D, H, W. */
  size: [number, number, number];
  k: [number, number, number];
  s: [number, number, number];
  p: [number, number, number];
}

/** R3D-18 (torchvision r3d_18) on a 16x112x112 clip. */
export const LAYERS_3D: Layer3d[] = [
  { name: 'stem 3x7x7/(1,2,2) 3>64@16x112x112', cin: 3, cout: 64, size: [16, 112, 112], k: [3, 7, 7], s: [1, 2, 2], p: [1, 3, 3] },
  { name: 'l1 3x3x3 64@16x56x56', cin: 64, cout: 64, size: [16, 56, 56], k: [3, 3, 3], s: [1, 1, 1], p: [1, 1, 1] },
  { name: 'l2 3x3x3 128@8x28x28', cin: 128, cout: 128, size: [8, 28, 28], k: [3, 3, 3], s: [1, 1, 1], p: [1, 1, 1] },
  { name: 'l3 3x3x3 256@4x14x14', cin: 256, cout: 256, size: [4, 14, 14], k: [3, 3, 3], s: [1, 1, 1], p: [1, 1, 1] },
  { name: 'l3 3x3x3/2 128>256@8x28x28', cin: 128, cout: 256, size: [8, 28, 28], k: [3, 3, 3], s: [2, 2, 2], p: [1, 1, 1] },
  { name: 'l4 3x3x3 512@2x7x7', cin: 512, cout: 512, size: [2, 7, 7], k: [3, 3, 3], s: [1, 1, 1], p: [1, 1, 1] },
];

const outOf = (l: Layer3d) => l.size.map((d, a) => Math.floor((d + 2 * l.p[a]! - l.k[a]!) / l.s[a]!) + 1);
const macsOf = (l: Layer3d) => l.cout * outOf(l).reduce((a, b) => a * b, 1) * l.cin * l.k[0] * l.k[1] * l.k[2];

function job(l: Layer3d, reps: number, maxSeconds: number): KernelJob {
  return {
    op: 'FusedConv',
    attrs: { kernel_shape: l.k, strides: l.s, pads: [...l.p, ...l.p], activation: 'relu' },
    inputs: [{ shape: [1, l.cin, ...l.size] }, { shape: [l.cout, l.cin, ...l.k], kind: 'const' }, { shape: [l.cout], kind: 'const' }],
    outputShape: [1, l.cout, ...outOf(l)],
    reps,
    maxSeconds,
  };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const reps = Number(arg('reps') ?? 3);
  const maxSeconds = Number(arg('max-seconds') ?? 4);
  const layerFilter = arg('layers')?.split(',');
  const variants = (arg('variants') ?? 'conv3d_direct,conv3d_gemm').split(',');
  const layers = LAYERS_3D.filter((l) => !layerFilter || layerFilter.some((f) => l.name.startsWith(f)));
  const session = await startBrowserSession({ entry: join(here, 'conv3d_page.ts'), args: ['--enable-webgpu-developer-features'] });
  type Page = { tesseraKernelBench: { run(j: KernelJob): Promise<KernelJobResult> }; tesseraConv3dBench: { force(v: string | null): void } };
  const lines = [`| layer (GFLOP) | ${variants.join(' | ')} |`, `|---|${variants.map(() => '---:').join('|')}|`];
  try {
    for (const l of layers) {
      const cells: string[] = [];
      for (const v of variants) {
        await session.page.evaluate((x) => (globalThis as unknown as Page).tesseraConv3dBench.force(x), v);
        const r = await session.page.evaluate((j) => (globalThis as unknown as Page).tesseraKernelBench.run(j), job(l, reps, maxSeconds));
        const gflops = (2 * macsOf(l)) / (r.minMs * 1e6);
        console.error(`${l.name}: ${v} -> ${r.kernel} min ${r.minMs.toFixed(1)} ms median ${r.ms.toFixed(1)} ms ${gflops.toFixed(3)} GFLOP/s (${r.timing}, ${r.reps} reps)`);
        cells.push(`${gflops.toFixed(2)} (${r.kernel.replace(/_res$/, '')}${r.timing === 'wall' ? ', wall' : ''})`);
      }
      lines.push(`| ${l.name} (${((2 * macsOf(l)) / 1e9).toFixed(2)}) | ${cells.join(' | ')} |`);
    }
  } finally {
    await session.close();
  }
  console.log(`GFLOP/s (min of up to ${reps} reps after a warm-up; batch 1; load average ${loadavg()[0]!.toFixed(1)})\n`);
  console.log(lines.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
