/**
 * Elementwise / BatchNorm micro-benchmark: `npx tsx bench/kernels/elementwise.ts [--reps N] [--rounds N]`
 *
 * One headless Chromium; each job is one node timed with GPU timestamps (bench/kernels/page.ts), run with the
 * vec4 paths (4 elements per thread) and with one element per thread (`scalarElementwise`), alternating for
 * --rounds rounds so load drift hits both alike. GB/s = (bytes read + written) / best time. Shapes: 32 MiB Relu (the
 * roofline's), DenseNet-121's pre-activation FusedBatchNorm + ReLU at each dense block's widest input, a 7×7 one
 * (plane % 4 != 0: scalar either way), a same-shape Add (ResNet residual outside a conv), inputs in arenas (--arena
 * layout: Relu before and after) as in a model.
 */
import { dirname, join } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startBrowserSession } from '../../src/node/browser_harness.js';
import type { KernelJob, KernelJobResult } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};

interface Case {
  name: string;
  job: Omit<KernelJob, 'reps' | 'maxSeconds'>;
  /** Bytes read + written by the node. */
  bytes: number;
}

function bnCase(c: number, hw: number): Case {
  const shape = [1, c, hw, hw];
  return {
    name: `FusedBatchNorm+relu [1,${c},${hw},${hw}]`,
    job: { op: 'FusedBatchNorm', attrs: { epsilon: 1e-5, activation: 'relu' }, inputs: [{ shape }, ...[0, 1, 2, 3].map(() => ({ shape: [c], kind: 'const' as const }))], outputShape: shape, inArena: true },
    bytes: 2 * 4 * c * hw * hw,
  };
}

const RELU_SHAPE = [1, 32, 512, 512];
const CASES: Case[] = [
  { name: 'Relu 32 MiB (own buffers)', job: { op: 'Relu', inputs: [{ shape: RELU_SHAPE }], outputShape: RELU_SHAPE }, bytes: 2 * 32 * 2 ** 20 },
  { name: 'Relu [1,256,56,56] (arena)', job: { op: 'Relu', inputs: [{ shape: [1, 256, 56, 56] }], outputShape: [1, 256, 56, 56], inArena: true }, bytes: 2 * 4 * 256 * 56 * 56 },
  bnCase(256, 56),
  bnCase(512, 28),
  bnCase(1024, 14),
  bnCase(1024, 7),
  { name: 'Add [1,256,56,56] (arena)', job: { op: 'Add', inputs: [{ shape: [1, 256, 56, 56] }, { shape: [1, 256, 56, 56] }], outputShape: [1, 256, 56, 56], inArena: true }, bytes: 3 * 4 * 256 * 56 * 56 },
];

async function main(): Promise<void> {
  const reps = Number(arg('reps', '3'));
  const rounds = Number(arg('rounds', '2'));
  const session = await startBrowserSession({ entry: join(here, 'page.ts'), args: ['--enable-webgpu-developer-features'] });
  type Api = { run(j: KernelJob): Promise<KernelJobResult> };
  const best = new Map<string, { ms: number; kernel: string }>();
  try {
    for (let r = 0; r < rounds; r++)
      for (const c of CASES)
        for (const scalar of [true, false]) {
          const job: KernelJob = { ...c.job, reps, maxSeconds: 20, scalarElementwise: scalar };
          const res = await session.page.evaluate((j) => (globalThis as unknown as { tesseraKernelBench: Api }).tesseraKernelBench.run(j), job);
          const key = `${c.name}|${scalar ? 'scalar' : 'vec4'}`;
          const prev = best.get(key);
          if (!prev || res.minMs < prev.ms) best.set(key, { ms: res.minMs, kernel: res.kernel });
          console.error(`round ${r} ${c.name} ${scalar ? 'scalar' : 'vec4  '}: ${res.kernel} ${res.minMs.toFixed(2)} ms (${res.timing})`);
        }
  } finally {
    await session.close();
  }
  console.log(`Elementwise GB/s (best of ${rounds} rounds × ${reps} reps, GPU timestamps; load average ${loadavg()[0]!.toFixed(1)})\n`);
  console.log('| node | one element per thread | vec4 path | speed-up |\n|---|---:|---:|---:|');
  for (const c of CASES) {
    const s = best.get(`${c.name}|scalar`)!;
    const v = best.get(`${c.name}|vec4`)!;
    const gbps = (ms: number) => (c.bytes / (ms * 1e6)).toFixed(2);
    console.log(`| ${c.name} | ${gbps(s.ms)} GB/s (${s.kernel}, ${s.ms.toFixed(2)} ms) | ${gbps(v.ms)} GB/s (${v.kernel}, ${v.ms.toFixed(2)} ms) | ${(s.ms / v.ms).toFixed(2)}× |`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
