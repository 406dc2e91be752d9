/**
 * GPU weight bytes of a .tessera model on WebGPU (headless Chromium), with int8 weights kept as int8 and with
 * int8Weights: false, the kernels that read int8 directly, and with RUNS > 0 the median time of RUNS runs of each.
 * Usage: npx tsx tools/int8/gpu_bytes.ts MODEL.tessera [RUNS]
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrowserSession } from '../../src/node/browser_harness.js';

const path = process.argv[2];
if (!path) throw new Error('usage: tools/int8/gpu_bytes.ts MODEL.tessera');
const session = await startBrowserSession({ entry: join(dirname(fileURLToPath(import.meta.url)), 'gpu_bytes_entry.ts') });
try {
  const url = session.serveBytes(readFileSync(path));
  for (const int8Weights of [true, false]) {
    const r = await session.page.evaluate(
      ([u, q, n]) => (globalThis as unknown as { int8GpuBytes(u: string, q: boolean, n: number): Promise<unknown> }).int8GpuBytes(u as string, q as boolean, n as number),
      [url, int8Weights, Number(process.argv[3] ?? 0)] as const,
    );
    console.log(`int8Weights: ${int8Weights}`, JSON.stringify(r));
  }
} finally {
  await session.close();
}
