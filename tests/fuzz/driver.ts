/**
 * Fuzz driver: runs the cases in a worker thread under a watchdog. A case that runs longer than `timeoutMs` is a
 * hang: the worker is terminated and a fresh one resumes at the next case. A worker that dies (out of memory, native
 * crash) is a crash, and is also resumed after the case that killed it.
 */
import { Worker } from 'node:worker_threads';
import type { RunCaps } from './pipeline.js';
import type { FuzzProfile } from './seeds.js';
import type { CaseMessage, WorkerInput } from './worker.js';

export interface FuzzOptions {
  cases: number;
  seed: number;
  profile: FuzzProfile;
  /** First case index (default 0). */
  start?: number;
  /** Per-case wall-clock bound. */
  timeoutMs: number;
  caps: RunCaps;
  /** Old-generation heap cap of the worker. */
  maxHeapMb?: number;
  onProgress?: (done: number, tally: FuzzTally) => void;
  /** Called as soon as a case is untyped, wrapped, a hang, a crash or a generator error (long runs report early). */
  onIncident?: (kind: string, example: Example) => void;
}

export interface Example {
  index: number;
  seed?: string;
  what?: string;
  name?: string;
  message?: string;
}

export interface FuzzTally {
  cases: number;
  ok: number;
  ran: number;
  typed: Record<string, number>;
  wrapped: number;
  untyped: number;
  hangs: number;
  crashes: number;
  generatorErrors: number;
  examples: { wrapped: Example[]; untyped: Example[]; hangs: Example[]; crashes: Example[]; generator: Example[] };
  slowest: { index: number; ms: number; seed?: string }[];
  maxHeapUsed: number;
  maxRss: number;
  maxArrayBuffers: number;
  seconds: number;
}

const MAX_EXAMPLES = 8;

function emptyTally(): FuzzTally {
  return {
    cases: 0, ok: 0, ran: 0, typed: {}, wrapped: 0, untyped: 0, hangs: 0, crashes: 0, generatorErrors: 0,
    examples: { wrapped: [], untyped: [], hangs: [], crashes: [], generator: [] },
    slowest: [], maxHeapUsed: 0, maxRss: 0, maxArrayBuffers: 0, seconds: 0,
  };
}

let incident: FuzzOptions['onIncident'];

function note(list: Example[], e: Example, kind = ''): void {
  incident?.(kind, e);
  if (list.length < MAX_EXAMPLES) list.push(e);
}

const WORKER_BOOT = new URL('./boot.mjs', import.meta.url);
const WORKER_ENTRY = new URL('./worker.ts', import.meta.url).href;
/** Worker start-up (tsx, loading and converting the seed models) is not a case and gets its own, longer bound. */
const STARTUP_MS = 120_000;

export async function runFuzz(options: FuzzOptions): Promise<FuzzTally> {
  const tally = emptyTally();
  incident = options.onIncident;
  const t0 = performance.now();
  const end = (options.start ?? 0) + options.cases;
  let next = options.start ?? 0;
  while (next < end) next = await runWorker(options, next, end, tally);
  tally.seconds = (performance.now() - t0) / 1000;
  return tally;
}

/** Runs cases from `start` in one worker until done, a hang or a crash; returns the next case to run. */
function runWorker(options: FuzzOptions, start: number, end: number, tally: FuzzTally): Promise<number> {
  return new Promise((resolveNext) => {
    const input: WorkerInput = { entry: WORKER_ENTRY, runSeed: options.seed, start, end, profile: options.profile, caps: options.caps };
    const worker = new Worker(WORKER_BOOT, { workerData: input, resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb ?? 3072 } });
    let expected = start;
    let generated = -1;
    let ready = false;
    let last = performance.now();
    let settled = false;
    const finish = (nextIndex: number) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      void worker.terminate();
      resolveNext(nextIndex);
    };
    const timer = setInterval(() => {
      const bound = ready ? options.timeoutMs : STARTUP_MS;
      if (performance.now() - last <= bound) return;
      if (!ready) {
        tally.crashes++;
        note(tally.examples.crashes, { index: expected, message: 'worker did not start in time' }, 'crash');
        return finish(end);
      }
      tally.cases++;
      if (generated === expected) {
        tally.hangs++;
        note(tally.examples.hangs, { index: expected, message: `no result after ${options.timeoutMs} ms` }, 'hang');
      } else {
        tally.generatorErrors++;
        note(tally.examples.generator, { index: expected, message: `the case generator ran over ${options.timeoutMs} ms` }, 'generator hang');
      }
      finish(expected + 1);
    }, 100);
    worker.on('message', (m: CaseMessage | { t: 'ready' } | { t: 'done' } | { t: 'generated'; index: number }) => {
      last = performance.now();
      if (m.t === 'generated') {
        generated = m.index;
        return;
      }
      if (m.t === 'ready') {
        ready = true;
        return;
      }
      if (m.t === 'done') return finish(end);
      record(tally, m);
      expected = m.index + 1;
      options.onProgress?.(tally.cases, tally);
    });
    worker.on('error', (err) => {
      tally.cases++;
      tally.crashes++;
      note(tally.examples.crashes, { index: expected, name: err.name, message: err.message }, 'crash');
      finish(expected + 1);
    });
    worker.on('exit', () => finish(expected < end ? expected + 1 : end));
  });
}

