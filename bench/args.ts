/** Command line of `npm run bench -- [options]`. */
import { DEFAULT_MODELS, KNOWN_MODELS } from './models.js';
import type { RuntimeName } from './page_types.js';
import { argFlags, positiveInt } from './argv.js';

export type BenchRuntime = RuntimeName | 'ort-node';
export const ALL_RUNTIMES: BenchRuntime[] = ['tessera', 'ort-webgpu', 'tfjs-webgpu', 'ort-wasm', 'ort-node', 'tessera-wasm', 'tfjs-wasm', 'tessera-wasm-1t', 'ort-wasm-1t'];
/**
 * The CPU runtimes of the browser (WebAssembly SIMD), each job in a fresh page with the same cross-origin isolation
 * (COOP/COEP, so SharedArrayBuffer and threads work for all three): multi-threaded with
 * one thread per core (Tessera's WASM backend, ORT-web WASM, TF.js WASM), then single-thread Tessera and ORT.
 * `--runtimes wasm` is shorthand for this list.
 */
export const WASM_RUNTIMES: BenchRuntime[] = ['tessera-wasm', 'ort-wasm', 'tfjs-wasm', 'tessera-wasm-1t', 'ort-wasm-1t'];

/** Where the WebGPU runtimes run: a fresh headless Chromium per job, or a fresh Node process on Dawn per job. */
export type BenchHost = 'chromium' | 'node';
export const HOSTS: BenchHost[] = ['chromium', 'node'];
/** ORT-web's WASM backend is the browser's CPU reference; in Node onnxruntime-node plays that role. */
export const NODE_RUNTIMES: BenchRuntime[] = ['tessera', 'ort-webgpu', 'tfjs-webgpu', 'ort-node'];
export const DEFAULT_OUT: Record<BenchHost, string> = { chromium: 'bench/results', node: 'bench/results/node' };

export interface BenchArgs {
  host: BenchHost;
  models: string[];
  runtimes: BenchRuntime[];
  /** Overrides every model's steady-run count. */
  reps?: number;
  /** Overrides every model's per-job time budget for steady runs (seconds). */
  maxSeconds?: number;
  /** Seconds of warm-up runs per job between the cold run and the timed runs (bench/page_util.ts timedRuns). */
  warmupSeconds: number;
  /** Jobs per runtime and model, run round-robin over the runtimes and merged (bench/rounds.ts). */
  rounds: number;
  outDir: string;
  /** Tessera: session.profile() after timing (default on). */
  profile: boolean;
  /** Tessera: after the default job, a session with `autotune: true` (first-load tuning) and a second, cached one. */
  tune: boolean;
  /**
   * Tessera: after the default job, the f32 and `--int8` .tessera files of the model (converted here), timed side by
   * side: default int8Weights and int8Weights: true (bench/int8_job.ts).
   */
  int8: boolean;
  /** Kill a job (one runtime on one model) after this many seconds. */
  jobTimeoutSeconds: number;
  verbose: boolean;
  help: boolean;
}

export const USAGE = `npm run bench -- [--host chromium|node] [--models resnet20,resnet18] [--reps N] [--out DIR]
  --host H           chromium (default): each job in a fresh headless Chromium; node: each job in a fresh Node
                     process on the adapter Dawn (the 'webgpu' package) finds (runtimes ${NODE_RUNTIMES.join(',')})
  --models LIST      comma-separated; default ${DEFAULT_MODELS.join(',')}; 'all' = ${KNOWN_MODELS.map((m) => m.name).join(',')}
                     (any torchvision classifier or segmentation model name is exported on demand into zoo-out/bench/)
  --runtimes LIST    subset of ${ALL_RUNTIMES.join(',')} (default: all the host runs);
                     'wasm' = ${WASM_RUNTIMES.join(',')} (WASM SIMD, threads = cores; '-1t' = one thread)
  --reps N           steady-state runs per job (default per model: 20 small, 5-10 mid, 2 big)
  --max-seconds S    stop adding steady runs after S seconds per job (at least 3 runs)
  --warmup-seconds S runs after the cold run that the median leaves out, for S seconds per job (default 1; 0: none;
                     every runtime alike; their times are kept in the JSON)
  --rounds N         N jobs per runtime and model, round-robin over the runtimes (default 1): timed runs pooled
                     into one median, cold start the median of the rounds (bench/rounds.ts)
  --out DIR          results folder (default ${DEFAULT_OUT.chromium}; ${DEFAULT_OUT.node} with --host node)
  --no-profile       skip Tessera's session.profile() pass
  --tune             Tessera: also create a session with autotune: true (first-load tuning, fresh in-memory
                     cache), time its steady runs, then create it again (table from the cache: no tuning)
  --int8             Tessera: also time the model's f32 and --int8 .tessera files in the same job, runs interleaved:
                     int8 with the default int8Weights (dequantised at load on a software adapter) and with
                     int8Weights: true (in registers); prints int8 / f32 median ratios
  --job-timeout S    abandon a job after S seconds (default 600)
  --verbose          forward the page's console`;

