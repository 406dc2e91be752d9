/**
 * One model of the torchvision sweep (tools/zoo/torchvision_sweep.ts runs this in a child process per model, so a
 * crash, a Dawn abort or an out-of-memory costs one row, not the sweep):
 *
 *   npx tsx tools/zoo/torchvision_check_one.ts DIR [--backends cpu,webgpu] [--runs 2]
 *
 * DIR holds model.onnx, input.npy, output.npy, meta.json (tools/zoo/export_torchvision_sweep.py). Steps, each timed
 * and each failure recorded with the typed error's name and message (which name node and op):
 *   import   importOnnx; model stats of the imported graph (params, MACs: src/graph/model_stats.ts)
 *   convert  what `tessera convert` does: convertPipeline (optimize + binarize) then writeTessera (f32)
 *   <backend> Session.create(.tessera bytes, { backend }) and `--runs` runs (the first is compared with PyTorch's
 *            output by relative L2; latency = median of the runs after the first, or the first when runs = 1)
 * Prints the result as one JSON line (prefixed `RESULT `) and writes DIR/check.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertPipeline } from '../../src/cli/pipeline.js';
import { writeTessera } from '../../src/format/writer.js';
import { inferShapes } from '../../src/graph/infer.js';
import type { Graph } from '../../src/graph/ir.js';
import { modelStats } from '../../src/graph/model_stats.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import { Session, type BackendName } from '../../src/runtime/session.js';
import { median } from './webgpu_lib.js';
import { loadCase, relativeL2 } from './zoo_lib.js';

export interface BackendResult {
  relL2?: number;
  /** Session.create, ms. */
  createMs?: number;
  /** Median run time after the first run (or the first run when only one), ms. */
  latencyMs?: number;
  firstRunMs?: number;
  /** run() calls made (the first is compared). */
  runs?: number;
  device?: string;
  /** The backend the session actually used (an 'auto' fallback would show here). */
  backend?: string;
  error?: string;
}

export interface CheckResult {
  name: string;
  importMs?: number;
  convertMs?: number;
  params?: number;
  macs?: number;
  /** Node count of the converted graph and its op types. */
  nodes?: number;
  convertedOps?: string[];
  tesseraBytes?: number;
  error?: string;
  /** The step that failed first ('import', 'convert'); backends fail on their own. */
  failedStep?: string;
  backends: Partial<Record<BackendName, BackendResult>>;
  date: string;
}

const describe = (e: unknown): string => {
  const err = e as Error;
  return `${err?.name ?? 'Error'}: ${String(err?.message ?? e).split('\n')[0]!.slice(0, 500)}`;
};

async function runBackend(bytes: Uint8Array, backend: BackendName, c: ReturnType<typeof loadCase>, runs: number): Promise<BackendResult> {
  const result: BackendResult = {};
  let session: Session | undefined;
  try {
    const t0 = performance.now();
    session = await Session.create(bytes, { backend });
    result.createMs = performance.now() - t0;
    result.backend = session.backend;
    result.device = session.deviceDescription;
    const feeds = { [session.inputs[0]!.name]: c.input };
    const times: number[] = [];
    let first;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const out = await session.run(feeds);
      times.push(performance.now() - t);
      first ??= Object.values(out)[0]!;
    }
    result.relL2 = relativeL2(first!, c.expected);
    result.firstRunMs = times[0];
    result.runs = times.length;
    result.latencyMs = median(times.length > 1 ? times.slice(1) : times);
  } catch (e) {
    result.error = describe(e);
  } finally {
    session?.release();
  }
  return result;
}

export async function checkOne(dir: string, backends: BackendName[], runs: number): Promise<CheckResult> {
  const c = loadCase(dir);
  const result: CheckResult = { name: c.name, backends: {}, date: new Date().toISOString() };
  let graph: Graph;
  try {
    const t0 = performance.now();
    graph = importOnnx(c.modelBytes);
    result.importMs = performance.now() - t0;
    const stats = modelStats(graph, inferShapes(graph));
    result.params = stats.totals.params;
    result.macs = stats.totals.macs;
  } catch (e) {
    return { ...result, failedStep: 'import', error: describe(e) };
  }
  let bytes: Uint8Array;
  try {
    const t0 = performance.now();
    const converted = convertPipeline(graph, { optimize: true, binarize: true });
    bytes = writeTessera(converted);
    result.convertMs = performance.now() - t0;
    result.nodes = converted.nodes.length;
    result.convertedOps = [...new Set(converted.nodes.map((n) => n.op))].sort();
    result.tesseraBytes = bytes.byteLength;
  } catch (e) {
    return { ...result, failedStep: 'convert', error: describe(e) };
  }
  for (const backend of backends) result.backends[backend] = await runBackend(bytes, backend, c, runs);
  return result;
}

async function main(argv: string[]): Promise<void> {
  let dir: string | undefined;
  let backends: BackendName[] = ['cpu', 'webgpu'];
  let runs = 2;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--backends') backends = argv[++i]!.split(',').filter(Boolean) as BackendName[];
    else if (a === '--runs') runs = Math.max(1, Number(argv[++i]));
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else dir = a;
  }
  if (!dir) throw new Error('usage: torchvision_check_one.ts DIR [--backends cpu,webgpu] [--runs N]');
  const result = await checkOne(dir, backends, runs);
  writeFileSync(join(dir, 'check.json'), JSON.stringify(result, null, 1) + '\n');
  console.log(`RESULT ${JSON.stringify(result)}`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0), // Dawn keeps the event loop alive
  (e) => {
    console.error(e);
    process.exit(2);
  },
);
