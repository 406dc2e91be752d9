/**
 * Alias decisions of the memory planner: which tensors are views of others (see types.ts for the vocabulary).
 *
 * 1. Concats, last to first. A Concat input X becomes a view of the concat output Y (its producer writes straight
 *    into Y's slice) when X is an ordinary activation used once by this concat, produced by a node that can write
 *    into a slice, and not yet placed elsewhere. Processing last to first means Y's own placement is final
 *    before its inputs are placed, so chains (DenseNet written as x = concat(x, f(x))) resolve into the last,
 *    largest concat. When every input of a Concat is already in the right place (torchvision DenseNet:
 *    concat(x0..xk) for every k, each a channel prefix of the block's final concat), the Concat becomes a view too.
 * 2. Forward: reshape-like ops alias their (contiguous) input; Slice with step 1 and Split outputs are offsets into
 *    their input.
 */
import { attrInt, stridesOf, type Graph, type Node, type Shape, type ValueInfo } from '../graph/ir.js';
import { normalizeSlice } from '../graph/ops/shape_ops.js';
import type { PlanOptions, ViewKind } from './types.js';

/** Ops that, by default, may write their output into a channel slice of a larger tensor. */
export const DEFAULT_SLICE_WRITERS: ReadonlySet<string> = new Set([
  'Conv',
  'FusedConv',
  'BatchNormalization',
  'FusedBatchNorm',
  'Relu',
  'Clip',
  'LeakyRelu',
  'HardSwish',
  'HardSigmoid',
  'Sigmoid',
  'Tanh',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'MaxPool',
  'AveragePool',
  'Concat',
]);

export const RESHAPE_OPS: ReadonlySet<string> = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);

/** Where a tensor's elements are, relative to a root tensor. */
export interface Location {
  root: string;
  elementOffset: number;
  strides: number[];
}

export interface ViewEntry {
  kind: ViewKind;
  parent: string;
  loc: Location;
}

export interface ViewDecisions {
  views: Map<string, ViewEntry>;
  elided: Set<string>;
  concatInPlace: Map<string, boolean[]>;
}

export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  const dense = stridesOf(shape);
  return shape.every((d, i) => d <= 1 || strides[i] === dense[i]);
}

function sameLocation(a: Location, b: Location, shape: Shape): boolean {
  return a.root === b.root && a.elementOffset === b.elementOffset && shape.every((d, i) => d <= 1 || a.strides[i] === b.strides[i]);
}

