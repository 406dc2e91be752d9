/**
 * Subgraph plumbing for control flow (If branches, Loop bodies): which outer values a subgraph reads, and copies of
 * a subgraph's nodes with every name moved into the importer's namespace.
 *
 * ONNX subgraphs may read any value of an enclosing scope by name ("implicit inputs"). The importer therefore treats
 * those names as extra inputs of the If / Loop node (for liveness and topological order), and when it inlines a body
 * it renames the body's own values to fresh names and binds its formal inputs to the caller's values; outer
 * references keep their names. Nested subgraphs are renamed with their parent, the inner graph's own names shadowing.
 */
import type { OnnxAttribute, OnnxGraphProto, OnnxNode, OnnxTensorProto } from './decode.js';

/** The subgraphs held in a node's attributes (If: then/else; Loop: body). */
export function subgraphsOf(n: OnnxNode): OnnxGraphProto[] {
  const out: OnnxGraphProto[] = [];
  for (const a of n.attributes) {
    if (a.kind === 'graph') out.push(a.value);
    else if (a.kind === 'graphs') out.push(...a.value);
  }
  return out;
}

/** Names a graph defines itself: its formal inputs, initializers and node outputs. */
export function localNames(g: OnnxGraphProto): Set<string> {
  const names = new Set<string>();
  for (const i of g.inputs) names.add(i.name);
  for (const t of g.initializers) names.add(t.name);
  for (const n of g.nodes) for (const o of n.outputs) if (o !== '') names.add(o);
  return names;
}

/** Outer-scope names a subgraph (and its nested subgraphs) reads, in first-use order. */
export function freeNames(g: OnnxGraphProto): string[] {
  const local = localNames(g);
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (name !== '' && !local.has(name) && !seen.has(name)) seen.add(name);
  };
  for (const n of g.nodes) {
    n.inputs.forEach(visit);
    for (const sub of subgraphsOf(n)) freeNames(sub).forEach(visit);
  }
  for (const o of g.outputs) visit(o.name);
  return [...seen];
}

/** A node's explicit inputs followed by the outer names its subgraphs read. */
export function dependencies(n: OnnxNode): string[] {
  const subs = subgraphsOf(n);
  if (subs.length === 0) return n.inputs;
  return [...n.inputs, ...subs.flatMap(freeNames)];
}

/**
 * A copy of subgraph `g` in which every free name is replaced by `rename(name)` (names `g` defines are kept: they
 * shadow the outer scope). Used for subgraphs nested inside a body being inlined, whose outer references point at
 * that body's renamed values.
 */
export function renameFree(g: OnnxGraphProto, rename: (name: string) => string): OnnxGraphProto {
  const local = localNames(g);
  const map = (name: string) => (name === '' || local.has(name) ? name : rename(name));
  return {
    ...g,
    nodes: g.nodes.map((n) => ({ ...n, inputs: n.inputs.map(map), attributes: n.attributes.map((a) => renameAttr(a, map)) })),
    outputs: g.outputs.map((o) => ({ ...o, name: map(o.name) })),
  };
}

function renameAttr(a: OnnxAttribute, rename: (name: string) => string): OnnxAttribute {
  if (a.kind === 'graph') return { ...a, value: renameFree(a.value, rename) };
  if (a.kind === 'graphs') return { ...a, value: a.value.map((g) => renameFree(g, rename)) };
  return a;
}

/**
 * The nodes of body `g`, renamed: each value the body defines gets `fresh(name)`, formal inputs resolve through
 * `bindings`; outer references keep their names (a nested subgraph's were renamed with its parent). Returns the
 * renamed nodes, the names of the body's outputs, and its initializers under their new names (the caller adds them
 * as constants).
 */
export function instantiate(
  g: OnnxGraphProto,
  bindings: Map<string, string>,
  fresh: (name: string) => string,
): { nodes: OnnxNode[]; outputs: string[]; initializers: { name: string; tensor: OnnxTensorProto }[] } {
  const renamed = new Map(bindings);
  const initializers = g.initializers.map((t) => {
    const name = fresh(t.name);
    renamed.set(t.name, name);
    return { name, tensor: t };
  });
  for (const n of g.nodes) for (const o of n.outputs) if (o !== '' && !renamed.has(o)) renamed.set(o, fresh(o));
  const resolve = (name: string) => (name === '' ? '' : (renamed.get(name) ?? name));
  const nodes = g.nodes.map((n) => ({
    ...n,
    inputs: n.inputs.map(resolve),
    outputs: n.outputs.map((o) => (o === '' ? '' : renamed.get(o)!)),
    attributes: n.attributes.map((a) => renameAttr(a, resolve)),
  }));
  return { nodes, outputs: g.outputs.map((o) => resolve(o.name)), initializers };
}