function record(tally: FuzzTally, m: CaseMessage): void {
  tally.cases++;
  tally.maxHeapUsed = Math.max(tally.maxHeapUsed, m.heapUsed);
  tally.maxRss = Math.max(tally.maxRss, m.rss);
  tally.maxArrayBuffers = Math.max(tally.maxArrayBuffers, m.arrayBuffers);
  if (tally.slowest.length < 5 || m.ms > tally.slowest[tally.slowest.length - 1]!.ms) {
    tally.slowest.push({ index: m.index, ms: m.ms, seed: m.seed });
    tally.slowest.sort((a, b) => b.ms - a.ms);
    tally.slowest.length = Math.min(tally.slowest.length, 5);
  }
  const o = m.outcome;
  const example = (): Example => ({ index: m.index, seed: m.seed, what: m.what, name: o.kind === 'ok' ? undefined : o.name, message: 'message' in o ? o.message.slice(0, 400) : undefined });
  switch (o.kind) {
    case 'ok':
      tally.ok++;
      if (o.ran) tally.ran++;
      break;
    case 'typed':
      tally.typed[o.name] = (tally.typed[o.name] ?? 0) + 1;
      break;
    case 'wrapped':
      tally.wrapped++;
      tally.typed[o.name] = (tally.typed[o.name] ?? 0) + 1;
      note(tally.examples.wrapped, example(), 'wrapped');
      break;
    case 'untyped':
      tally.untyped++;
      note(tally.examples.untyped, example(), 'untyped');
      break;
    case 'generator':
      tally.generatorErrors++;
      note(tally.examples.generator, example(), 'generator');
      break;
  }
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;

export function formatTally(t: FuzzTally, seed: number): string {
  const lines = [
    `fuzz tally: ${t.cases} cases, seed ${seed}, ${t.seconds.toFixed(1)} s`,
    `  ok loads:          ${t.ok} (run on the CPU executor: ${t.ran})`,
    `  typed errors:      ${Object.values(t.typed).reduce((a, b) => a + b, 0)}  ${Object.entries(t.typed).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  wrapped internal:  ${t.wrapped}  (typed, but wrapping a TypeError/RangeError underneath)`,
    `  untyped errors:    ${t.untyped}`,
    `  hangs:             ${t.hangs}`,
    `  crashes:           ${t.crashes}`,
    `  generator errors:  ${t.generatorErrors}`,
    `  max heap used ${mib(t.maxHeapUsed)}, max rss ${mib(t.maxRss)}, max array buffers ${mib(t.maxArrayBuffers)}`,
    `  slowest cases: ${t.slowest.map((s) => `#${s.index} ${s.ms.toFixed(0)} ms`).join(', ')}`,
  ];
  const show = (title: string, list: Example[]) => {
    if (!list.length) return;
    lines.push(`  ${title} (replay: npm run fuzz -- --seed ${seed} --case N):`);
    for (const e of list) lines.push(`    #${e.index} [${e.seed ?? '?'}] ${e.what ?? ''}\n      ${e.name ?? ''}: ${e.message ?? ''}`);
  };
  show('untyped', t.examples.untyped);
  show('hangs', t.examples.hangs);
  show('crashes', t.examples.crashes);
  show('wrapped', t.examples.wrapped);
  show('generator', t.examples.generator);
  return lines.join('\n');
}