export function decideViews(graph: Graph, shapes: Map<string, ValueInfo>, options: PlanOptions): ViewDecisions {
  const views = new Map<string, ViewEntry>();
  const elided = new Set<string>();
  const concatInPlace = new Map<string, boolean[]>();
  const shapeOf = (t: string): Shape => shapes.get(t)!.shape;
  const resolve = (t: string): Location => views.get(t)?.loc ?? { root: t, elementOffset: 0, strides: stridesOf(shapeOf(t)) };
  const allowed = (shape: Shape, loc: Location): boolean => (options.stridedViews ?? true) || isContiguous(shape, loc.strides);

  const graphInputs = new Set(graph.inputs.map((i) => i.name));
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const producer = new Map<string, Node>();
  const useCount = new Map<string, number>();
  for (const node of graph.nodes) {
    for (const o of node.outputs) if (o !== '') producer.set(o, node);
    for (const i of node.inputs) if (i !== '') useCount.set(i, (useCount.get(i) ?? 0) + 1);
  }
  const isActivation = (t: string): boolean => !graph.initializers.has(t) && shapes.has(t) && shapes.get(t)!.dtype !== 'binary';
  const canWrite = options.canWriteSlice ?? ((node: Node) => DEFAULT_SLICE_WRITERS.has(node.op));

  // 1. Concats, last to first.
  if (options.concatViews ?? true) {
    for (let n = graph.nodes.length - 1; n >= 0; n--) {
      const node = graph.nodes[n]!;
      if (node.op !== 'Concat' || node.outputs.length !== 1) continue;
      const y = node.outputs[0]!;
      const inputs = node.inputs;
      if (!isActivation(y) || inputs.some((i) => i === '' || !isActivation(i))) continue;
      const rank = shapeOf(y).length;
      const rawAxis = attrInt(node, 'axis');
      const axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
      const starts: number[] = [];
      let acc = 0;
      for (const i of inputs) {
        starts.push(acc);
        acc += shapeOf(i)[axis]!;
      }
      const duplicated = (t: string) => inputs.indexOf(t) !== inputs.lastIndexOf(t);

      // Every input already placed consecutively inside one root: the concat itself is a view there.
      if (!views.has(y) && !graphOutputs.has(y) && inputs.every((i) => views.has(i))) {
        const first = resolve(inputs[0]!);
        const loc: Location = { root: first.root, elementOffset: first.elementOffset - starts[0]! * first.strides[axis]!, strides: first.strides };
        const consistent = inputs.every((t, k) =>
          sameLocation(resolve(t), { ...loc, elementOffset: loc.elementOffset + starts[k]! * loc.strides[axis]! }, shapeOf(t)),
        );
        if (consistent && loc.elementOffset >= 0 && allowed(shapeOf(y), loc)) {
          views.set(y, { kind: 'concat', parent: first.root, loc });
          elided.add(node.name);
          continue;
        }
      }

      const yLoc = resolve(y);
      const inPlace = inputs.map((x, k): boolean => {
        const target: Location = { root: yLoc.root, elementOffset: yLoc.elementOffset + starts[k]! * yLoc.strides[axis]!, strides: yLoc.strides };
        if (views.has(x)) return sameLocation(resolve(x), target, shapeOf(x));
        const p = producer.get(x);
        const eligible =
          p !== undefined &&
          !graphInputs.has(x) &&
          !graphOutputs.has(x) &&
          !duplicated(x) &&
          useCount.get(x) !== undefined &&
          allowed(shapeOf(x), target) &&
          canWrite(p, isContiguous(shapeOf(x), target.strides));
        if (eligible) views.set(x, { kind: 'concat', parent: y, loc: target });
        return eligible;
      });
      if (inPlace.every(Boolean)) elided.add(node.name);
      else if (inPlace.some(Boolean)) concatInPlace.set(node.name, inPlace);
    }
  }

  // 2. Forward: reshape-like, Slice and Split views.
  for (const node of graph.nodes) {
    const x = node.inputs[0] ?? '';
    if (x === '' || !isActivation(x) || node.outputs.some((o) => o !== '' && (views.has(o) || graphInputs.has(o)))) continue;
    const xLoc = resolve(x);
    if ((options.reshapeViews ?? true) && RESHAPE_OPS.has(node.op)) {
      const y = node.outputs[0]!;
      if (node.outputs.filter((o) => o !== '').length !== 1 || !isActivation(y) || !isContiguous(shapeOf(x), xLoc.strides)) continue;
      if (shapes.get(y)!.dtype !== shapes.get(x)!.dtype) continue;
      views.set(y, { kind: 'reshape', parent: x, loc: { root: xLoc.root, elementOffset: xLoc.elementOffset, strides: stridesOf(shapeOf(y)) } });
      elided.add(node.name);
    } else if ((options.sliceViews ?? true) && node.op === 'Slice') {
      const y = node.outputs[0]!;
      if (!isActivation(y)) continue;
      const s = normalizeSlice(shapeOf(x), node.attrs);
      if (s.steps.some((st) => st !== 1)) continue;
      const loc: Location = {
        root: xLoc.root,
        elementOffset: xLoc.elementOffset + s.starts.reduce((sum, st, a) => sum + st * xLoc.strides[a]!, 0),
        strides: xLoc.strides,
      };
      if (!allowed(shapeOf(y), loc)) continue;
      views.set(y, { kind: 'slice', parent: x, loc });
      elided.add(node.name);
    } else if ((options.sliceViews ?? true) && node.op === 'Split') {
      const outs = node.outputs;
      const rank = shapeOf(x).length;
      const rawAxis = attrInt(node, 'axis', 0);
      const axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
      if (outs.some((o) => o === '' || !isActivation(o))) continue;
      let start = 0;
      const locs: Location[] = [];
      for (const o of outs) {
        locs.push({ root: xLoc.root, elementOffset: xLoc.elementOffset + start * xLoc.strides[axis]!, strides: xLoc.strides });
        start += shapeOf(o)[axis]!;
      }
      if (!outs.every((o, k) => allowed(shapeOf(o), locs[k]!))) continue;
      outs.forEach((o, k) => views.set(o, { kind: 'split', parent: x, loc: locs[k]! }));
      elided.add(node.name);
    }
  }
  return { views, elided, concatInPlace };
}
