/**
 * Conv kernel micro-benchmark: `npx tsx bench/kernels/conv.ts [--layers a,b] [--variants v1,v2] [--reps N] [--max-seconds S] [--json file]`
 *
 * Runs in one headless Chromium (WebGPU; SwiftShader here) through src/node/browser_harness.ts. For each
 * representative layer shape (batch 1) it times every conv variant that can run it (or the --variants given) plus the
 * selection rule's choice ("auto"), and a 1024³ MatMul as the GEMM ceiling. Prints GFLOP/s (2 × MACs / time) per
 * variant as a Markdown table, always counted as the direct conv's 2 × MACs (so Winograd's fewer multiplies show as a
 * higher rate; its three dispatches are summed). Timing: median of GPU timestamp queries around the dispatch when the device has them,
 * else the median wall time of whole runs (upload + dispatch + readback), marked "(wall)". `--arena` wraps each conv
 * between two Relu nodes so its tensors live in memory-plan arenas (shared bindings), as inside a model. Stride-2
 * 3-wide layers get a `gemm_s2_generic` column: conv2d_gemm on its generic shader, beside the window shader (A/B).
 */
import { dirname, join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startBrowserSession } from '../../src/node/browser_harness.js';
import type { ConvShape } from '../../src/backends/webgpu/conv_select.js';
import type { KernelJob, KernelJobResult } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
/** --stat median | min: which rep time the table shows (min is steadier when other work shares the CPU). */
const STAT = process.argv.includes('--stat') ? process.argv[process.argv.indexOf('--stat') + 1] : 'min';
const timeOf = (r: KernelJobResult) => (STAT === 'median' ? r.ms : r.minMs);

interface Layer {
  name: string;
  cin: number;
  cout: number;
  hw: number;
  k: number;
  stride?: number;
  group?: number;
}

/** Representative layers (batch 1, square inputs, "same" padding). */
export const LAYERS: Layer[] = [
  { name: 'r20-s1 3x3 16@32', cin: 16, cout: 16, hw: 32, k: 3 },
  { name: 'r20-s2 3x3 32@16', cin: 32, cout: 32, hw: 16, k: 3 },
  { name: 'r20-s3 3x3 64@8', cin: 64, cout: 64, hw: 8, k: 3 },
  { name: 'r18 3x3 64@56', cin: 64, cout: 64, hw: 56, k: 3 },
  { name: 'r18 3x3 128@28', cin: 128, cout: 128, hw: 28, k: 3 },
  { name: 'r18 3x3 256@14', cin: 256, cout: 256, hw: 14, k: 3 },
  { name: 'r18 3x3 512@7', cin: 512, cout: 512, hw: 7, k: 3 },
  // DenseNet-121 dense-layer 3x3 (128 -> growth 32) per block, SqueezeNet 1.1 expand3x3 (first / last fire).
  { name: 'dn121 3x3 128>32@56', cin: 128, cout: 32, hw: 56, k: 3 },
  { name: 'dn121 3x3 128>32@28', cin: 128, cout: 32, hw: 28, k: 3 },
  { name: 'dn121 3x3 128>32@14', cin: 128, cout: 32, hw: 14, k: 3 },
  { name: 'dn121 3x3 128>32@7', cin: 128, cout: 32, hw: 7, k: 3 },
  { name: 'sq11 3x3 16>64@55', cin: 16, cout: 64, hw: 55, k: 3 },
  { name: 'sq11 3x3 64>256@13', cin: 64, cout: 256, hw: 13, k: 3 },
  // Winograd edge cases: RGB stem at stride 1 (ResNet-20 / VGG-CIFAR), few channels, tiny maps (padding tiles).
  { name: 'wino-edge 3x3 3>16@32', cin: 3, cout: 16, hw: 32, k: 3 },
  { name: 'wino-edge 3x3 8>8@16', cin: 8, cout: 8, hw: 16, k: 3 },
  { name: 'wino-edge 3x3 64>4@16', cin: 64, cout: 4, hw: 16, k: 3 },
  { name: 'wino-edge 3x3 256@4', cin: 256, cout: 256, hw: 4, k: 3 },
  { name: 'wino-edge 3x3 512@2', cin: 512, cout: 512, hw: 2, k: 3 },
  // F(4x4) vs F(2x2) boundary (conv_select.ts winograd4Pays): 4x4 tiles padded to 16 vs 2x2 tiles at 12, 10, 6.
  { name: 'wino4-edge 3x3 64@12', cin: 64, cout: 64, hw: 12, k: 3 },
  { name: 'wino4-edge 3x3 64@10', cin: 64, cout: 64, hw: 10, k: 3 },
  { name: 'wino4-edge 3x3 128@6', cin: 128, cout: 128, hw: 6, k: 3 },
  { name: 'r50 1x1 256>64@56', cin: 256, cout: 64, hw: 56, k: 1 },
  { name: 'r50 1x1 128>512@28', cin: 128, cout: 512, hw: 28, k: 1 },
  { name: 'r50 1x1 1024>256@14', cin: 1024, cout: 256, hw: 14, k: 1 },
  { name: 'r50 1x1 512>2048@7', cin: 512, cout: 2048, hw: 7, k: 1 },
  { name: 'dw 3x3 32@112', cin: 32, cout: 32, hw: 112, k: 3, group: 32 },
  { name: 'dw 3x3 128@56', cin: 128, cout: 128, hw: 56, k: 3, group: 128 },
  { name: 'g32 3x3 128@56', cin: 128, cout: 128, hw: 56, k: 3, group: 32 },
  // Stride-2 3×3 (ResNet-18 / ResNet-50 downsampling; ResNet-50's 3×3 at stride 2 has C_in = C_out = width).
  { name: 'r18 3x3/2 64>128@56', cin: 64, cout: 128, hw: 56, k: 3, stride: 2 },
  { name: 'r18 3x3/2 128>256@28', cin: 128, cout: 256, hw: 28, k: 3, stride: 2 },
  { name: 'r18 3x3/2 256>512@14', cin: 256, cout: 512, hw: 14, k: 3, stride: 2 },
  { name: 'r50 3x3/2 128@56', cin: 128, cout: 128, hw: 56, k: 3, stride: 2 },
  { name: 'r50 3x3/2 256@28', cin: 256, cout: 256, hw: 28, k: 3, stride: 2 },
  { name: 'r50 3x3/2 512@14', cin: 512, cout: 512, hw: 14, k: 3, stride: 2 },
  // Stems: RGB input, stride 2 (MobileNetV3 / GhostNet 3>16, MobileNetV2 3>32).
  { name: 'stem 3x3/2 3>16@224', cin: 3, cout: 16, hw: 224, k: 3, stride: 2 },
  { name: 'stem 3x3/2 3>32@224', cin: 3, cout: 32, hw: 224, k: 3, stride: 2 },
  // ResNet-50 / ResNet-18 stem: 7×7 / stride 2 / pad 3 (the im2col variant's other target).
  { name: 'r50 stem 7x7/2 3>64@224', cin: 3, cout: 64, hw: 224, k: 7, stride: 2 },
];

