/**
 * GPU buffer leak check at full counts (issue 8), in headless Chromium (SwiftShader without a GPU):
 *
 *   npx tsx bench/leaks.ts [--cycles 1000] [--runs 10000]
 *
 * Runs `--cycles` Session.create/run/release cycles, then `--runs` runs on one session, and prints the live GPU
 * buffer count and bytes before and after each (counted by the runtime's resource tracker), objects created during
 * the runs, and the time. Exits 1 when anything is not flat. CI runs the same scenarios with a smaller run count
 * (tests/runtime/leaks.test.ts).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrowserSession } from '../src/node/browser_harness.js';
import type { Rel } from '../tests/runtime/reliability_entry.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} takes a non-negative integer`);
  return v;
}

const cycles = arg('cycles', 1000);
const runs = arg('runs', 10_000);
const entry = join(fileURLToPath(new URL('.', import.meta.url)), '../tests/runtime/reliability_entry.ts');
const session = await startBrowserSession({ entry });
type Page = { rel: Rel };
let ok = true;
try {
  const c = await session.page.evaluate((n) => (globalThis as unknown as Page).rel.createReleaseCycles(n), cycles);
  const flatC = c.after.liveBuffers === c.before.liveBuffers && c.after.liveBytes === c.before.liveBytes && c.same;
  ok &&= flatC;
  console.log(
    `create/run/release x${cycles}: live buffers ${c.before.liveBuffers} -> ${c.after.liveBuffers}, live bytes ${c.before.liveBytes} -> ${c.after.liveBytes}, ` +
      `buffers created ${c.after.buffersCreated - c.before.buffersCreated}, peak live ${c.peakLive}, results identical ${c.same}, ${(c.ms / 1000).toFixed(1)} s ${flatC ? 'OK' : 'LEAK'}`,
  );
  const r = await session.page.evaluate((n) => (globalThis as unknown as Page).rel.manyRuns(n), runs);
  const flatR = r.after.liveBuffers === r.before.liveBuffers && r.after.liveBytes === r.before.liveBytes && r.after.buffersCreated === r.before.buffersCreated && r.same;
  ok &&= flatR && r.liveAfterRelease === 0;
  console.log(
    `runs x${runs} on one session: live buffers ${r.before.liveBuffers} -> ${r.after.liveBuffers}, live bytes ${r.before.liveBytes} -> ${r.after.liveBytes}, ` +
      `buffers/bind groups/pipelines created during the runs ${r.after.buffersCreated - r.before.buffersCreated}/${r.after.bindGroupsCreated - r.before.bindGroupsCreated}/${r.after.pipelinesCreated - r.before.pipelinesCreated}, ` +
      `results identical ${r.same}, ${(r.ms / 1000).toFixed(1)} s (${((r.ms / Math.max(1, runs)) * 1000).toFixed(0)} µs/run), live after release ${r.liveAfterRelease} ${flatR ? 'OK' : 'LEAK'}`,
  );
} finally {
  await session.close();
}
process.exit(ok ? 0 : 1);
