/**
 * Node side of running zoo models on WebGPU in headless Chromium (shared by tools/zoo/check_webgpu.ts,
 * tests/zoo/webgpu.test.ts and bench/zoo_opt.ts). The model goes to the page as a converted `.tessera` (the file
 * `npm run zoo` wrote, or the same conversion done in memory: importOnnx → optimize → writeTessera), so a check
 * covers import → convert → WebGPU. One Chromium page serves many models, one at a time; each session is released.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeTessera } from '../../src/format/writer.js';
import type { Tensor } from '../../src/graph/ir.js';
import { optimize } from '../../src/graph/passes/index.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import type { BrowserSession } from '../../src/node/browser_harness.js';
import type { ProfileRow } from '../../src/runtime/session.js';
import type { ZooCase } from './zoo_lib.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export type WeightVariant = 'f32' | 'f16';

/** The converted model: zoo-out's model.<variant>.tessera when it is newer than model.onnx, else converted here. */
export function tesseraBytes(c: ZooCase, variant: WeightVariant): { bytes: Uint8Array; source: 'file' | 'converted' } {
  const file = join(c.dir, `model.${variant}.tessera`);
  const onnx = join(c.dir, 'model.onnx');
  if (existsSync(file) && statSync(file).mtimeMs >= statSync(onnx).mtimeMs) return { bytes: new Uint8Array(readFileSync(file)), source: 'file' };
  return { bytes: writeTessera(optimize(importOnnx(c.modelBytes)), { fp16: variant === 'f16' }), source: 'converted' };
}

export interface PageRun {
  /** Session.create (fetch + parse + plan + pipeline compilation + weight upload), ms. */
  createMs: number;
  /** Wall time of every run() in the page, ms; the first one's output is the one returned. */
  runsMs: number[];
  shape: number[];
  data: Float32Array;
  device?: string;
  backend?: string;
  memory?: { activationBytes: number; plannedActivationBytes: number | null; weightBytes: number; f16WeightBytes: number };
  profile?: ProfileRow[];
}

/** A model failed in the page (import, kernel, device error) or took longer than allowed. */
export class ZooWebGPUError extends Error {
  override name = 'ZooWebGPUError';
  constructor(
    message: string,
    readonly timedOut = false,
  ) {
    super(message);
  }
}

export interface PageRunOptions {
  /** Total run() calls (≥ 1); the first output is compared. */
  runs: number;
  /** Also return `session.profile()` rows (one extra run). */
  profile?: boolean;
  /** Passed to Session.create (`false`, or an OptimizeOptions object such as OPTIMIZATIONS_OFF). */
  optimize?: boolean | Record<string, boolean>;
  /** Give up after this long (the page keeps working: the caller should replace the browser). */
  timeoutMs?: number;
}

/** Loads `modelBytes` (ONNX or .tessera) in the page with backend 'webgpu', runs it, releases it. */
export async function runInPage(browser: BrowserSession, modelBytes: Uint8Array, input: Tensor, options: PageRunOptions): Promise<PageRun> {
  const inputData = input.data instanceof Float32Array ? input.data : Float32Array.from(input.data as ArrayLike<number>);
  const modelUrl = browser.serveBytes(modelBytes);
  const inputUrl = browser.serveBytes(new Uint8Array(inputData.buffer, inputData.byteOffset, inputData.byteLength));
  const work = browser.page.evaluate(
    async ({ modelUrl, inputUrl, shape, runs, profile, optimize }) => {
      const t = (globalThis as Any).tessera;
      // No named helpers in here: tsx (esbuild keepNames) would wrap them in __name(), unknown in the page.
      let session: Any;
      try {
        const t0 = performance.now();
        const bytes = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
        session = await t.Session.create(bytes, optimize === undefined ? { backend: 'webgpu' } : { backend: 'webgpu', optimize });
        const createMs = performance.now() - t0;
        const data = new Float32Array(await (await fetch(inputUrl)).arrayBuffer());
        const feeds = { [session.inputs[0].name]: { dtype: 'f32', shape, data } };
        const runsMs: number[] = [];
        let first: Any;
        for (let i = 0; i < runs; i++) {
          const a = performance.now();
          const out = await session.run(feeds);
          runsMs.push(performance.now() - a);
          first ??= Object.values(out)[0];
        }
        const rows = profile ? (await session.profile(feeds)).rows : undefined;
        const mem = session.memory();
        return {
          createMs,
          runsMs,
          shape: [...first.shape],
          data: Array.from(first.data as Float32Array),
          device: session.deviceDescription,
          backend: session.backend,
          memory: mem && { activationBytes: mem.activationBytes, plannedActivationBytes: mem.plannedActivationBytes, weightBytes: mem.weightBytes, f16WeightBytes: mem.f16WeightBytes },
          profile: rows,
        };
      } catch (e) {
        return { error: `${(e as Error).name}: ${(e as Error).message}` };
      } finally {
        session?.release();
      }
    },
    { modelUrl, inputUrl, shape: [...input.shape], runs: Math.max(1, options.runs), profile: options.profile ?? false, optimize: options.optimize },
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    if (options.timeoutMs) timer = setTimeout(() => reject(new ZooWebGPUError(`no result after ${Math.round(options.timeoutMs! / 1000)} s`, true)), options.timeoutMs);
  });
  try {
    const r = (await Promise.race([work, timeout])) as Any;
    if (r.error) throw new ZooWebGPUError(r.error);
    return { ...r, data: Float32Array.from(r.data) } as PageRun;
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined); // a timed-out evaluate rejects later, when the browser is closed
    browser.unserve(modelUrl);
    browser.unserve(inputUrl);
  }
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Profile rows that only move data: Concat / Slice / Split / Expand / Transpose / copy kernels. */
export function isCopyRow(row: { op: string; kernel: string }): boolean {
  return /copy|concat/i.test(row.kernel) || ['Concat', 'Slice', 'Split', 'Expand', 'Transpose', 'Identity', 'Tile'].includes(row.op);
}