function convShape(l: Layer): ConvShape {
  const s = l.stride ?? 1;
  const p = (l.k - 1) >> 1;
  const o = Math.floor((l.hw + 2 * p - l.k) / s) + 1;
  return { n: 1, cin: l.cin, ih: l.hw, iw: l.hw, cout: l.cout, oh: o, ow: o, kh: l.k, kw: l.k, sh: s, sw: s, dh: 1, dw: 1, pads: [p, p, p, p], group: l.group ?? 1, constWeights: true };
}

function convJob(l: Layer, variant: string | undefined, reps: number, maxSeconds: number): KernelJob {
  const s = convShape(l);
  return {
    op: 'FusedConv',
    attrs: { kernel_shape: [s.kh, s.kw], strides: [s.sh, s.sw], pads: s.pads, group: s.group, activation: 'relu' },
    inputs: [{ shape: [1, s.cin, s.ih, s.iw] }, { shape: [s.cout, s.cin / s.group, s.kh, s.kw], kind: 'const' }, { shape: [s.cout], kind: 'const' }],
    outputShape: [1, s.cout, s.oh, s.ow],
    variant,
    reps,
    maxSeconds,
    inArena: process.argv.includes('--arena'),
  };
}

const macsOf = (l: Layer) => {
  const s = convShape(l);
  return s.cout * s.oh * s.ow * (s.cin / s.group) * s.kh * s.kw;
};

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const reps = Number(arg('reps') ?? 5);
  const maxSeconds = Number(arg('max-seconds') ?? 4);
  const layerFilter = arg('layers')?.split(',');
  const variantFilter = arg('variants')?.split(',');
  const layers = LAYERS.filter((l) => !layerFilter || layerFilter.some((f) => l.name.includes(f)));
  const session = await startBrowserSession({ entry: join(here, 'page.ts'), args: ['--enable-webgpu-developer-features'] });
  const page = session.page;
  type Api = { run(j: KernelJob): Promise<KernelJobResult>; variants(s: ConvShape): string[] };
  const call = <T,>(fn: (api: Api, a: unknown) => Promise<T> | T, a: unknown): Promise<T> =>
    page.evaluate(({ src, a }) => new Function('api', 'a', `return (${src})(api, a)`)((globalThis as unknown as { tesseraKernelBench: Api }).tesseraKernelBench, a), { src: fn.toString(), a }) as Promise<T>;
  const rows: { layer: string; gflop: number; results: Record<string, { gflops: number; ms: number; kernel: string; timing: string }> }[] = [];
  const allVariants = new Set<string>();
  try {
    if (!layerFilter || layerFilter.includes('gemm')) {
      // Roofline ceiling: Tessera's best GEMM (constant B, as conv weights are) at 1024³ and 512³.
      for (const size of [1024, 512]) {
        const job: KernelJob = { op: 'MatMul', inputs: [{ shape: [size, size] }, { shape: [size, size], kind: 'const' }], outputShape: [size, size], reps: 3, maxSeconds };
        const r = await call((api, j) => api.run(j as KernelJob), job);
        const gflops = (2 * size ** 3) / (timeOf(r) * 1e6);
        console.error(`gemm ${size}^3: ${r.kernel} ${timeOf(r).toFixed(1)} ms ${gflops.toFixed(2)} GFLOP/s (${r.timing})`);
        rows.push({ layer: `GEMM ${size}³`, gflop: (2 * size ** 3) / 1e9, results: { auto: { gflops, ms: timeOf(r), kernel: r.kernel, timing: r.timing } } });
      }
    }
    for (const l of layers) {
      const variants = (await call((api, s) => api.variants(s as ConvShape), convShape(l))).filter((v) => !variantFilter || variantFilter.includes(v));
      const results: (typeof rows)[number]['results'] = {};
      for (const v of [undefined, ...variants]) {
        const r = await call((api, j) => api.run(j as KernelJob), convJob(l, v, reps, maxSeconds));
        const gflops = (2 * macsOf(l)) / (timeOf(r) * 1e6);
        const key = v ?? 'auto';
        allVariants.add(key);
        results[key] = { gflops, ms: timeOf(r), kernel: r.kernel, timing: r.timing };
        console.error(`${l.name}: ${key} -> ${r.kernel} ${timeOf(r).toFixed(2)} ms ${gflops.toFixed(3)} GFLOP/s (${r.timing}, ${r.reps} reps)`);
      }
      // Stride-2 3-wide rows: the generic conv2d_gemm next to its window shader (conv_gemm.ts convGemmSwitches).
      const s = convShape(l);
      if (s.kw === 3 && s.sw === 2 && s.group === 1 && (!variantFilter || variantFilter.includes('gemm_s2_generic'))) {
        const r = await call((api, j) => api.run(j as KernelJob), { ...convJob(l, 'conv2d_gemm', reps, maxSeconds), noStride2Window: true });
        const gflops = (2 * macsOf(l)) / (timeOf(r) * 1e6);
        allVariants.add('gemm_s2_generic');
        results['gemm_s2_generic'] = { gflops, ms: timeOf(r), kernel: r.kernel, timing: r.timing };
        console.error(`${l.name}: gemm_s2_generic -> ${r.kernel} ${timeOf(r).toFixed(2)} ms ${gflops.toFixed(3)} GFLOP/s (${r.timing}, ${r.reps} reps)`);
      }
      rows.push({ layer: l.name, gflop: (2 * macsOf(l)) / 1e9, results });
    }
  } finally {
    await session.close();
  }
  const cols = ['auto', ...[...allVariants].filter((v) => v !== 'auto').sort()];
  const lines = [`| layer (GFLOP) | ${cols.join(' | ')} |`, `|---|${cols.map(() => '---:').join('|')}|`];
  for (const r of rows) {
    const cell = (c: string) => {
      const x = r.results[c];
      if (!x) return '–';
      const t = x.timing === 'wall' ? ' (wall)' : '';
      return c === 'auto' ? `${x.gflops.toFixed(2)} (${x.kernel.replace(/_res$/, '')})${t}` : `${x.gflops.toFixed(2)}${t}`;
    };
    lines.push(`| ${r.layer} (${r.gflop.toFixed(3)}) | ${cols.map(cell).join(' | ')} |`);
  }
  console.log(`GFLOP/s per variant (${STAT} of ${reps} reps, GPU timestamps; batch 1; load average ${loadavg()[0]!.toFixed(1)})\n`);
  console.log(lines.join('\n'));
  const json = arg('json');
  if (json) writeFileSync(json, JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