export class BenchArgsError extends Error {
  override name = 'BenchArgsError';
}

function list(flag: string, v: string | undefined): string[] {
  const items = (v ?? '').split(',').map((s) => s.trim()).filter((s) => s);
  if (!items.length) throw new BenchArgsError(`${flag} needs a comma-separated list`);
  return items;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = {
    host: 'chromium',
    models: [...DEFAULT_MODELS],
    runtimes: [...ALL_RUNTIMES],
    warmupSeconds: 1,
    rounds: 1,
    outDir: DEFAULT_OUT.chromium,
    profile: true,
    tune: false,
    int8: false,
    jobTimeoutSeconds: 600,
    verbose: false,
    help: false,
  };
  let outGiven = false;
  let runtimesGiven = false;
  const error = (message: string) => new BenchArgsError(message);
  for (const { flag, arg, value } of argFlags(argv, error, true)) {
    switch (flag) {
      case '--models': {
        const m = list(flag, value());
        args.models = m.length === 1 && m[0] === 'all' ? KNOWN_MODELS.map((x) => x.name) : m;
        for (const name of args.models) if (!/^[a-z0-9_]+$/.test(name)) throw new BenchArgsError(`--models: '${name}' is not a model name`);
        break;
      }
      case '--runtimes': {
        const r = list(flag, value()).flatMap((x) => (x === 'wasm' ? WASM_RUNTIMES : [x]));
        for (const x of r) if (!ALL_RUNTIMES.includes(x as BenchRuntime)) throw new BenchArgsError(`--runtimes: unknown runtime '${x}' (known: ${ALL_RUNTIMES.join(', ')})`);
        args.runtimes = [...new Set(r)] as BenchRuntime[];
        runtimesGiven = true;
        break;
      }
      case '--host': {
        const h = value();
        if (!HOSTS.includes(h as BenchHost)) throw new BenchArgsError(`--host: '${h ?? ''}' is not one of ${HOSTS.join(', ')}`);
        args.host = h as BenchHost;
        break;
      }
      case '--reps':
        args.reps = positiveInt(flag, value(), error);
        break;
      case '--max-seconds':
        args.maxSeconds = positiveInt(flag, value(), error);
        break;
      case '--warmup-seconds': {
        const v = Number(value());
        if (!Number.isFinite(v) || v < 0 || v > 60) throw new BenchArgsError('--warmup-seconds needs a number of seconds from 0 to 60');
        args.warmupSeconds = v;
        break;
      }
      case '--rounds':
        args.rounds = positiveInt(flag, value(), error);
        if (args.rounds > 10) throw new BenchArgsError('--rounds: at most 10');
        break;
      case '--job-timeout':
        args.jobTimeoutSeconds = positiveInt(flag, value(), error);
        break;
      case '--out': {
        const v = value();
        if (!v) throw new BenchArgsError('--out needs a folder');
        args.outDir = v;
        outGiven = true;
        break;
      }
      case '--no-profile':
        args.profile = false;
        break;
      case '--tune':
        args.tune = true;
        break;
      case '--int8':
        args.int8 = true;
        break;
      case '--verbose':
        args.verbose = true;
        break;
      case '-h':
      case '--help':
        args.help = true;
        break;
      default:
        throw new BenchArgsError(`unknown argument '${arg}'\n${USAGE}`);
    }
  }
  if (args.int8 && !args.runtimes.includes('tessera')) throw new BenchArgsError("--int8 times Tessera on WebGPU: --runtimes must include 'tessera'");
  if (args.host === 'node') {
    if (!outGiven) args.outDir = DEFAULT_OUT.node;
    if (!runtimesGiven) args.runtimes = [...NODE_RUNTIMES];
    const browserOnly = args.runtimes.filter((r) => !NODE_RUNTIMES.includes(r));
    if (browserOnly.length) throw new BenchArgsError(`--host node: ${browserOnly.join(', ')} runs only in Chromium (Node runs ${NODE_RUNTIMES.join(', ')})`);
  }
  return args;
}
