/**
 * Per-pipeline compile cost of Tessera's WebGPU programs in Chromium (SwiftShader here): captures the WGSL of every
 * pipeline Session.create builds for each model, then compiles them one at a time in a fresh browser and prints
 * each one's wall time and the CPU time Chromium's GPU process spent on it (robust to a loaded machine).
 * Usage: npx tsx bench/compile_probe.ts [model,...] [--dump DIR] [--reverse]
 */
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startBrowserSession } from '../src/node/browser_harness.js';
import { MODEL_DIR } from './models.js';

const ENTRY = join(import.meta.dirname, 'compile_probe_page.ts');
const args = process.argv.slice(2);
const dumpAt = args.indexOf('--dump');
const dump = dumpAt >= 0 ? args[dumpAt + 1] : undefined;
const positional = args.filter((a, i) => !a.startsWith('--') && (dumpAt < 0 || i !== dumpAt + 1));
const models = (positional[0] ?? 'mobilenet_v3_small,ghostnet,resnet20').split(',');

interface Captured {
  label: string;
  code: string;
}
type Probe = {
  capture(url: string): Promise<{ pipelines: Captured[]; createMs: number }>;
  timeOne(code: string): Promise<number>;
};

const TICK_MS = 10; // USER_HZ = 100 on Linux
function statOf(pid: string): { ppid: string; cpuMs: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: f[1]!, cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS };
  } catch {
    return undefined;
  }
}
/** CPU ms of the GPU processes of Chromiums started by this Node process. */
function gpuProcessCpuMs(): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.includes('--type=gpu-process')) continue;
    const st = statOf(pid);
    let up = st?.ppid;
    for (let k = 0; k < 5 && up && up !== String(process.pid); k++) up = statOf(up)?.ppid;
    if (!st || up !== String(process.pid)) continue;
    total += st.cpuMs;
  }
  return total;
}

const filesAt = args.indexOf('--files');
if (filesAt >= 0) {
  // Compile every .wgsl file of a folder (shader experiments), one at a time, CPU-timed like the models.
  const dir = args[filesAt + 1]!;
  const timer = await startBrowserSession({ entry: ENTRY });
  await timer.page.evaluate(() => (globalThis as unknown as { tesseraCompileProbe: Probe }).tesseraCompileProbe.timeOne('@compute @workgroup_size(1) fn main() {}'));
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.wgsl')).sort()) {
    const code = readFileSync(join(dir, f), 'utf8');
    const c0 = gpuProcessCpuMs();
    const ms = await timer.page.evaluate((c) => (globalThis as unknown as { tesseraCompileProbe: Probe }).tesseraCompileProbe.timeOne(c), code);
    console.log(`${f.padEnd(40)} cpu ${String(gpuProcessCpuMs() - c0).padStart(6)} ms  wall ${ms.toFixed(0).padStart(6)} ms`);
  }
  await timer.close();
  process.exit(0);
}

for (const model of models) {
  const cap = await startBrowserSession({ entry: ENTRY });
  const url = cap.serveBytes(readFileSync(join(MODEL_DIR, `${model}.onnx`)));
  const { pipelines, createMs } = await cap.page.evaluate((u) => (globalThis as unknown as { tesseraCompileProbe: Probe }).tesseraCompileProbe.capture(u), url);
  await cap.close();
  if (dump) {
    mkdirSync(join(dump, model), { recursive: true });
    pipelines.forEach((p, i) => writeFileSync(join(dump, model, `${String(i).padStart(2, '0')}_${p.label}.wgsl`), p.code));
  }
  const timer = await startBrowserSession({ entry: ENTRY });
  await timer.page.evaluate(() => (globalThis as unknown as { tesseraCompileProbe: Probe }).tesseraCompileProbe.timeOne('@compute @workgroup_size(1) fn main() {}'));
  const order = pipelines.map((p, i) => ({ ...p, i }));
  if (args.includes('--reverse')) order.reverse();
  const times: { i: number; label: string; ms: number; cpuMs: number; chars: number }[] = [];
  for (const p of order) {
    const c0 = gpuProcessCpuMs();
    const ms = await timer.page.evaluate((code) => (globalThis as unknown as { tesseraCompileProbe: Probe }).tesseraCompileProbe.timeOne(code), p.code);
    times.push({ i: p.i, label: p.label, ms, cpuMs: gpuProcessCpuMs() - c0, chars: p.code.length });
  }
  await timer.close();
  const total = times.reduce((a, t) => a + t.ms, 0);
  const cpu = times.reduce((a, t) => a + t.cpuMs, 0);
  console.log(`\n## ${model}: ${times.length} pipelines, serial compile ${(total / 1000).toFixed(2)} s wall, ${(cpu / 1000).toFixed(2)} s GPU-process CPU (Session.create ${(createMs / 1000).toFixed(2)} s)`);
  times
    .sort((a, b) => b.cpuMs - a.cpuMs)
    .forEach((t) => console.log(`${String(t.i).padStart(3)} ${t.label.padEnd(28)} cpu ${t.cpuMs.toFixed(0).padStart(6)} ms  wall ${t.ms.toFixed(0).padStart(6)} ms  ${t.chars} chars`));
}
