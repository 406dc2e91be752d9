/** Command line of `npm run bench -- [options]`. */
import { DEFAULT_MODELS, KNOWN_MODELS } from './models.js';
import type { RuntimeName } from './page_types.js';

export type BenchRuntime = RuntimeName | 'ort-node';
export const ALL_RUNTIMES: BenchRuntime[] = ['tessera', 'ort-webgpu', 'tfjs-webgpu', 'ort-wasm', 'ort-node'];

export interface BenchArgs {
  models: string[];
  runtimes: BenchRuntime[];
  /** Overrides every model's steady-run count. */
  reps?: number;
  /** Overrides every model's per-job time budget for steady runs (seconds). */
  maxSeconds?: number;
  outDir: string;
  /** Tessera: session.profile() after timing (default on). */
  profile: boolean;
  /** Kill a job (one runtime on one model) after this many seconds. */
  jobTimeoutSeconds: number;
  verbose: boolean;
  help: boolean;
}

export const USAGE = `npm run bench -- [--models resnet20,resnet18] [--reps N] [--out bench/results]
  --models LIST      comma-separated; default ${DEFAULT_MODELS.join(',')}; 'all' = ${KNOWN_MODELS.map((m) => m.name).join(',')}
                     (any torchvision classifier name is exported on demand into zoo-out/bench/)
  --runtimes LIST    subset of ${ALL_RUNTIMES.join(',')} (default all)
  --reps N           steady-state runs per job (default per model: 20 small, 5-10 mid, 2 big)
  --max-seconds S    stop adding steady runs after S seconds per job (at least 3 runs)
  --out DIR          results folder (default bench/results)
  --no-profile       skip Tessera's session.profile() pass
  --job-timeout S    abandon a job after S seconds (default 600)
  --verbose          forward the page's console`;

export class BenchArgsError extends Error {
  override name = 'BenchArgsError';
}

function positiveInt(flag: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n <= 0) throw new BenchArgsError(`${flag} needs a positive integer, got '${v ?? ''}'`);
  return n;
}

function list(flag: string, v: string | undefined): string[] {
  const items = (v ?? '').split(',').map((s) => s.trim()).filter((s) => s);
  if (!items.length) throw new BenchArgsError(`${flag} needs a comma-separated list`);
  return items;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = {
    models: [...DEFAULT_MODELS],
    runtimes: [...ALL_RUNTIMES],
    outDir: 'bench/results',
    profile: true,
    jobTimeoutSeconds: 600,
    verbose: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--models': {
        const m = list(flag, value());
        args.models = m.length === 1 && m[0] === 'all' ? KNOWN_MODELS.map((x) => x.name) : m;
        for (const name of args.models) if (!/^[a-z0-9_]+$/.test(name)) throw new BenchArgsError(`--models: '${name}' is not a model name`);
        break;
      }
      case '--runtimes': {
        const r = list(flag, value());
        for (const x of r) if (!ALL_RUNTIMES.includes(x as BenchRuntime)) throw new BenchArgsError(`--runtimes: unknown runtime '${x}' (known: ${ALL_RUNTIMES.join(', ')})`);
        args.runtimes = r as BenchRuntime[];
        break;
      }
      case '--reps':
        args.reps = positiveInt(flag, value());
        break;
      case '--max-seconds':
        args.maxSeconds = positiveInt(flag, value());
        break;
      case '--job-timeout':
        args.jobTimeoutSeconds = positiveInt(flag, value());
        break;
      case '--out': {
        const v = value();
        if (!v) throw new BenchArgsError('--out needs a folder');
        args.outDir = v;
        break;
      }
      case '--no-profile':
        args.profile = false;
        break;
      case '--verbose':
        args.verbose = true;
        break;
      case '-h':
      case '--help':
        args.help = true;
        break;
      default:
        throw new BenchArgsError(`unknown argument '${a}'\n${USAGE}`);
    }
  }
  return args;
}
