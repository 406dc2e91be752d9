/**
 * Runs every exported zoo model on WebGPU in ONE headless Chromium (SwiftShader without a GPU) and prints one row
 * per model: relative L2 vs PyTorch's output (f32 weights; optionally f16), create time, time per run, pass/fail.
 *
 *   npx tsx tools/zoo/check_webgpu.ts [ZOO_DIR=zoo-out] [--only a,b] [--scale cifar|all] [--runs 4]
 *        [--heavy-runs 1] [--f16] [--timeout 300] [--json FILE] [--fresh]
 *
 * Each model is converted as `npm run zoo` does (model.f32.tessera / model.f16.tessera, or the same conversion in
 * memory when a file is missing or stale), loaded with Session.create({ backend: 'webgpu' }), run, and released
 * before the next. CIFAR-scale models run `--runs` times (the first is a warm-up; the time is the median of the
 * rest); ImageNet/video models and CIFAR ones over 30 MB ("heavy") run `--heavy-runs` times (default once: its time
 * is the first run's). A model with no result after `--timeout` seconds is a TIMEOUT row and the browser is
 * replaced. Results merge into the JSON file (default ZOO_DIR/webgpu-check.json; --fresh starts it over), which
 * tools/zoo/make_models_readme.ts reads. Exit status 1 when any f32 row is over 1e-4, failed or timed out.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBrowserSession, type BrowserSession } from '../../src/node/browser_harness.js';
import { caseDirs, loadCase, relativeL2, type ZooCase } from './zoo_lib.js';
import { median, runInPage, tesseraBytes, ZooWebGPUError } from './webgpu_lib.js';

export const TOLERANCE = 1e-4;
const HEAVY_ONNX_BYTES = 30 * 1024 * 1024;

interface Options {
  dir: string;
  only?: Set<string>;
  scale: 'cifar' | 'all';
  runs: number;
  heavyRuns: number;
  f16: boolean;
  timeoutS: number;
  json?: string;
  fresh: boolean;
}

/** One model's result; also the JSON row format make_models_readme.ts reads. */
export interface WebGPURow {
  name: string;
  family: string;
  scale: string;
  params?: number;
  relL2: number | null;
  relL2F16?: number | null;
  pass: boolean;
  /** 'ok', 'over' (rel L2 > 1e-4), 'error' or 'timeout'. */
  status: 'ok' | 'over' | 'error' | 'timeout';
  error?: string;
  createMs?: number;
  firstRunMs?: number;
  /** Median of the runs after the warm-up, or the single run's time. */
  medianMs?: number;
  timedRuns?: number;
  activationBytes?: number;
  weightBytes?: number;
  device?: string;
  date: string;
}

function parseOptions(argv: string[]): Options {
  const opts: Options = { dir: 'zoo-out', scale: 'all', runs: 4, heavyRuns: 1, f16: false, timeoutS: 300, fresh: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = (min: number): number => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < min) throw new Error(`${a} must be an integer ≥ ${min}`);
      return v;
    };
    if (a === '--only') opts.only = new Set([...(opts.only ?? []), ...value().split(',').filter(Boolean)]);
    else if (a === '--scale') {
      const s = value();
      if (s !== 'cifar' && s !== 'all') throw new Error(`--scale must be cifar or all, got '${s}'`);
      opts.scale = s;
    } else if (a === '--runs') opts.runs = int(1);
    else if (a === '--heavy-runs') opts.heavyRuns = int(1);
    else if (a === '--timeout') opts.timeoutS = int(1);
    else if (a === '--f16') opts.f16 = true;
    else if (a === '--json') opts.json = value();
    else if (a === '--fresh') opts.fresh = true;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else opts.dir = a;
  }
  return opts;
}

function isHeavy(c: ZooCase): boolean {
  return c.meta['scale'] !== 'cifar' || c.modelBytes.byteLength > HEAVY_ONNX_BYTES;
}

/** CIFAR-scale first (smallest file first), then ImageNet and video. */
function runOrder(cases: ZooCase[]): ZooCase[] {
  const rank = (c: ZooCase) => (c.meta['scale'] === 'cifar' ? 0 : 1);
  return [...cases].sort((a, b) => rank(a) - rank(b) || a.modelBytes.byteLength - b.modelBytes.byteLength);
}

const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : v.toExponential(2));
const ms = (v: number | undefined): string => (v === undefined ? '-' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);

export function formatRow(r: WebGPURow): string {
  const verdict = r.status === 'ok' ? 'pass' : r.status.toUpperCase();
  return `${r.name.padEnd(34)} ${r.family.padEnd(17)} ${fmt(r.relL2).padEnd(9)} ${fmt(r.relL2F16).padEnd(9)} ${ms(r.createMs).padStart(8)} ${ms(r.medianMs).padStart(9)} ${String(r.timedRuns ?? '-').padStart(4)}  ${verdict}`;
}
export const HEADER = `${'model'.padEnd(34)} ${'family'.padEnd(17)} ${'f32 relL2'.padEnd(9)} ${'f16 relL2'.padEnd(9)} ${'create'.padStart(8)} ${'per run'.padStart(9)} ${'runs'.padStart(4)}  result`;

