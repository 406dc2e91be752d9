/**
 * GPU weight bytes of a .tessera model on WebGPU (headless Chromium), with int8 weights kept as int8 and with
 * int8Weights: false, and the kernels that read int8 directly. Usage: npx tsx tools/int8/gpu_bytes.ts MODEL.tessera
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
      ([u, q]) => (globalThis as unknown as { int8GpuBytes(u: string, q: boolean): Promise<unknown> }).int8GpuBytes(u as string, q as boolean),
      [url, int8Weights] as const,
    );
    console.log(`int8Weights: ${int8Weights}`, JSON.stringify(r));
  }
} finally {
  await session.close();
}
