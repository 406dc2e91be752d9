/** Fuzz worker: generates and runs cases [start, end) and posts one message per case (see driver.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { generateCase } from './mutate.js';
import { runCase, type Outcome, type RunCaps } from './pipeline.js';
import { loadSeeds, type FuzzProfile } from './seeds.js';
import { useCiTuning } from './rng.js';

export interface WorkerInput {
  entry: string;
  runSeed: number;
  start: number;
  end: number;
  profile: FuzzProfile;
  caps: RunCaps;
}

export type CaseMessage = {
  t: 'case';
  index: number;
  outcome: Outcome | { kind: 'generator'; name: string; message: string };
  seed?: string;
  what?: string;
  ms: number;
  heapUsed: number;
  rss: number;
  arrayBuffers: number;
};

const input = workerData as WorkerInput;
if (input.profile === 'ci') useCiTuning();
const seeds = loadSeeds(input.profile);
parentPort!.postMessage({ t: 'ready', seeds: seeds.length });

for (let index = input.start; index < input.end; index++) {
  const t0 = performance.now();
  let msg: CaseMessage;
  let c;
  try {
    c = generateCase(input.runSeed, index, seeds);
  } catch (e) {
    const err = e as Error;
    msg = { t: 'case', index, outcome: { kind: 'generator', name: err.name, message: String(err.stack ?? err.message) }, ms: 0, heapUsed: 0, rss: 0, arrayBuffers: 0 };
    parentPort!.postMessage(msg);
    continue;
  }
  // Lets the driver tell a hang of the code under test from a hang of the case generator.
  parentPort!.postMessage({ t: 'generated', index });
  const outcome = runCase(c, input.caps);
  const mem = process.memoryUsage();
  msg = { t: 'case', index, outcome, ms: performance.now() - t0, heapUsed: mem.heapUsed, rss: mem.rss, arrayBuffers: mem.arrayBuffers };
  if (outcome.kind !== 'typed' && outcome.kind !== 'ok') {
    msg.seed = c.seed;
    msg.what = c.what.slice(0, 300);
  }
  parentPort!.postMessage(msg);
}
parentPort!.postMessage({ t: 'done' });
