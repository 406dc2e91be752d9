/** Command line of `npm run gpu-report` (tools/gpu_report.ts); pure, unit-tested. */
import { argFlags, positiveInt } from '../bench/argv.js';

/** The report's sections, in the order they run. */
export const SECTIONS = ['fixtures', 'roofline', 'tuning', 'bench'] as const;
export type Section = (typeof SECTIONS)[number];

/** The models of the real-GPU issue's bench: the compute tests and the dispatch-bound mobile nets. */
export const REPORT_BENCH_MODELS = ['resnet50', 'mobilenet_v2', 'mobilenet_v3_small', 'efficientnet_b0', 'densenet121'];

/** --quick: the bench models the other runtimes also run (small: their SwiftShader first runs take ~1 min). */
export const QUICK_COMPARE = ['mobilenet_v2', 'mobilenet_v3_small', 'efficientnet_b0'];

export interface GpuReportArgs {
  sections: Section[];
  /** Models of the bench section. */
  models: string[];
  /** Bench models also run on ORT-web WebGPU and TF.js WebGPU (the others: Tessera alone). Default: all of `models`. */
  compare?: string[];
  /** Seconds after which a bench job is abandoned (reported as failed). */
  jobTimeoutSeconds: number;
  /** Models of the tuning section (first load with the hardware policy, then cached). */
  tuneModels: string[];
  /** Models of the roofline's per-layer profile. */
  rooflineModels: string[];
  /** Steady runs per bench job and profiles per roofline model (fewer on a software adapter: --quick). */
  reps: number;
  /** --reps given (--quick then keeps it). */
  repsGiven: boolean;
  /**
   * 'quick' (--quick) or 'full' (--full) as asked; 'auto': quick on a software adapter (whose figures describe no GPU,
   * and whose full run takes over 20 minutes on 2 cores), full otherwise — settled by `settleSpeed` once the adapter
   * is known.
   */
  speed: 'auto' | 'quick' | 'full';
  /** Seconds after which a bench job stops adding runs. */
  maxSeconds: number;
  /** Tuning section: the hardware policy's budget (ms); undefined: the policy's default on hardware, 20 s on software. */
  tuneBudgetMs?: number;
  outDir: string;
  /** Write the bundle for a GPU machine without Node or network into this folder, and do nothing else. */
  pack?: string;
  help: boolean;
}

export const GPU_REPORT_USAGE = `npm run gpu-report -- [--quick] [--only fixtures,roofline,tuning,bench] [--models LIST] [--reps N] [--out DIR]
npm run gpu-report -- --pack DIR
  Prints the WebGPU adapter Dawn finds in Node (and its class), then: the model-zoo fixtures against PyTorch, the
  roofline (GEMM ceiling, copy bandwidth, per-layer profile), first-load tuning with the hardware policy and a
  cached second load (outputs vs the untuned session), and the bench of ${REPORT_BENCH_MODELS.join(', ')} against
  ORT-web WebGPU and TF.js WebGPU (bench/run.ts --host node); writes one Markdown report.
  --quick            1 run per job, 150 s per bench job, ORT-web / TF.js only on the three mobile models (their
                     first runs of ResNet-50 / DenseNet-121 take minutes on a software adapter): ~15 min on 2 cores;
                     the default on a software adapter (SwiftShader, llvmpipe)
  --full             the full settings on a software adapter too (default on a GPU)
  --compare LIST     bench models that also run on ORT-web WebGPU and TF.js WebGPU (default: all bench models)
  --only LIST        sections to run (default all: ${SECTIONS.join(',')})
  --models LIST      bench models (default ${REPORT_BENCH_MODELS.join(',')})
  --tune-models LIST tuning section models (default resnet50)
  --roofline-models LIST  roofline profile models (default resnet50)
  --reps N           steady runs per bench job / roofline profiles (default 10, quick 1)
  --tune-budget MS   tuning section budget (default: the hardware policy's 1.5 s on a GPU; 20 s on a software
                     adapter, where compiling one layer's 4 candidates alone takes seconds)
  --out DIR          report folder (default bench/results/gpu-report)
  --pack DIR         write the self-contained bundle for a GPU machine (docs/gpu-report.md) and exit`;

