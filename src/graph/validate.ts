/**
 * Structural validation of a graph (names, order, ops) followed by shape inference and a check of the declared
 * output infos; plus `topoSort` for graphs whose nodes come out of order.
 */
import { GraphError, type Graph, type Node, type ValueInfo } from './ir.js';
import { inferShapes } from './infer.js';
import { computeDtype, fmtShape } from './ops/common.js';
import { shapeRules } from './ops/registry.js';

function producers(graph: Graph): Map<string, number> {
  const byOutput = new Map<string, number>();
  graph.nodes.forEach((node, i) => {
    for (const out of node.outputs) if (out !== '' && !byOutput.has(out)) byOutput.set(out, i);
  });
  return byOutput;
}

/**
 * The same graph with nodes in a topological order. Already-ordered graphs keep their order; otherwise each node
 * is placed right after the producers of its inputs (earliest original position first).
 * Throws GraphError naming a node of the cycle when there is one. Unknown input names are ignored here
 * (validateGraph reports them).
 */
export function topoSort(graph: Graph): Graph {
  const byOutput = producers(graph);
  const state = new Array<0 | 1 | 2>(graph.nodes.length).fill(0); // 0 new, 1 on the DFS stack, 2 placed
  const order: Node[] = [];
  for (let root = 0; root < graph.nodes.length; root++) {
    if (state[root] !== 0) continue;
    // Iterative DFS: frames of [node index, next input to look at], so deep graphs cannot overflow the stack.
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const node = graph.nodes[frame[0]]!;
      if (frame[1] < node.inputs.length) {
        const dep = byOutput.get(node.inputs[frame[1]++]!);
        if (dep === undefined || state[dep] === 2) continue;
        if (state[dep] === 1) {
          const cycleStart = stack.findIndex(([i]) => i === dep);
          const names = stack.slice(cycleStart).map(([i]) => `'${graph.nodes[i]!.name}'`);
          const depNode = graph.nodes[dep]!;
          throw new GraphError(`graph has a cycle: ${names.join(' -> ')} -> '${depNode.name}'`, depNode.name, depNode.op);
        }
        state[dep] = 1;
        stack.push([dep, 0]);
      } else {
        state[frame[0]] = 2;
        order.push(node);
        stack.pop();
      }
    }
  }
  return { ...graph, nodes: order };
}

function checkNames(graph: Graph): void {
  const nodeNames = new Set<string>();
  const defined = new Set<string>([...graph.initializers.keys(), ...graph.inputs.map((i) => i.name)]);
  const produced = new Set<string>();
  for (const node of graph.nodes) {
    if (nodeNames.has(node.name)) throw new GraphError(`duplicate node name '${node.name}'`, node.name, node.op);
    nodeNames.add(node.name);
    for (const out of node.outputs) {
      if (out === '') continue;
      if (produced.has(out)) throw new GraphError(`output '${out}' is produced by more than one node`, node.name, node.op);
      if (defined.has(out)) throw new GraphError(`output '${out}' shadows a graph input or initializer`, node.name, node.op);
      produced.add(out);
    }
  }
}

function checkOps(graph: Graph): void {
  for (const node of graph.nodes) {
    if (!Object.hasOwn(shapeRules, node.op)) throw new GraphError(`unknown op '${node.op}' (no shape rule)`, node.name, node.op);
  }
}

function checkOrder(graph: Graph): void {
  const defined = new Set<string>([...graph.initializers.keys(), ...graph.inputs.map((i) => i.name)]);
  const byOutput = producers(graph);
  for (const node of graph.nodes) {
    for (const name of node.inputs) {
      if (name === '' || defined.has(name)) continue;
      const producer = byOutput.get(name);
      if (producer === undefined)
        throw new GraphError(`unknown input '${name}' (not an initializer, graph input or node output)`, node.name, node.op);
      topoSort(graph); // throws when the misorder is really a cycle
      throw new GraphError(
        `nodes are not in topological order: input '${name}' is produced by a later node '${graph.nodes[producer]!.name}' (use topoSort)`,
        node.name,
        node.op,
      );
    }
    for (const out of node.outputs) if (out !== '') defined.add(out);
  }
  for (const out of graph.outputs) {
    if (!defined.has(out.name)) throw new GraphError(`graph output '${out.name}' is not produced by any node, input or initializer`);
  }
}

/**
 * Declared output infos must agree with inference where both are concrete. A declared shape of [] is treated as
 * "not declared" (exporters leave it empty when unknown); -1 dims on either side are not compared.
 */
function checkOutputs(graph: Graph, infos: Map<string, ValueInfo>): void {
  for (const out of graph.outputs) {
    const got = infos.get(out.name)!;
    if (computeDtype(out.dtype) !== computeDtype(got.dtype))
      throw new GraphError(`graph output '${out.name}' is declared ${out.dtype} but inferred ${got.dtype}`);
    if (out.shape.length === 0) continue;
    const mismatch =
      out.shape.length !== got.shape.length || out.shape.some((d, i) => d >= 0 && got.shape[i]! >= 0 && d !== got.shape[i]);
    if (mismatch)
      throw new GraphError(`graph output '${out.name}' is declared ${fmtShape(out.shape)} but inferred ${fmtShape(got.shape)}`);
  }
}

/**
 * Throws GraphError (naming node and op) on: duplicate node names or outputs, unknown op, unknown input, cycles,
 * misordered nodes, missing graph outputs, shape / dtype inconsistencies, and declared outputs that disagree with
 * inference. Returns the inferred infos of every value.
 */
export function validateGraph(graph: Graph): Map<string, ValueInfo> {
  checkNames(graph);
  checkOps(graph);
  checkOrder(graph);
  const infos = inferShapes(graph);
  checkOutputs(graph, infos);
  return infos;
}
