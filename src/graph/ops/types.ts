import type { DType, Node, Shape, Tensor } from '../ir.js';

/** What a shape rule knows about one input: its dtype and shape, and its value when it is a constant. */
export interface InputInfo {
  dtype: DType;
  shape: Shape;
  /** Present when the input is an initializer / folded constant. */
  value?: Tensor;
}

export interface OutputInfo {
  dtype: DType;
  shape: number[];
}

/**
 * Shape rule of one op: output dtypes and shapes from input infos (absent optional inputs are `undefined`).
 * Throws GraphError naming the node on any inconsistency (rank, channel count, broadcasting...).
 */
export type ShapeRule = (node: Node, inputs: (InputInfo | undefined)[]) => OutputInfo[];
