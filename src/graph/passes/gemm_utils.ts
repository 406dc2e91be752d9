/**
 * Gemm helpers for the folding passes: Gemm computes Y = alpha * A' B' + beta * C with B' = transB ? B^T : B.
 * Scaling output column n of Y means scaling column n of B' (a row of B when transB = 1) and column n of beta*C.
 */
import { attrFloat, type Graph, type Node, type Tensor } from '../ir.js';
import { f32From, floatConstant } from './graph_utils.js';

/** N (output columns) of a Gemm with constant B. */
export function gemmOutputChannels(b: Tensor, transB: boolean): number {
  return transB ? b.shape[0]! : b.shape[1]!;
}

/** B with output column j multiplied by k[j], as a new f32 tensor. */
export function scaleGemmWeights(b: { tensor: Tensor; values: Float64Array }, transB: boolean, k: Float64Array): Tensor {
  const [r, c] = [b.tensor.shape[0]!, b.tensor.shape[1]!];
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[i * c + j] = b.values[i * c + j]! * k[transB ? i : j]!;
  return f32From(b.tensor.shape, out);
}

/**
 * beta * C expanded to `rows` x N float64 values (rows is 1 unless C has a leading dim > 1, i.e. varies with M),
 * or zeros when C is absent. Undefined when C is present but not a float constant.
 */
export function gemmBiasRows(graph: Graph, gemm: Node, n: number): { rows: number; values: Float64Array } | undefined {
  const cName = gemm.inputs[2] ?? '';
  if (cName === '') return { rows: 1, values: new Float64Array(n) };
  const c = floatConstant(graph, cName);
  if (!c || c.tensor.shape.length > 2) return undefined;
  const beta = attrFloat(gemm, 'beta', 1);
  const shape = [...new Array<number>(2 - c.tensor.shape.length).fill(1), ...c.tensor.shape];
  const [cr, cc] = [shape[0]!, shape[1]!];
  if (cc !== 1 && cc !== n) return undefined;
  const rows = cr;
  const values = new Float64Array(rows * n);
  for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) values[i * n + j] = beta * c.values[i * cc + (cc === 1 ? 0 : j)]!;
  return { rows, values };
}

/** The C initializer for `rows` x N values: [N] when uniform over rows, else [M, N]. */
export function storeGemmBias(rows: number, n: number, values: Float64Array): Tensor {
  return f32From(rows === 1 ? [n] : [rows, n], values);
}
