/**
 * Run-path probe: `npx tsx bench/run_probe.ts [--model resnet50] [--rounds 3] [--modes run,profile] [--first-profile]`
 * (--first-profile: the first run after create is a profile; prints the dispatches that ran slowest the first time
 * against the second profile).
 *
 * One headless Chromium, one Session; then `rounds` rounds, each running every mode once (interleaved, so load
 * drift hits all modes alike). Modes: run (plain session.run: one command buffer, one compute pass), profile
 * (session.profile: one timestamped pass per dispatch). Per step: wall ms, the GPU process's CPU ms
 * (bench/process_cpu.ts) and, for profile, the sum of the dispatch timestamps. On SwiftShader the GPU process's CPU
 * time is the work a run needs; wall time is that work spread over whatever cores other jobs leave free
 * (docs/performance.md, "Session 3 kernel changes").
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrowserSession } from '../src/node/browser_harness.js';
import { readNpy } from '../src/io/npy.js';
import { ensureModel } from './models.js';
import { findGpuProcess, processCpuMs } from './process_cpu.js';
import type { FirstRunRow, ProbeJob, ProbeMode, ProbeStep } from './run_probe_page.js';

const here = dirname(fileURLToPath(import.meta.url));
const log = (s: string) => process.stderr.write(`${s}\n`);
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};

async function main(): Promise<void> {
  const model = arg('model', 'resnet50');
  const rounds = Number(arg('rounds', '3'));
  const modes = arg('modes', 'run,profile').split(',') as ProbeMode[];
  const f = ensureModel(model, undefined, log);
  const session = await startBrowserSession({ entry: join(here, 'run_probe_page.ts'), args: ['--enable-webgpu-developer-features'] });
  type Api = { load(j: ProbeJob): Promise<{ createMs: number; firstRunMs: number; dispatches: number; firstRun?: FirstRunRow[] }>; step(m: ProbeMode): Promise<ProbeStep> };
  try {
    const x = readNpy(new Uint8Array(readFileSync(f.input)), f.input);
    const data = x.data as Float32Array;
    const job: ProbeJob = {
      modelUrl: session.serveBytes(new Uint8Array(readFileSync(f.onnx))),
      inputUrl: session.serveBytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)),
      inputShape: [...x.shape],
      firstProfile: process.argv.includes('--first-profile'),
    };
    const loaded = await session.page.evaluate((j) => (globalThis as unknown as { tesseraRunProbe: Api }).tesseraRunProbe.load(j), job);
    const gpuPid = findGpuProcess();
    log(`${model}: create ${loaded.createMs.toFixed(0)} ms, first run ${loaded.firstRunMs.toFixed(0)} ms, ${loaded.dispatches} dispatches, GPU process ${gpuPid ?? 'not found'}`);
    if (loaded.firstRun) {
      const sum = (k: 'firstMs' | 'secondMs') => loaded.firstRun!.reduce((s, r) => s + r[k], 0);
      log(`first-run profile: timestamps ${sum('firstMs').toFixed(0)} ms, second ${sum('secondMs').toFixed(0)} ms; largest differences:`);
      const worst = [...loaded.firstRun].sort((a, b) => b.firstMs - b.secondMs - (a.firstMs - a.secondMs)).slice(0, 12);
      for (const r of worst) log(`  ${r.node} (${r.kernel}): ${r.firstMs.toFixed(1)} vs ${r.secondMs.toFixed(1)} ms`);
    }
    const rows: Record<string, { wall: number[]; cpu: number[]; gpu: number[] }> = {};
    for (let r = 0; r < rounds; r++) {
      for (const mode of modes) {
        const c0 = gpuPid ? processCpuMs(gpuPid) : undefined;
        const s = await session.page.evaluate((m) => (globalThis as unknown as { tesseraRunProbe: Api }).tesseraRunProbe.step(m), mode);
        const c1 = gpuPid ? processCpuMs(gpuPid) : undefined;
        const cpu = c0 !== undefined && c1 !== undefined ? c1 - c0 : NaN;
        const row = (rows[mode] ??= { wall: [], cpu: [], gpu: [] });
        row.wall.push(s.wallMs);
        row.cpu.push(cpu);
        if (s.gpuMs !== null) row.gpu.push(s.gpuMs);
        log(`round ${r} ${mode.padEnd(8)} wall ${s.wallMs.toFixed(0).padStart(6)} ms  GPU-process CPU ${cpu.toFixed(0).padStart(6)} ms${s.gpuMs !== null ? `  timestamps ${s.gpuMs.toFixed(0)} ms` : ''}  load ${loadavg()[0]!.toFixed(1)}`);
      }
    }
    const med = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length ? (s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
    };
    console.log(`| mode | wall ms (median) | GPU-process CPU ms | timestamp sum ms |\n|---|---:|---:|---:|`);
    for (const [mode, r] of Object.entries(rows)) console.log(`| ${mode} | ${med(r.wall).toFixed(0)} | ${med(r.cpu).toFixed(0)} | ${r.gpu.length ? med(r.gpu).toFixed(0) : '–'} |`);
  } finally {
    await session.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