export class GpuReportArgsError extends Error {
  override name = 'GpuReportArgsError';
}

function names(flag: string, v: string | undefined): string[] {
  const list = (v ?? '').split(',').map((s) => s.trim()).filter((s) => s);
  if (!list.length || list.some((n) => !/^[a-z0-9_]+$/.test(n))) throw new GpuReportArgsError(`${flag} needs comma-separated names, got '${v ?? ''}'`);
  return list;
}

/** The flags that take a list of model names, and the field each one sets. */
const NAME_LIST_FLAGS = new Map<string, 'models' | 'compare' | 'tuneModels' | 'rooflineModels'>([
  ['--models', 'models'],
  ['--compare', 'compare'],
  ['--tune-models', 'tuneModels'],
  ['--roofline-models', 'rooflineModels'],
]);

export function parseGpuReportArgs(argv: readonly string[]): GpuReportArgs {
  const a: GpuReportArgs = { sections: [...SECTIONS], models: [...REPORT_BENCH_MODELS], tuneModels: ['resnet50'], rooflineModels: ['resnet50'], reps: 10, repsGiven: false, speed: 'auto', maxSeconds: 30, jobTimeoutSeconds: 600, outDir: 'bench/results/gpu-report', help: false };
  const error = (message: string) => new GpuReportArgsError(message);
  for (const { flag, required: value } of argFlags(argv, error)) {
    const listField = NAME_LIST_FLAGS.get(flag);
    if (listField) {
      a[listField] = names(flag, value());
      continue;
    }
    switch (flag) {
      case '--quick':
      case '--full':
        if (a.speed !== 'auto' && a.speed !== flag.slice(2)) throw new GpuReportArgsError('--quick and --full exclude each other');
        a.speed = flag === '--quick' ? 'quick' : 'full';
        break;
      case '--only': {
        const s = names(flag, value());
        for (const x of s) if (!(SECTIONS as readonly string[]).includes(x)) throw new GpuReportArgsError(`--only: unknown section '${x}' (known: ${SECTIONS.join(', ')})`);
        a.sections = SECTIONS.filter((x) => s.includes(x));
        break;
      }
      case '--reps':
        a.reps = positiveInt(flag, value(), error);
        a.repsGiven = true;
        break;
      case '--tune-budget': {
        const v = value();
        const n = Number(v);
        if (!Number.isFinite(n) || n < 0) throw new GpuReportArgsError(`--tune-budget needs milliseconds, got '${v}'`);
        a.tuneBudgetMs = n;
        break;
      }
      case '--out':
        a.outDir = value();
        break;
      case '--pack':
        a.pack = value();
        break;
      case '-h':
      case '--help':
        a.help = true;
        break;
      default:
        throw new GpuReportArgsError(`unknown argument '${flag}'\n${GPU_REPORT_USAGE}`);
    }
  }
  if (a.speed === 'quick') applyQuick(a);
  return a;
}

function applyQuick(a: GpuReportArgs): void {
  if (!a.repsGiven) a.reps = 1;
  a.maxSeconds = 5;
  a.jobTimeoutSeconds = 150;
  a.compare ??= a.models.filter((m) => QUICK_COMPARE.includes(m));
}

/** Settles 'auto' once the adapter's class is known: quick on a software adapter. True when that made it quick. */
export function settleSpeed(a: GpuReportArgs, adapterClass: string): boolean {
  if (a.speed !== 'auto') return false;
  a.speed = adapterClass === 'software' ? 'quick' : 'full';
  if (a.speed === 'quick') applyQuick(a);
  return a.speed === 'quick';
}
