import type { Attrs, DType, Node, Shape, Tensor } from '../../../src/graph/ir.js';
import { shapeRules } from '../../../src/graph/ops/index.js';
import type { InputInfo, OutputInfo } from '../../../src/graph/ops/types.js';

export function info(dtype: DType, shape: Shape, value?: Tensor): InputInfo {
  return value ? { dtype, shape, value } : { dtype, shape };
}

export const f32 = (...shape: number[]): InputInfo => info('f32', shape);

/** Apply the registered shape rule of `op` to a node named `name`. */
export function infer(op: string, inputs: (InputInfo | undefined)[], attrs: Attrs = {}, outputs = 1, name = 'n0'): OutputInfo[] {
  const node: Node = { name, op, inputs: inputs.map((_, i) => `in${i}`), outputs: Array.from({ length: outputs }, (_, i) => `out${i}`), attrs };
  const rule = shapeRules[op];
  if (!rule) throw new Error(`no rule for ${op}`);
  return rule(node, inputs);
}

export function shapeOf(op: string, inputs: (InputInfo | undefined)[], attrs: Attrs = {}): number[] {
  return infer(op, inputs, attrs)[0]!.shape;
}

export function nodeOf(op: string, attrs: Attrs, name = 'n0'): Node {
  return { name, op, inputs: [], outputs: ['y'], attrs };
}
