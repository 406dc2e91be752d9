/**
 * `npm run fuzz -- --cases N --seed S [--profile ci|full] [--timeout SECONDS] [--start I]`: runs the mutation fuzzer
 * over the load path and prints the tally; exits 1 on any untyped error, hang or crash.
 * `npm run fuzz -- --seed S --case I [--dump FILE]`: replays one case in this process and prints its stack.
 */
import { writeFileSync } from 'node:fs';
import { formatTally, runFuzz } from './driver.js';
import { generateCase } from './mutate.js';
import { loadCase, runCase, type RunCaps } from './pipeline.js';
import { loadSeeds, type FuzzProfile } from './seeds.js';
import { useCiTuning } from './rng.js';

export const FULL_CAPS: RunCaps = { maxElements: 4_000_000, maxMacs: 50_000_000, roundTrip: 'all' };

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const seed = Number(arg('seed') ?? 1);
  const profile = (arg('profile') ?? 'full') as FuzzProfile;
  const replay = arg('case');
  if (replay !== undefined) {
    if (profile === 'ci') useCiTuning();
    const c = generateCase(seed, Number(replay), loadSeeds(profile));
    console.log(`case ${c.index}: seed model ${c.seed} (${c.format}, ${c.bytes.length} bytes): ${c.what}`);
    const dump = arg('dump');
    if (dump) writeFileSync(dump, c.bytes);
    console.log('outcome:', runCase(c, FULL_CAPS));
    try {
      loadCase(c);
    } catch (e) {
      console.log((e as Error).stack);
    }
    return;
  }
  const cases = Number(arg('cases') ?? 100_000);
  const timeoutMs = Number(arg('timeout') ?? 20) * 1000;
  let lastPrint = performance.now();
  const tally = await runFuzz({
    cases,
    seed,
    profile,
    start: Number(arg('start') ?? 0),
    timeoutMs,
    caps: FULL_CAPS,
    onIncident: (kind, e) => console.log(`!!! ${kind} at case ${e.index} [${e.seed ?? '?'}] ${e.what ?? ''}: ${e.name ?? ''} ${e.message ?? ''}`),
    onProgress: (done, t) => {
      if (performance.now() - lastPrint < 30_000) return;
      lastPrint = performance.now();
      console.log(`... ${done}/${cases} cases, ok ${t.ok}, untyped ${t.untyped}, wrapped ${t.wrapped}, hangs ${t.hangs}, crashes ${t.crashes}`);
    },
  });
  console.log(formatTally(tally, seed));
  if (tally.untyped || tally.hangs || tally.crashes || tally.generatorErrors) process.exitCode = 1;
}

await main();
