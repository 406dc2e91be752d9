/**
 * Documented caps on what a model file can make Tessera allocate or compute while it is loaded (docs/security.md).
 *
 * Model files come from the network and are hostile until proven otherwise. Every size that a file controls (a
 * tensor's dims, a node count, an attribute list, a constant that the importer folds, an activation the CPU
 * executor is about to allocate) is checked against these numbers BEFORE anything is allocated from it, so a
 * 100-byte file can never ask for gigabytes.
 *
 * Who enforces what:
 * - `.tessera` reader (src/format/header.ts): file bytes, header bytes, rank, dims, tensor elements, node count,
 *   attribute list lengths. It reports violations as FormatError (its documented contract: one error type).
 * - ONNX importer (src/import/onnx): the same caps on the decoded protobuf, plus the folding caps; LimitError.
 * - `checkGraphLimits` (here): node count, initializers, attributes and, given shape inference results, every
 *   value's rank and element count; LimitError. Run it after `validateGraph` on any untrusted graph.
 * - CPU executor (src/backends/cpu): the output of every node, before its kernel allocates it; LimitError.
 */
import {
  DEFAULT_MAX_FILE_BYTES,
  MAX_HEADER_BYTES,
  MAX_RANK as FORMAT_MAX_RANK,
  MAX_TENSOR_ELEMENTS as FORMAT_MAX_TENSOR_ELEMENTS,
} from '../format/constants.js';
import type { Graph, Shape, ValueInfo } from '../graph/ir.js';

export const LIMITS = {
  /** Largest model file accepted by the reader and the importer (the reader's `maxBytes` default). */
  maxFileBytes: DEFAULT_MAX_FILE_BYTES,
  /** Largest `.tessera` JSON header. */
  maxHeaderBytes: MAX_HEADER_BYTES,
  /** Largest rank of any tensor, graph input/output or inferred value. */
  maxRank: FORMAT_MAX_RANK,
  /** Largest single dim (fits an i32, which is what reaches GPU uniforms). */
  maxDim: 2 ** 31 - 1,
  /** Largest element count of one stored tensor (weights; also bounded by the file size). */
  maxTensorElements: FORMAT_MAX_TENSOR_ELEMENTS,
  /** Largest element count of one computed value (activation) at the shapes it is run with: 1 GiB of f32. */
  maxValueElements: 2 ** 28,
  /** Most nodes in one graph. */
  maxNodes: 65_536,
  /** Longest numeric/string list in one node attribute (Constant values excepted: they are tensor data). */
  maxAttrValues: 4096,
  /** Deepest nesting of a free-form `.tessera` metadata value (deeper JSON cannot be re-serialised or cloned). */
  maxMetadataDepth: 64,
  /** Largest constant the ONNX importer will create by folding a node at load time. */
  maxFoldElements: 2 ** 24,
  /** Most multiply-accumulates (Conv/Gemm/MatMul) the importer spends folding one node at load time. */
  maxFoldMacs: 2 ** 26,
} as const;

export type LimitName = keyof typeof LIMITS;

/** A model (or an input) asks for more than a documented limit allows. Says which limit, the value and where. */
export class LimitError extends Error {
  override name = 'LimitError';
  constructor(
    readonly limit: LimitName,
    readonly value: number,
    readonly where?: string,
    detail?: string,
  ) {
    const shown = Number.isNaN(value) ? 'NaN' : Number.isFinite(value) ? value : 'beyond 2^53';
    const what = `${detail ?? limit} is ${shown}; the limit is ${LIMITS[limit]} (${limit})`;
    super(where !== undefined ? `${where}: ${what}` : what);
  }
}

/** Throws LimitError when `value` exceeds `LIMITS[limit]`. */
export function checkLimit(limit: LimitName, value: number, where?: string, detail?: string): void {
  if (!(value <= LIMITS[limit])) throw new LimitError(limit, value, where, detail);
}

/**
 * Element count of a shape with unknown dims (-1) counted as 1. Saturates at Infinity instead of losing precision, so
 * comparing the result with a limit is always exact.
 */
export function elementCount(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    const k = d < 0 ? 1 : d;
    if (k === 0) return 0;
    n *= k;
  }
  return Number.isSafeInteger(n) ? n : Infinity;
}

/** Rank, every dim and the element count of a shape against the caps (`maxElements` defaults to maxTensorElements). */
export function checkShapeLimits(shape: Shape, where: string, elements: LimitName = 'maxTensorElements'): void {
  checkLimit('maxRank', shape.length, where, 'rank');
  for (const d of shape) checkLimit('maxDim', d, where, 'a dim');
  checkLimit(elements, elementCount(shape), where, 'element count');
}

/**
 * Static caps of a whole graph: node count, initializer shapes, attribute list lengths and, when `infos` (the result
 * of `validateGraph` / `inferShapes`) is given, the rank and element count of every value. Throws LimitError.
 */
export function checkGraphLimits(graph: Graph, infos?: Map<string, ValueInfo>): void {
  checkLimit('maxNodes', graph.nodes.length, 'graph', 'node count');
  for (const [name, t] of graph.initializers) checkShapeLimits(t.shape, `initializer '${name}'`);
  for (const node of graph.nodes) {
    for (const [key, v] of Object.entries(node.attrs)) {
      if (Array.isArray(v)) checkLimit('maxAttrValues', v.length, `${node.op} node '${node.name}' attribute '${key}'`, 'list length');
      else if (typeof v === 'object' && v !== null) checkShapeLimits(v.shape, `${node.op} node '${node.name}' attribute '${key}'`);
    }
  }
  for (const v of graph.inputs) checkShapeLimits(v.shape, `graph input '${v.name}'`, 'maxValueElements');
  if (!infos) return;
  for (const [name, info] of infos) {
    if (graph.initializers.has(name)) continue;
    checkShapeLimits(info.shape, `value '${name}'`, 'maxValueElements');
  }
}
