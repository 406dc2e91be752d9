/**
 * Shared by tests/zoo/cpu.test.ts and tools/zoo/check_cpu.ts: loading an exported zoo case (model.onnx, input.npy,
 * output.npy, meta.json written by tools/zoo/export_all.py), running a graph on the CPU reference, relative L2.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CpuExecutor } from '../../src/backends/cpu/index.js';
import type { Graph, Tensor } from '../../src/graph/ir.js';
import { readNpy } from '../../src/io/npy.js';
import { relativeL2 as relativeL2Of } from '../../src/util/relative_l2.js';

export const CASE_FILES = ['model.onnx', 'input.npy', 'output.npy'] as const;

export interface ZooMeta {
  name: string;
  family?: string;
  paper?: string;
  configuration?: string;
  params?: number;
  reduced?: string;
  [key: string]: unknown;
}

export interface ZooCase {
  name: string;
  dir: string;
  modelBytes: Uint8Array;
  input: Tensor;
  expected: Tensor;
  meta: ZooMeta;
}

/** A zoo case folder is incomplete (a partial export or a stale checkout). */
export class ZooCaseError extends Error {
  override name = 'ZooCaseError';
}

export function isCaseDir(dir: string): boolean {
  return CASE_FILES.every((f) => existsSync(join(dir, f)));
}

/** Sub-folders of `root` that hold a complete case, sorted by name. */
export function caseDirs(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && isCaseDir(join(root, e.name)))
    .map((e) => join(root, e.name))
    .sort();
}

export function loadCase(dir: string, name = dir.split(/[\\/]/).filter(Boolean).at(-1)!): ZooCase {
  const missing = CASE_FILES.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) throw new ZooCaseError(`${dir}: missing ${missing.join(', ')}`);
  const metaPath = join(dir, 'meta.json');
  const meta: ZooMeta = existsSync(metaPath) ? (JSON.parse(readFileSync(metaPath, 'utf8')) as ZooMeta) : { name };
  return {
    name,
    dir,
    modelBytes: new Uint8Array(readFileSync(join(dir, 'model.onnx'))),
    input: readNpy(new Uint8Array(readFileSync(join(dir, 'input.npy'))), `${name}/input.npy`),
    expected: readNpy(new Uint8Array(readFileSync(join(dir, 'output.npy'))), `${name}/output.npy`),
    meta,
  };
}

/** Runs a single-input, single-output graph on the CPU reference executor. */
export function runOnCpu(graph: Graph, input: Tensor): Tensor {
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1)
    throw new ZooCaseError(`expected 1 input and 1 output, graph has ${graph.inputs.length} and ${graph.outputs.length}`);
  const result = new CpuExecutor(graph).run({ [graph.inputs[0]!.name]: input });
  return result[graph.outputs[0]!.name]!;
}

/** ||actual - expected||_2 / ||expected||_2 in float64 (src/util/relative_l2.ts); Infinity when the shapes disagree. */
export function relativeL2(actual: Tensor, expected: Tensor): number {
  if (actual.shape.join(',') !== expected.shape.join(',')) return Infinity;
  return relativeL2Of(actual.data as ArrayLike<number>, expected.data as ArrayLike<number>);
}
