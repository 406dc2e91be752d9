/**
 * Memory-plan figures of a model: `npx tsx bench/plan_report.ts densenet121 [--batch 1] [--json]`
 * (a model name from zoo-out/bench/, exported on demand, or a path to an .onnx file).
 *
 * Imports the ONNX graph, runs `optimize` (src/graph/passes), infers shapes at the given batch and plans activation
 * memory (`planMemory`, src/plan) twice: with every view the planner knows (concat-in-place, slice and reshape views:
 * what issue 3 asks for) and with the options the WebGPU executor currently passes (reshape views only). Prints peak
 * activation bytes, the lower bound (largest set of simultaneously live tensors under that plan's aliasing) and the
 * naive total (every activation in its own buffer).
 */
import { existsSync, readFileSync } from 'node:fs';
import { bytesPerElement, sizeOf, type Graph, type ValueInfo } from '../src/graph/ir.js';
import { importOnnx } from '../src/import/onnx/index.js';
import { optimize } from '../src/graph/passes/index.js';
import { inferShapes } from '../src/graph/infer.js';
import { planMemory, type MemoryPlan, type PlanOptions } from '../src/plan/index.js';
import { ensureModel } from './models.js';

export class PlanReportArgsError extends Error {
  override name = 'PlanReportArgsError';
}

export interface PlanFigures {
  label: string;
  peakActivationBytes: number;
  lowerBoundBytes: number;
  /** peak / lowerBound - 1 (0.05 = 5 % above the bound). */
  overBound: number;
  buffers: number;
  elidedConcats: number;
  remainingConcats: number;
  views: number;
}

export interface PlanReport {
  model: string;
  batch: number;
  nodes: number;
  weightBytes: number;
  /** Sum of all activation sizes (no sharing at all). */
  naiveBytes: number;
  plans: PlanFigures[];
}

/** The planner options of the WebGPU executor (src/backends/webgpu/executor.ts) at the time of writing. */
export const EXECUTOR_PLAN_OPTIONS: PlanOptions = { concatViews: false, sliceViews: false, stridedViews: false, reshapeViews: true };

function figures(label: string, graph: Graph, plan: MemoryPlan): PlanFigures {
  const concats = graph.nodes.filter((n) => n.op === 'Concat');
  const elided = concats.filter((n) => plan.elidedNodes.has(n.name)).length;
  return {
    label,
    peakActivationBytes: plan.peakActivationBytes,
    lowerBoundBytes: plan.lowerBoundBytes,
    overBound: plan.lowerBoundBytes > 0 ? plan.peakActivationBytes / plan.lowerBoundBytes - 1 : 0,
    buffers: plan.buffers.length,
    elidedConcats: elided,
    remainingConcats: concats.length - elided,
    views: [...plan.tensors.values()].filter((t) => t.view).length,
  };
}

/** Report for ONNX bytes; `batch` replaces a free (-1) batch dim (default: the declared batch, 1 when free). */
export function planReport(model: string, bytes: Uint8Array, batch?: number): PlanReport {
  return planReportForGraph(model, importOnnx(bytes), batch);
}

export function planReportForGraph(model: string, imported: Graph, batch?: number): PlanReport {
  const graph = optimize(imported);
  const inputShapes: Record<string, number[]> = {};
  for (const i of graph.inputs) {
    if (graph.initializers.has(i.name)) continue;
    inputShapes[i.name] = i.shape.map((d, k) => (k === 0 && batch !== undefined ? batch : d < 0 ? 1 : d));
  }
  // inferShapes throws a GraphError when `batch` conflicts with a static declared batch.
  const shapes: Map<string, ValueInfo> = inferShapes(graph, inputShapes);
  const activations = new Set([...Object.keys(inputShapes), ...graph.nodes.flatMap((n) => n.outputs).filter((o) => o !== '')]);
  let naiveBytes = 0;
  for (const name of activations) {
    const v = shapes.get(name);
    if (v) naiveBytes += sizeOf(v.shape) * bytesPerElement(v.dtype);
  }
  const full = planMemory(graph, shapes);
  const executor = planMemory(graph, shapes, EXECUTOR_PLAN_OPTIONS);
  return {
    model,
    batch: Object.values(inputShapes)[0]?.[0] ?? 1,
    nodes: graph.nodes.length,
    weightBytes: full.weightBytes,
    naiveBytes,
    plans: [figures('all views (concat in place)', graph, full), figures('WebGPU executor options (reshape views only)', graph, executor)],
  };
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(2)} MiB`;

export function formatPlanReport(r: PlanReport): string {
  const lines = [
    `${r.model}, batch ${r.batch}: ${r.nodes} nodes after optimize, weights ${mib(r.weightBytes)}, activations without sharing ${mib(r.naiveBytes)}`,
    '| plan | peak activation | lower bound | peak / bound | buffers | Concats elided / left | views |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const p of r.plans) {
    lines.push(
      `| ${p.label} | ${mib(p.peakActivationBytes)} (${p.peakActivationBytes} B) | ${mib(p.lowerBoundBytes)} (${p.lowerBoundBytes} B) | ` +
        `${(100 * (1 + p.overBound)).toFixed(1)} % | ${p.buffers} | ${p.elidedConcats} / ${p.remainingConcats} | ${p.views} |`,
    );
  }
  return lines.join('\n');
}

function main(argv: string[]): number {
  let target: string | undefined;
  let batch: number | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--batch') {
      batch = Number(argv[++i]);
      if (!Number.isInteger(batch) || batch <= 0) throw new PlanReportArgsError(`--batch needs a positive integer, got '${argv[i] ?? ''}'`);
    } else if (a === '--json') json = true;
    else if (!a.startsWith('-') && target === undefined) target = a;
    else throw new PlanReportArgsError(`unknown argument '${a}' (usage: plan_report.ts MODEL|file.onnx [--batch N] [--json]); --batch only for models with a free batch dim`);
  }
  if (!target) throw new PlanReportArgsError('usage: plan_report.ts MODEL|file.onnx [--batch N] [--json]');
  const path = target.endsWith('.onnx') && existsSync(target) ? target : ensureModel(target, undefined, (s) => process.stderr.write(`${s}\n`)).onnx;
  const report = planReport(target, new Uint8Array(readFileSync(path)), batch);
  console.log(json ? JSON.stringify(report, null, 2) : formatPlanReport(report));
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`plan_report: ${(e as Error).name}: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}
