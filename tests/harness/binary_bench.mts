/**
 * Per-layer benchmark of the XNOR VGG-13 binary conv shapes (batch 1 by default) against Tessera's own float
 * FusedConv of the same shape, same page, same run:
 *   binary:  BinaryConv as `binarize` leaves it (f32 in: binary_pack + binary_conv; f32 out; -1 padding,
 *            thresholds, bias, relu)
 *   packed:  the same layer after packBinaryChains, as it runs inside VGG-13: bits in (no pack) except conv1, bits
 *            out with the following 2x2 MaxPool fused (binary_conv_bits[_pool]) except conv29 (f32 out)
 * Two clocks:
 *   gpu  (default) GPU timestamps of the layer's dispatches, best of 7 (SwiftShader: wall time of its threads)
 *   cpu  CPU time (user + system) of Chromium's GPU process over repeated whole runs, per run: robust when other
 *        processes share the machine (SwiftShader computes on the CPU); includes each run's small upload/readback
 *   npx tsx tests/harness/binary_bench.mts [gpu|cpu] [batch]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { startBrowserSession } from '../../src/node/browser_harness.js';
import type { ChainLayerShape, ChainLayerTiming, LayerVariant } from './binary_entry.js';

const clock = process.argv[2] === 'cpu' ? 'cpu' : 'gpu';
const n = Number(process.argv[3] ?? 1);
const shapes: ChainLayerShape[] = [
  { label: 'conv1 64->64 @32x32', n, c: 64, m: 64, h: 32, w: 32, packedIn: false, packedOut: true, pool: true },
  { label: 'conv5 64->128 @16x16', n, c: 64, m: 128, h: 16, w: 16, packedIn: true, packedOut: true, pool: false },
  { label: 'conv8 128->128 @16x16', n, c: 128, m: 128, h: 16, w: 16, packedIn: true, packedOut: true, pool: true },
  { label: 'conv12 128->256 @8x8', n, c: 128, m: 256, h: 8, w: 8, packedIn: true, packedOut: true, pool: false },
  { label: 'conv15 256->256 @8x8', n, c: 256, m: 256, h: 8, w: 8, packedIn: true, packedOut: true, pool: true },
  { label: 'conv19 256->512 @4x4', n, c: 256, m: 512, h: 4, w: 4, packedIn: true, packedOut: true, pool: false },
  { label: 'conv22 512->512 @4x4', n, c: 512, m: 512, h: 4, w: 4, packedIn: true, packedOut: true, pool: true },
  { label: 'conv26 512->512 @2x2', n, c: 512, m: 512, h: 2, w: 2, packedIn: true, packedOut: true, pool: false },
  { label: 'conv29 512->512 @2x2', n, c: 512, m: 512, h: 2, w: 2, packedIn: true, packedOut: false, pool: false },
];

/** PIDs of Chromium GPU processes now running. */
function gpuProcesses(): Set<number> {
  const out = new Set<number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('--type=gpu-process')) out.add(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** utime + stime of a process in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // fields 14, 15 of stat; USER_HZ = 100
}

const others = gpuProcesses();
const session = await startBrowserSession({ entry: new URL('./binary_entry.ts', import.meta.url).pathname });
const api = <T,>(fn: string, ...args: unknown[]) => session.page.evaluate(([f, a]) => (globalThis as any).tesseraBinaryTest[f as string](...(a as unknown[])) as Promise<T>, [fn, args] as const);

let rows: ChainLayerTiming[];
if (clock === 'gpu') {
  rows = await api<ChainLayerTiming[]>('benchChainLayers', shapes, 7);
} else {
  await api('holdLayer', 'warm', shapes[8], 'packed');
  const mine = [...gpuProcesses()].filter((p) => !others.has(p));
  if (mine.length !== 1) throw new Error(`cannot tell this session's GPU process (${mine.length} new ones)`);
  const pid = mine[0]!;
  const measure = async (s: ChainLayerShape, v: LayerVariant) => {
    const kernels = await api<string[]>('holdLayer', v, s, v);
    const t0 = cpuMs(pid);
    await api('runHeld', v, 3);
    const reps = Math.max(3, Math.min(200, Math.ceil(1500 / Math.max(1, (cpuMs(pid) - t0) / 3))));
    const t1 = cpuMs(pid);
    await api('runHeld', v, reps);
    return { ms: (cpuMs(pid) - t1) / reps, kernels };
  };
  rows = [];
  for (const s of shapes) {
    const f = await measure(s, 'float');
    const b = await measure(s, 'binary');
    const p = await measure(s, 'packed');
    await api('releaseHeld');
    rows.push({ label: s.label, floatMs: f.ms, binaryMs: b.ms, packedMs: p.ms, kernels: p.kernels, clock: 'wall' });
  }
}
const fmt = (ms: number) => ms.toFixed(2).padStart(7);
const ratio = (a: number, b: number) => `${(a / b).toFixed(1).padStart(5)}x`;
console.log(`clock: ${clock === 'gpu' ? 'GPU timestamps, best of 7' : 'CPU time of the GPU process per run'}`);
for (const r of rows)
  console.log(`${r.label.padEnd(24)} float ${fmt(r.floatMs)} ms | binary ${fmt(r.binaryMs)} ms ${ratio(r.floatMs, r.binaryMs)} | packed ${fmt(r.packedMs)} ms ${ratio(r.floatMs, r.packedMs)}  [${r.kernels.join(' + ')}]`);
const total = (k: 'floatMs' | 'binaryMs' | 'packedMs') => rows.reduce((s, r) => s + r[k], 0);
console.log(`${'all 9 layers'.padEnd(24)} float ${fmt(total('floatMs'))} ms | binary ${fmt(total('binaryMs'))} ms ${ratio(total('floatMs'), total('binaryMs'))} | packed ${fmt(total('packedMs'))} ms ${ratio(total('floatMs'), total('packedMs'))}`);
await session.close();