async function checkModel(browser: BrowserSession, c: ZooCase, opts: Options): Promise<WebGPURow> {
  const date = new Date().toISOString();
  const row: WebGPURow = { name: c.name, family: String(c.meta.family ?? '?'), scale: String(c.meta['scale'] ?? '?'), params: c.meta.params, relL2: null, pass: false, status: 'error', date };
  const runs = isHeavy(c) ? opts.heavyRuns : opts.runs;
  try {
    const r = await runInPage(browser, tesseraBytes(c, 'f32').bytes, c.input, { runs, timeoutMs: opts.timeoutS * 1000 });
    row.relL2 = relativeL2({ dtype: 'f32', shape: r.shape, data: r.data }, c.expected);
    row.pass = row.relL2 <= TOLERANCE;
    row.status = row.pass ? 'ok' : 'over';
    row.createMs = r.createMs;
    row.firstRunMs = r.runsMs[0];
    const timed = r.runsMs.length > 1 ? r.runsMs.slice(1) : r.runsMs;
    row.medianMs = median(timed);
    row.timedRuns = timed.length;
    row.activationBytes = r.memory?.activationBytes;
    row.weightBytes = r.memory?.weightBytes;
    row.device = r.device;
  } catch (e) {
    row.status = e instanceof ZooWebGPUError && e.timedOut ? 'timeout' : 'error';
    row.error = `${(e as Error).name}: ${(e as Error).message}`;
    return row;
  }
  if (opts.f16) {
    try {
      const r = await runInPage(browser, tesseraBytes(c, 'f16').bytes, c.input, { runs: 1, timeoutMs: opts.timeoutS * 1000 });
      row.relL2F16 = relativeL2({ dtype: 'f32', shape: r.shape, data: r.data }, c.expected);
    } catch (e) {
      row.relL2F16 = null;
      row.error = `f16: ${(e as Error).name}: ${(e as Error).message}`;
      if (e instanceof ZooWebGPUError && e.timedOut) throw e;
    }
  }
  return row;
}

function loadRows(path: string, fresh: boolean): Map<string, WebGPURow> {
  if (fresh || !existsSync(path)) return new Map();
  const rows = JSON.parse(readFileSync(path, 'utf8')) as WebGPURow[];
  return new Map(rows.map((r) => [r.name, r]));
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const jsonPath = opts.json ?? join(opts.dir, 'webgpu-check.json');
  const cases = runOrder(
    caseDirs(opts.dir)
      .map((d) => loadCase(d))
      .filter((c) => (opts.only ? opts.only.has(c.name) : opts.scale === 'all' || c.meta['scale'] === 'cifar' || c.meta.fixture === true)),
  );
  if (cases.length === 0) {
    console.error(`no exported models selected under ${opts.dir} (run npm run zoo first)`);
    return 1;
  }
  if (opts.only) for (const n of opts.only) if (!cases.some((c) => c.name === n)) console.error(`warning: no exported model '${n}' in ${opts.dir}`);
  const saved = loadRows(jsonPath, opts.fresh);
  let browser = await startBrowserSession();
  console.log(`WebGPU zoo check, ${cases.length} models, Chromium, bound ${TOLERANCE} (f32); ${new Date().toISOString()}`);
  console.log(HEADER);
  const rows: WebGPURow[] = [];
  try {
    for (const c of cases) {
      let row: WebGPURow;
      try {
        row = await checkModel(browser, c, opts);
      } catch (e) {
        row = { name: c.name, family: String(c.meta.family ?? '?'), scale: String(c.meta['scale']), params: c.meta.params, relL2: null, pass: false, status: 'timeout', error: (e as Error).message, date: new Date().toISOString() };
      }
      if (row.status === 'timeout') {
        // The page is still busy with the abandoned model: start over with a fresh browser.
        await browser.close();
        browser = await startBrowserSession();
      }
      rows.push(row);
      console.log(formatRow(row));
      if (row.error) console.log(`    ${row.error}`);
      if (row.device && rows.length === 1) console.log(`    device: ${row.device}`);
      saved.set(row.name, row);
      writeFileSync(jsonPath, JSON.stringify([...saved.values()].sort((a, b) => a.name.localeCompare(b.name)), null, 1) + '\n');
    }
  } finally {
    await browser.close();
  }
  const bad = rows.filter((r) => !r.pass);
  console.log(`${rows.length} models, ${rows.length - bad.length} pass, ${bad.length} fail/timeout (f32 bound ${TOLERANCE}); results in ${jsonPath}`);
  return bad.length > 0 ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    console.error(e);
    process.exitCode = 2;
  },
);
