/**
 * `npx tsx tools/dispatch_counts.ts [--models a,b] [--class nvidia] [--without PASS,..] [--json FILE] [--list]`: GPU dispatches per run of each bench model
 * (bench/models.ts; default the eight of `npm run bench`), counted from the executor's dispatch list
 * (`session.dispatches()`) of a WebGPU session in Node on the adapter Dawn finds (SwiftShader when the machine has no
 * GPU, chosen as the bench's Node host does: bench/node_icd.ts). Nothing is timed, so the machine's load does not
 * matter. Prints one line per model with the dispatches by op (largest first); `--list` also prints every dispatch.
 * `--class C`: the kernels the hardware tuning policy seeds for adapter family C (docs/tuning.md) instead of the rule's
 * (a budget of 0: no layer is measured, every layer runs its seed). `--without mergeSlices`: with those
 * optimize() passes off (the "before" of a new fusion).
 * On real GPUs each dispatch costs tens of µs (docs/performance.md, "Dispatches"), which bounds small CNNs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { chooseVulkanIcd, gatherIcdFacts } from '../bench/node_icd.js';
import { installDawnNavigator } from '../bench/node_gpu.js';
import { DEFAULT_MODELS, ensureModel } from '../bench/models.js';
import { Session } from '../src/runtime/session.js';
import type { DispatchInfo } from '../src/backends/webgpu/executor.js';
import { ADAPTER_CLASSES, type AdapterClass } from '../src/backends/webgpu/device.js';
import type { OptimizeOptions } from '../src/graph/passes/index.js';

export interface DispatchCount {
  model: string;
  dispatches: number;
  /** Dispatches per op (the executor's op name, e.g. FusedConv, Add, Slice), largest first. */
  byOp: Record<string, number>;
}

/** Groups a dispatch list by op, largest first. */
export function countByOp(list: readonly DispatchInfo[]): Record<string, number> {
  const m = new Map<string, number>();
  for (const d of list) m.set(d.op, (m.get(d.op) ?? 0) + 1);
  return Object.fromEntries([...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}

/** Builds a WebGPU session for the model (no autotuning: the rule's kernels) and reads its dispatch list. */
export async function countDispatches(model: string, list = false, cls?: AdapterClass, without: string[] = []): Promise<DispatchCount> {
  const files = ensureModel(model);
  const autotune = cls ? { policy: 'hardware' as const, adapterClass: cls, budgetMs: 0, cache: false as const } : false;
  const optimize: OptimizeOptions = Object.fromEntries(without.map((p) => [p, false]));
  const session = await Session.create(new Uint8Array(readFileSync(files.onnx)), { backend: 'webgpu', autotune, optimize });
  try {
    const d = session.dispatches() ?? [];
    if (list) for (const x of d) console.log(`  ${x.node}  ${x.op}/${x.kernel}  ${x.outputShapes.map((s) => `[${s.join(',')}]`).join(' ')}`);
    return { model, dispatches: d.length, byOp: countByOp(d) };
  } finally {
    session.release();
  }
}

async function main(argv: string[]): Promise<void> {
  const arg = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const models = arg('--models')?.split(',') ?? DEFAULT_MODELS;
  const cls = arg('--class') as AdapterClass | undefined;
  if (cls !== undefined && !ADAPTER_CLASSES.includes(cls)) throw new Error(`--class must be one of ${ADAPTER_CLASSES.join(', ')}`);
  const icd = chooseVulkanIcd(gatherIcdFacts());
  if (icd.vkIcdFilenames) process.env['VK_ICD_FILENAMES'] = icd.vkIcdFilenames;
  console.error(`Vulkan: ${icd.reason}`);
  await installDawnNavigator();
  const out: DispatchCount[] = [];
  for (const m of models) {
    const c = await countDispatches(m, argv.includes('--list'), cls, arg('--without')?.split(',') ?? []);
    out.push(c);
    console.log(`${m}: ${c.dispatches} dispatches (${Object.entries(c.byOp).map(([op, n]) => `${op} ${n}`).join(', ')})`);
  }
  const json = arg('--json');
  if (json) writeFileSync(json, JSON.stringify(out, null, 2) + '\n');
  process.exit(0); // installDawnNavigator keeps a timer alive
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
