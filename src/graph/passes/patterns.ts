/**
 * Tiny matcher helpers for the passes that recognise other converters' idioms (fuse_hard_activations.ts,
 * cancel_transposes.ts): a snapshot of who produces and who reads each tensor, "is this intermediate private to the
 * pattern", and "is this operand a one-element constant".
 */
import { sizeOf, tensorToNumbers, type Graph, type Node, type Shape } from '../ir.js';
import { inferShapes } from '../infer.js';
import { graphOutputNames, hasSingleUse, producersOf, usesOf, type Use } from './graph_utils.js';

export interface GraphIndex {
  graph: Graph;
  producers: Map<string, Node>;
  uses: Map<string, Use[]>;
  outputs: Set<string>;
  /** Shape of each value from shape inference; empty when inference failed (callers then stay conservative). */
  shapes: Map<string, Shape>;
}

export function indexGraph(graph: Graph): GraphIndex {
  const shapes = new Map<string, Shape>();
  try {
    for (const [name, info] of inferShapes(graph)) shapes.set(name, info.shape);
  } catch {
    // unknown shapes: constant operands are then only accepted when they are rank 0 (cannot widen anything)
  }
  return { graph, producers: producersOf(graph), uses: usesOf(graph), outputs: graphOutputNames(graph), shapes };
}

/**
 * The producer of `tensor` when it has operator `op` and `tensor` is private to the pattern being matched: read by
 * exactly one node input and not a graph output (so removing the producer changes nothing anybody observes).
 */
export function privateProducer(ix: GraphIndex, tensor: string, ...ops: string[]): Node | undefined {
  const p = ix.producers.get(tensor);
  if (!p || !ops.includes(p.op) || p.outputs.length !== 1) return undefined;
  return hasSingleUse(tensor, ix.uses, ix.outputs) ? p : undefined;
}

/** The value of a one-element float constant, or undefined. */
export function scalarConstant(graph: Graph, name: string): number | undefined {
  const t = name === '' ? undefined : graph.initializers.get(name);
  if (!t || (t.dtype !== 'f32' && t.dtype !== 'f16') || sizeOf(t.shape) !== 1) return undefined;
  return tensorToNumbers(t)[0];
}

/**
 * For a two-input node with a one-element float constant at `constantSlot` (either slot when undefined) that cannot
 * broadcast the other operand `x` to a higher rank: x and the constant's value.
 */
export function scalarOperand(ix: GraphIndex, node: Node, constantSlot?: 0 | 1): { x: string; value: number } | undefined {
  if (node.inputs.length !== 2) return undefined;
  for (const slot of constantSlot === undefined ? ([0, 1] as const) : [constantSlot]) {
    const c = node.inputs[slot]!;
    const value = scalarConstant(ix.graph, c);
    if (value === undefined) continue;
    const x = node.inputs[1 - slot]!;
    const cRank = ix.graph.initializers.get(c)!.shape.length;
    const xRank = ix.shapes.get(x)?.length;
    if (cRank === 0 || (xRank !== undefined && cRank <= xRank)) return { x, value };
  }
  return undefined;
}

/** `scalarOperand`'s x when the constant is one of `values`. */
export function operandWithScalar(ix: GraphIndex, node: Node, values: readonly number[], constantSlot?: 0 | 1): string | undefined {
  if (constantSlot === undefined) return operandWithScalar(ix, node, values, 0) ?? operandWithScalar(ix, node, values, 1);
  const found = scalarOperand(ix, node, constantSlot);
  return found && values.includes(found.value) ? found.x : undefined;
}
