/**
 * What the fuzzer does with one case: the load path a page runs on an untrusted model file.
 *
 *   read (.tessera) / import (ONNX)  ->  validateGraph  ->  checkGraphLimits  ->  [ONNX: write + re-read .tessera]
 *   -> CpuExecutor.run on a seeded input, only when the whole run is below RUN caps (checked from inferred shapes,
 *      before anything is allocated).
 *
 * Outcome: a correct load, or a typed error. Anything else (TypeError, RangeError, plain Error, stack overflow) is
 * "untyped"; typed errors that only wrap such a failure ("unexpected failure while ...", a kernel TypeError inside an
 * ExecutionError) are counted as "wrapped" so they are visible too.
 */
import { FormatError, readTessera, writeTessera } from '../../src/format/index.js';
import { importOnnx, OnnxImportError, UnsupportedOpsError } from '../../src/import/onnx/index.js';
import { validateGraph } from '../../src/graph/validate.js';
import { graphStats } from '../../src/graph/stats.js';
import { GraphError, allocData, type Graph, type Tensor, type ValueInfo } from '../../src/graph/ir.js';
import { CpuExecutor, ExecutionError, InputError } from '../../src/backends/cpu/index.js';
import { checkGraphLimits, elementCount, LimitError } from '../../src/load/limits.js';
import { Rng } from './rng.js';
import type { FuzzCase } from './mutate.js';

export type Outcome =
  | { kind: 'ok'; ran: boolean }
  | { kind: 'typed'; name: string }
  | { kind: 'wrapped'; name: string; message: string }
  | { kind: 'untyped'; name: string; message: string; stack?: string };

export interface RunCaps {
  /** Sum of the element counts of every value (batch 1) above which the CPU run is skipped. */
  maxElements: number;
  /** Conv/Gemm/MatMul multiply-accumulates above which the CPU run is skipped. */
  maxMacs: number;
  /** Write and re-read every loaded graph as .tessera ('all'), or only imported ONNX graphs ('onnx', cheaper). */
  roundTrip: 'all' | 'onnx';
}

export const TYPED_ERRORS = [UnsupportedOpsError, OnnxImportError, FormatError, GraphError, ExecutionError, InputError, LimitError];

/** Messages that show a typed error is only a wrapper around a crash of the code underneath. */
const WRAPPED_CRASH = /unexpected failure|TypeError|RangeError|ReferenceError|Maximum call stack|Cannot read propert|is not a function|is not iterable|Invalid (typed )?array length|Array buffer allocation|out of memory/;

export function classify(e: unknown): Outcome {
  const typed = TYPED_ERRORS.find((cls) => e instanceof cls);
  if (!typed) {
    const err = e instanceof Error ? e : new Error(String(e));
    return { kind: 'untyped', name: err.constructor?.name ?? err.name, message: err.message, stack: err.stack };
  }
  const err = e as Error;
  const cause = (err as { cause?: unknown }).cause;
  const causeUntyped = cause !== undefined && !TYPED_ERRORS.some((cls) => cause instanceof cls);
  if (causeUntyped || WRAPPED_CRASH.test(err.message)) return { kind: 'wrapped', name: err.name, message: err.message };
  return { kind: 'typed', name: err.name };
}

function inputTensor(info: ValueInfo, rng: Rng): Tensor {
  const shape = info.shape.map((d) => (d < 0 ? 1 : d));
  const data = allocData(info.dtype, elementCount(shape));
  if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) data[i] = rng.next() * 2 - 1;
  else if (data instanceof BigInt64Array) for (let i = 0; i < data.length; i++) data[i] = BigInt(rng.int(3));
  else for (let i = 0; i < data.length; i++) data[i] = rng.int(2);
  return { dtype: info.dtype, shape, data };
}

/** Runs the graph on the CPU when it is cheap enough; returns whether it ran. Throws what the executor throws. */
function maybeRun(graph: Graph, infos: Map<string, ValueInfo>, caps: RunCaps, rng: Rng): boolean {
  let elements = 0;
  for (const info of infos.values()) elements += elementCount(info.shape);
  if (!(elements <= caps.maxElements)) return false;
  if (!(graphStats(graph, infos).totals.macs <= caps.maxMacs)) return false;
  const inputs: Record<string, Tensor> = {};
  for (const info of graph.inputs) if (!graph.initializers.has(info.name)) inputs[info.name] = inputTensor(info, rng);
  const outputs = new CpuExecutor(graph).run(inputs);
  for (const out of graph.outputs) {
    const t = outputs[out.name];
    if (!t || t.data.length !== elementCount(t.shape)) throw new Error(`fuzz: output '${out.name}' is missing or malformed`);
  }
  return true;
}

/** Odd cases read `.tessera` files the way the WebGPU runtime does (f16-stored weights kept as f16 tensors). */
export function loadCase(c: FuzzCase): Graph {
  return c.format === 'tessera' ? readTessera(c.bytes, { keepF16: c.index % 2 === 1 }) : importOnnx(c.bytes);
}

export function runCase(c: FuzzCase, caps: RunCaps): Outcome {
  try {
    const graph = loadCase(c);
    const infos = validateGraph(graph);
    checkGraphLimits(graph, infos);
    if (c.bytes.length < 4_000_000 && (caps.roundTrip === 'all' || c.format === 'onnx')) {
      // The converter path: a loaded graph must write and re-read as .tessera.
      const again = readTessera(writeTessera(graph));
      validateGraph(again);
    }
    const ran = maybeRun(graph, infos, caps, new Rng(c.index));
    return { kind: 'ok', ran };
  } catch (e) {
    return classify(e);
  }
}
