/**
 * Shape inference: walks the (topologically ordered) nodes and applies each op's shape rule.
 * Initializers are known values (their tensor is passed to rules as `value`); graph inputs may carry -1 dims,
 * which `inputShapes` can pin (e.g. the batch size).
 */
import { GraphError, type Graph, type Node, type ValueInfo } from './ir.js';
import { fmtShape } from './ops/common.js';
import { shapeRules } from './ops/registry.js';
import type { InputInfo, OutputInfo } from './ops/types.js';

function resolveInputShape(input: ValueInfo, override: number[] | undefined): number[] {
  if (!override) return [...input.shape];
  if (override.length !== input.shape.length)
    throw new GraphError(`inputShapes['${input.name}'] ${fmtShape(override)} has rank ${override.length}, graph input has shape ${fmtShape(input.shape)}`);
  override.forEach((d, i) => {
    const declared = input.shape[i]!;
    if (!Number.isInteger(d) || d < 0) throw new GraphError(`inputShapes['${input.name}'] ${fmtShape(override)} must hold non-negative integers`);
    if (declared >= 0 && declared !== d)
      throw new GraphError(`inputShapes['${input.name}'] ${fmtShape(override)} conflicts with the declared shape ${fmtShape(input.shape)} at axis ${i}`);
  });
  return [...override];
}

/** Apply one node's rule, turning any failure into a GraphError that names the node and op. */
export function inferNode(node: Node, inputs: (InputInfo | undefined)[]): OutputInfo[] {
  // Own properties only: an op named 'constructor' or '__proto__' must not find Object.prototype's members.
  const rule = Object.hasOwn(shapeRules, node.op) ? shapeRules[node.op] : undefined;
  if (!rule) throw new GraphError(`unknown op '${node.op}' (no shape rule)`, node.name, node.op);
  let outs: OutputInfo[];
  try {
    outs = rule(node, inputs);
  } catch (e) {
    if (e instanceof GraphError && e.nodeName !== undefined) throw e;
    throw new GraphError(e instanceof Error ? e.message : String(e), node.name, node.op);
  }
  node.outputs.forEach((name, i) => {
    if (name !== '' && outs[i] === undefined)
      throw new GraphError(`has ${node.outputs.length} outputs but the op produces ${outs.length}`, node.name, node.op);
  });
  return outs;
}

/**
 * ValueInfo of every value of the graph: initializers, graph inputs and node outputs.
 * Throws GraphError for an unknown input name or a rule failure (naming node and op).
 */
/**
 * inferShapes for graph passes: undefined where a shape rule throws, so a pass that needs shapes to prove a pattern
 * leaves the graph as it is instead of failing (the session reports the bad node later, with its name).
 */
export function tryInferShapes(graph: Graph): Map<string, ValueInfo> | undefined {
  try {
    return inferShapes(graph);
  } catch {
    return undefined;
  }
}

export function inferShapes(graph: Graph, inputShapes?: Record<string, number[]>): Map<string, ValueInfo> {
  const infos = new Map<string, ValueInfo>();
  for (const [name, t] of graph.initializers) infos.set(name, { name, dtype: t.dtype, shape: [...t.shape] });
  for (const input of graph.inputs) {
    // Old ONNX models also list initializers as inputs; the initializer wins.
    if (graph.initializers.has(input.name)) continue;
    infos.set(input.name, { name: input.name, dtype: input.dtype, shape: resolveInputShape(input, inputShapes?.[input.name]) });
  }
  for (const name of Object.keys(inputShapes ?? {})) {
    if (!graph.inputs.some((i) => i.name === name)) throw new GraphError(`inputShapes names '${name}', which is not a graph input`);
  }
  for (const node of graph.nodes) {
    const inputs = node.inputs.map((name): InputInfo | undefined => {
      if (name === '') return undefined;
      const info = infos.get(name);
      if (!info) throw new GraphError(`unknown input '${name}' (not an initializer, graph input or earlier node output)`, node.name, node.op);
      const value = graph.initializers.get(name);
      return value ? { dtype: info.dtype, shape: info.shape, value } : { dtype: info.dtype, shape: info.shape };
    });
    const outs = inferNode(node, inputs);
    node.outputs.forEach((name, i) => {
      if (name !== '') infos.set(name, { name, dtype: outs[i]!.dtype, shape: outs[i]!.shape });
    });
  }
  return infos;
}
