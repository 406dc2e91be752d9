/**
 * In-page half of bench/run_probe.ts: one Session kept open, and `step(mode)` runs it once in a given way so the
 * Node side can interleave modes and read the GPU process's CPU time around each step.
 */
import '../src/node/browser_entry.js';
import { Session } from '../src/runtime/session.js';
import { fetchBytes } from './page_util.js';

export type ProbeMode = 'run' | 'profile';
export interface ProbeJob {
  modelUrl: string;
  inputUrl: string;
  inputShape: number[];
  /** Make the first run after create a profile() and return its per-dispatch times next to a second profile's. */
  firstProfile?: boolean;
}
export interface FirstRunRow {
  node: string;
  kernel: string;
  firstMs: number;
  secondMs: number;
}
export interface ProbeStep {
  mode: ProbeMode;
  wallMs: number;
  gpuMs: number | null;
}

let session: Session | undefined;
let feeds: Record<string, { dtype: 'f32'; shape: number[]; data: Float32Array }> = {};

const api = {
  async load(job: ProbeJob): Promise<{ createMs: number; firstRunMs: number; dispatches: number; firstRun?: FirstRunRow[] }> {
    const model = await fetchBytes(job.modelUrl);
    const raw = await fetchBytes(job.inputUrl);
    const input = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    const t0 = performance.now();
    session = await Session.create(model, { backend: 'webgpu' });
    const t1 = performance.now();
    feeds = { [session.inputs[0]!.name]: { dtype: 'f32', shape: job.inputShape, data: input } };
    const first = job.firstProfile ? await session.profile(feeds) : (await session.run(feeds), undefined);
    const tRun = performance.now();
    const second = await session.profile(feeds);
    const firstRun = first?.rows.map((r, i) => ({ node: r.node, kernel: r.kernel, firstMs: r.gpuMs ?? NaN, secondMs: second.rows[i]?.gpuMs ?? NaN }));
    return { createMs: t1 - t0, firstRunMs: tRun - t1, dispatches: second.rows.length, firstRun };
  },
  async step(mode: ProbeMode): Promise<ProbeStep> {
    const t0 = performance.now();
    let gpuMs: number | null = null;
    if (mode === 'profile') gpuMs = (await session!.profile(feeds)).gpuMs;
    else await session!.run(feeds);
    return { mode, wallMs: performance.now() - t0, gpuMs };
  },
  release(): void {
    session?.release();
    session = undefined;
  },
};

(globalThis as unknown as { tesseraRunProbe: typeof api }).tesseraRunProbe = api;
