/**
 * Per-layer benchmark of the XNOR VGG-13 binary conv shapes: BinaryConv (-1 padding, thresholds, bias, relu)
 * against Tessera's own float FusedConv on the same shape, same page, same run. GPU time from timestamp queries
 * when the adapter has them (median of 5 runs).
 *   npx tsx tests/harness/binary_bench.mts [batch]
 */
import { startBrowserSession } from '../../src/node/browser_harness.js';
import type { LayerShape, LayerTiming } from './binary_entry.js';
const n = Number(process.argv[2] ?? 1);
const session = await startBrowserSession({ entry: new URL('./binary_entry.ts', import.meta.url).pathname });
const shapes: LayerShape[] = [
  { label: 'conv1 64->64 @32x32', n, c: 64, m: 64, h: 32, w: 32 },
  { label: 'conv5 64->128 @16x16', n, c: 64, m: 128, h: 16, w: 16 },
  { label: 'conv8 128->128 @16x16', n, c: 128, m: 128, h: 16, w: 16 },
  { label: 'conv12 128->256 @8x8', n, c: 128, m: 256, h: 8, w: 8 },
  { label: 'conv15 256->256 @8x8', n, c: 256, m: 256, h: 8, w: 8 },
  { label: 'conv19 256->512 @4x4', n, c: 256, m: 512, h: 4, w: 4 },
  { label: 'conv22 512->512 @4x4', n, c: 512, m: 512, h: 4, w: 4 },
  { label: 'conv26/29 512->512 @2x2', n, c: 512, m: 512, h: 2, w: 2 },
];
const rows = await session.page.evaluate(([s, it]) => (globalThis as any).tesseraBinaryTest.benchLayers(s, it) as Promise<LayerTiming[]>, [shapes, 5] as const);
for (const r of rows) console.log(`${r.label.padEnd(26)} binary ${r.binaryMs.toFixed(2)} ms  float ${r.floatMs.toFixed(2)} ms  ratio ${(r.floatMs / r.binaryMs).toFixed(1)}x (${r.clock})`);
await session.close();
