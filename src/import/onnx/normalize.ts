/**
 * Per-op normalisation of ONNX nodes (any opset 1..18) to Tessera's canonical form (docs/ir.md): constant inputs
 * become attributes, legacy attributes are dropped or translated, opset-dependent semantics are rewritten.
 * Each normaliser hands one or more canonical nodes to `ctx.add`, which folds or emits them.
 */
import { tensorToNumbers, type Attrs, type Node, type Tensor } from '../../graph/ir.js';
import { nodeWhere, type ImportContext } from './context.js';
import { OnnxImportError } from './errors.js';
import { OnnxDataType } from './schema.js';
import { resolveReshapeTarget } from './symbolic.js';
import { dtypeOfOnnx } from './tensor.js';
import { resizeNormalizers } from './normalize_resize.js';
import { constInput, fail } from './node_inputs.js';
import { lowerEinsum } from './einsum.js';
import { CONTROL_FLOW_OPS } from './control_flow.js';
import { SEQUENCE_OPS } from './sequences.js';

/** ONNX ops the importer accepts (default domain): the canonical ops of docs/ir.md plus import-only ones. */
export const SUPPORTED_OPS: ReadonlySet<string> = new Set([
  'Conv', 'BatchNormalization', 'Relu', 'Sigmoid', 'Tanh', 'Sign', 'HardSwish', 'Identity', 'Neg', 'Abs', 'Exp',
  'Sqrt', 'Floor', 'Ceil', 'Reciprocal', 'LeakyRelu', 'HardSigmoid', 'Clip', 'Dropout', 'Add', 'Sub', 'Mul', 'Div',
  'Pow', 'Equal', 'Less', 'Greater', 'Min', 'Max', 'Sum', 'Mean', 'Concat', 'Split', 'Slice', 'Pad', 'Reshape',
  'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Expand', 'MaxPool', 'AveragePool', 'GlobalAveragePool',
  'GlobalMaxPool', 'ReduceMean', 'ReduceMax', 'ReduceSum', 'Gemm', 'MatMul', 'Softmax', 'Shape', 'Gather', 'Cast',
  'ConstantOfShape', 'Range', 'Where',
  'Mod', 'Not', 'And', 'Or', 'Xor', 'LessOrEqual', 'GreaterOrEqual', 'ScatterND', 'CumSum', // graph/ops/logic.ts
  'ConvTranspose', 'LayerNormalization', 'Erf', 'Gelu',
  'Einsum', // einsum.ts: lowered to Transpose / Reshape / MatMul / ReduceSum
  'Tile', // lowered to Reshape / Expand / Reshape
  'Resize', 'Upsample', 'DepthToSpace', 'SpaceToDepth', // normalize_resize.ts; Upsample becomes Resize
  // Import-only: becomes an initializer.
  'Constant',
  ...CONTROL_FLOW_OPS, // control_flow.ts: If inlined, Loop unrolled
  ...SEQUENCE_OPS, // sequences.ts: lists of tensors at import
]);

/** Attributes from old opsets that carry no meaning for inference; dropped from every node. */
const LEGACY_ATTRS = ['consumed_inputs', 'is_test'];

const BINARY_OPS_WITH_LEGACY_BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Equal', 'Less', 'Greater', 'And', 'Or', 'Xor']);

type Normalizer = (ctx: ImportContext, n: Node) => void;

// ---------------------------------------------------------------------------------------------------------------
// helpers

function canonical(n: Node, inputs: string[], attrs: Attrs, outputs: string[] = n.outputs): Node {
  return { name: n.name, op: n.op, inputs, outputs, attrs };
}

function constInts(ctx: ImportContext, n: Node, i: number, what: string): number[] | undefined {
  const t = constInput(ctx, n, i, what);
  if (!t) return undefined;
  if (t.dtype === 'f32' || t.dtype === 'f16') fail(n, `input ${i} (${what}) must be an integer tensor, got ${t.dtype}`);
  return tensorToNumbers(t);
}

function constScalar(ctx: ImportContext, n: Node, i: number, what: string): number | undefined {
  const t = constInput(ctx, n, i, what);
  if (!t) return undefined;
  const v = tensorToNumbers(t);
  if (v.length !== 1) fail(n, `input ${i} (${what}) must be a scalar, got shape [${t.shape.join(', ')}]`);
  return v[0];
}

function intsAttr(n: Node, key: string): number[] | undefined {
  const v = n.attrs[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) fail(n, `attribute '${key}' must be a list of integers`);
  return v as number[];
}

function numAttr(n: Node, key: string): number | undefined {
  const v = n.attrs[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number') fail(n, `attribute '${key}' must be a number`);
  return v;
}

function without(attrs: Attrs, ...keys: string[]): Attrs {
  const out: Attrs = { ...attrs };
  for (const k of keys) delete out[k];
  return out;
}

/** Outputs from index `keep` on must be unused: they are dropped (e.g. Dropout's mask, MaxPool's Indices). */
function dropTrailingOutputs(ctx: ImportContext, n: Node, keep: number, what: string): string[] {
  n.outputs.slice(keep).forEach((o) => {
    if (o !== '' && ctx.isUsed(o)) fail(n, `output '${o}' (${what}) is used by the model but is not supported`);
  });
  return n.outputs.slice(0, keep);
}

// ---------------------------------------------------------------------------------------------------------------
// normalisers

const passThrough: Normalizer = (ctx, n) => ctx.add(n);

/** Opset < 7 `broadcast=1, axis=k`: B's dims align with A's starting at k. Append 1s to B so numpy rules agree. */
const legacyBroadcast: Normalizer = (ctx, n) => {
  const broadcast = numAttr(n, 'broadcast') ?? 0;
  const attrs = without(n.attrs, 'broadcast', 'axis');
  if (broadcast === 0 || ctx.opset >= 7) return ctx.add(canonical(n, n.inputs, attrs));
  const [a = '', b = ''] = n.inputs;
  const rankA = ctx.requireShape(a, n, 'input A').length;
  const shapeB = ctx.requireShape(b, n, 'input B');
  const axisAttr = numAttr(n, 'axis');
  const axis = axisAttr === undefined ? rankA - shapeB.length : axisAttr < 0 ? axisAttr + rankA : axisAttr;
  if (!Number.isInteger(axis) || axis < 0 || axis + shapeB.length > rankA)
    fail(n, `legacy broadcast: B of shape [${shapeB.join(', ')}] does not fit A (rank ${rankA}) at axis ${axis}`);
  const trailing = rankA - axis - shapeB.length;
  if (trailing === 0) return ctx.add(canonical(n, n.inputs, attrs));
  const aligned = [...shapeB, ...new Array<number>(trailing).fill(1)];
  const bConst = ctx.constant(b);
  const alignedName = ctx.freshTensorName(`${b}_aligned`);
  if (bConst) {
    ctx.addConstant(alignedName, { dtype: bConst.dtype, shape: aligned, data: bConst.data });
  } else {
    const axes = aligned.map((_, i) => i).slice(shapeB.length);
    ctx.add({ name: ctx.freshNodeName(`${n.name}_align`), op: 'Unsqueeze', inputs: [b], outputs: [alignedName], attrs: { axes } });
  }
  ctx.add(canonical(n, [a, alignedName], attrs));
};

const reshape: Normalizer = (ctx, n) => {
  const allowzero = numAttr(n, 'allowzero') ?? 0;
  const attrs: Attrs = allowzero ? { allowzero } : {};
  const x = n.inputs[0] ?? '';
  if (ctx.opset < 5) {
    const shape = intsAttr(n, 'shape');
    if (!shape) fail(n, "missing attribute 'shape'");
    return ctx.add(canonical(n, [x], { ...attrs, shape }));
  }
  const shapeName = n.inputs[1] ?? '';
  if (shapeName === '') fail(n, 'missing input 1 (shape)');
  if (!ctx.constant(shapeName)) {
    const sym = ctx.sym(shapeName);
    const resolved = sym && !sym.scalar ? resolveReshapeTarget(x, sym, allowzero !== 0) : undefined;
    if (resolved) {
      ctx.notes.push(`Reshape '${n.name}': target depends on dynamic dims, rewritten as [${resolved.join(', ')}]`);
      return ctx.add(canonical(n, [x], { ...attrs, shape: resolved }));
    }
  }
  const shape = constInts(ctx, n, 1, 'shape')!;
  ctx.add(canonical(n, [x], { ...attrs, shape }));
};

const slice: Normalizer = (ctx, n) => {
  let starts: number[] | undefined;
  let ends: number[] | undefined;
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (ctx.opset < 10) {
    starts = intsAttr(n, 'starts');
    ends = intsAttr(n, 'ends');
    axes = intsAttr(n, 'axes');
  } else {
    starts = constInts(ctx, n, 1, 'starts');
    ends = constInts(ctx, n, 2, 'ends');
    axes = constInts(ctx, n, 3, 'axes');
    steps = constInts(ctx, n, 4, 'steps');
  }
  if (!starts || !ends) fail(n, 'missing starts/ends');
  if (starts.length !== ends.length) fail(n, `starts (${starts.length}) and ends (${ends.length}) differ in length`);
  axes ??= starts.map((_, i) => i);
  steps ??= starts.map(() => 1);
  ctx.add(canonical(n, [n.inputs[0]!], { starts, ends, axes, steps }));
};

const pad: Normalizer = (ctx, n) => {
  const mode = (n.attrs['mode'] as string | undefined) ?? 'constant';
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge') fail(n, `unsupported pad mode '${mode}'`);
  let pads: number[] | undefined;
  let value = 0;
  if (ctx.opset < 11) {
    pads = intsAttr(n, 'pads') ?? intsAttr(n, 'paddings');
    value = numAttr(n, 'value') ?? 0;
  } else {
    pads = constInts(ctx, n, 1, 'pads');
    value = constScalar(ctx, n, 2, 'constant_value') ?? 0;
    const axes = constInts(ctx, n, 3, 'axes');
    if (axes && pads) {
      // Opset 18: pads only for the listed axes; expand to every axis.
      const rank = ctx.requireShape(n.inputs[0]!, n, 'input').length;
      if (pads.length !== 2 * axes.length) fail(n, `pads has ${pads.length} values for ${axes.length} axes`);
      const full = new Array<number>(2 * rank).fill(0);
      axes.forEach((a, i) => {
        const ax = a < 0 ? a + rank : a;
        if (ax < 0 || ax >= rank) fail(n, `axis ${a} out of range for rank ${rank}`);
        full[ax] = pads![i]!;
        full[ax + rank] = pads![i + axes.length]!;
      });
      pads = full;
    }
  }
  if (!pads) fail(n, 'missing pads');
  ctx.add(canonical(n, [n.inputs[0]!], { pads, mode, value }));
};

const clip: Normalizer = (ctx, n) => {
  let min: number | undefined;
  let max: number | undefined;
  if (ctx.opset < 11) {
    min = numAttr(n, 'min');
    max = numAttr(n, 'max');
  } else {
    min = constScalar(ctx, n, 1, 'min');
    max = constScalar(ctx, n, 2, 'max');
  }
  ctx.add(canonical(n, [n.inputs[0]!], { min: min ?? -Infinity, max: max ?? Infinity }));
};

const split: Normalizer = (ctx, n) => {
  const axis = numAttr(n, 'axis') ?? 0;
  let sizes = ctx.opset < 13 ? intsAttr(n, 'split') : undefined;
  if (!sizes && (ctx.opset >= 13 || ctx.opset === 1)) sizes = constInts(ctx, n, 1, 'split');
  if (!sizes) {
    const shape = ctx.requireShape(n.inputs[0]!, n, 'input');
    const ax = axis < 0 ? axis + shape.length : axis;
    const dim = shape[ax];
    if (dim === undefined) fail(n, `axis ${axis} out of range for rank ${shape.length}`);
    if (dim < 0) fail(n, `cannot split dynamic dim ${ax} without explicit sizes`);
    const parts = n.outputs.length;
    const numOutputs = numAttr(n, 'num_outputs');
    if (numOutputs !== undefined) {
      // Opset 18: chunks of ceil(dim / n), the last one smaller.
      const chunk = Math.ceil(dim / numOutputs);
      sizes = Array.from({ length: numOutputs }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
    } else {
      if (dim % parts !== 0) fail(n, `dim ${dim} does not split evenly into ${parts} outputs`);
      sizes = new Array<number>(parts).fill(dim / parts);
    }
  }
  if (sizes.length !== n.outputs.length) fail(n, `${sizes.length} split sizes for ${n.outputs.length} outputs`);
  ctx.add(canonical(n, [n.inputs[0]!], { axis, split: sizes }));
};

/** Squeeze / Unsqueeze: axes attribute before opset 13, input from 13. */
const axesOp: Normalizer = (ctx, n) => {
  const axes = ctx.opset < 13 ? intsAttr(n, 'axes') : constInts(ctx, n, 1, 'axes');
  if (!axes && n.op === 'Unsqueeze') fail(n, 'missing axes');
  ctx.add(canonical(n, [n.inputs[0]!], axes ? { axes } : {}));
};

const reduce: Normalizer = (ctx, n) => {
  const axesFromInput = ctx.opset >= 18 || (n.op === 'ReduceSum' && ctx.opset >= 13);
  const axes = axesFromInput ? constInts(ctx, n, 1, 'axes') : intsAttr(n, 'axes');
  const keepdims = numAttr(n, 'keepdims') ?? 1;
  if ((!axes || axes.length === 0) && (numAttr(n, 'noop_with_empty_axes') ?? 0) === 1)
    return ctx.add({ ...canonical(n, [n.inputs[0]!], {}), op: 'Identity' });
  ctx.add(canonical(n, [n.inputs[0]!], axes && axes.length > 0 ? { axes, keepdims } : { keepdims }));
};

/**
 * Softmax before opset 13 coerces the input to 2-D [prod(dims < axis), prod(dims >= axis)] and normalises each row.
 * Same as the opset-13 op when axis is the last dim; otherwise Flatten -> Softmax(axis=1) -> Reshape back.
 */
const softmax: Normalizer = (ctx, n) => {
  if (ctx.opset >= 13) return ctx.add(canonical(n, n.inputs, { axis: numAttr(n, 'axis') ?? -1 }));
  const x = n.inputs[0]!;
  const shape = ctx.requireShape(x, n, 'input');
  const rank = shape.length;
  const attrAxis = numAttr(n, 'axis') ?? 1;
  const axis = attrAxis < 0 ? attrAxis + rank : attrAxis;
  if (axis < 0 || axis >= Math.max(rank, 1)) fail(n, `axis ${attrAxis} out of range for rank ${rank}`);
  if (axis === rank - 1) return ctx.add(canonical(n, n.inputs, { axis: -1 }));
  const unknown = shape.filter((d) => d < 0).length;
  if (unknown > 1) fail(n, `opset-${ctx.opset} Softmax over axis ${axis} needs at most one dynamic dim, input is [${shape.join(', ')}]`);
  const back = shape.map((d) => (d < 0 ? -1 : d));
  const flat = ctx.freshTensorName(`${n.outputs[0]}_flat`);
  const soft = ctx.freshTensorName(`${n.outputs[0]}_softmax2d`);
  ctx.add({ name: ctx.freshNodeName(`${n.name}_flatten`), op: 'Flatten', inputs: [x], outputs: [flat], attrs: { axis } });
  ctx.add({ name: n.name, op: 'Softmax', inputs: [flat], outputs: [soft], attrs: { axis: 1 } });
  ctx.add({ name: ctx.freshNodeName(`${n.name}_reshape`), op: 'Reshape', inputs: [soft], outputs: [n.outputs[0]!], attrs: { shape: back } });
};

const batchNorm: Normalizer = (ctx, n) => {
  if ((numAttr(n, 'spatial') ?? 1) === 0) fail(n, 'spatial=0 (per-activation statistics) is not supported');
  if ((numAttr(n, 'training_mode') ?? 0) === 1) fail(n, 'training_mode=1 is not supported (inference only)');
  const outputs = dropTrailingOutputs(ctx, n, 1, 'running statistics');
  ctx.add(canonical(n, n.inputs.slice(0, 5), { epsilon: numAttr(n, 'epsilon') ?? 1e-5 }, outputs));
};

const dropout: Normalizer = (ctx, n) => {
  const outputs = dropTrailingOutputs(ctx, n, 1, 'dropout mask');
  ctx.add(canonical(n, [n.inputs[0]!], {}, outputs));
};

const maxPool: Normalizer = (ctx, n) => {
  const outputs = dropTrailingOutputs(ctx, n, 1, 'MaxPool Indices');
  ctx.add(canonical(n, n.inputs, without(n.attrs, 'storage_order'), outputs));
};

const conv: Normalizer = (ctx, n) => {
  const attrs = { ...n.attrs };
  if (attrs['kernel_shape'] === undefined) {
    const w = ctx.requireShape(n.inputs[1] ?? '', n, 'weights W');
    attrs['kernel_shape'] = w.slice(2);
  }
  ctx.add(canonical(n, n.inputs, attrs));
};

const ONNX_TYPE_BY_NAME: Record<string, number> = OnnxDataType;

const cast: Normalizer = (ctx, n) => {
  const to = n.attrs['to'];
  // Opset < 6 spells the target type as a string ("FLOAT").
  const code = typeof to === 'string' ? ONNX_TYPE_BY_NAME[to.toUpperCase()] : to;
  const dtype = typeof code === 'number' ? dtypeOfOnnx(code) : undefined;
  if (dtype === undefined) fail(n, `unsupported target type ${String(to)}`);
  ctx.add(canonical(n, n.inputs, { to: dtype }));
};

const expand: Normalizer = (ctx, n) => {
  const shape = constInts(ctx, n, 1, 'shape')!;
  ctx.add(canonical(n, [n.inputs[0]!], { shape }));
};

/**
 * Tile (opset 6+) lowered to ops every backend has: Reshape x [d0, d1, ...] to [1, d0, 1, d1, ...], Expand to
 * [r0, d0, r1, d1, ...], Reshape to [r0·d0, r1·d1, ...]. It folds when x is constant (torch's export of
 * tensor_split tiles index constants this way).
 */
const tile: Normalizer = (ctx, n) => {
  if (ctx.opset < 6) fail(n, 'Tile before opset 6 (tiles / axis inputs) is not supported');
  const x = n.inputs[0]!;
  const shape = ctx.requireShape(x, n, 'input');
  const repeats = constInts(ctx, n, 1, 'repeats');
  if (!repeats || repeats.length !== shape.length)
    fail(n, `repeats must have one entry per input dim (input shape [${shape.join(', ')}], repeats [${repeats?.join(', ') ?? ''}])`);
  if (repeats.some((r) => !Number.isInteger(r) || r < 0)) fail(n, `repeats [${repeats.join(', ')}] must be non-negative integers`);
  if (shape.some((d) => d < 0)) fail(n, `needs static input dims, got [${shape.join(', ')}]; pass importOnnx(bytes, { inputShapes })`);
  if (repeats.every((r) => r === 1)) return ctx.add({ ...canonical(n, [x], {}), op: 'Identity' });
  const spread = ctx.freshTensorName(`${n.outputs[0]}/spread`);
  const expanded = ctx.freshTensorName(`${n.outputs[0]}/expanded`);
  // allowzero: a 0 in these targets is a zero-size dim (a repeat of 0), not "copy the input's dim".
  const reshape = (target: number[]) => ({ shape: target, ...(target.includes(0) ? { allowzero: 1 } : {}) });
  ctx.add({ name: ctx.freshNodeName(`${n.name}/spread`), op: 'Reshape', inputs: [x], outputs: [spread], attrs: reshape(shape.flatMap((d) => [1, d])) });
  ctx.add({ name: ctx.freshNodeName(`${n.name}/expand`), op: 'Expand', inputs: [spread], outputs: [expanded], attrs: { shape: shape.flatMap((d, i) => [repeats[i]!, d]) } });
  ctx.add({ ...canonical(n, [expanded], reshape(shape.map((d, i) => d * repeats[i]!))), op: 'Reshape' });
};

const concat: Normalizer = (ctx, n) => {
  // Opsets 1-3: axis optional, default 1.
  ctx.add(canonical(n, n.inputs, { ...n.attrs, axis: numAttr(n, 'axis') ?? 1 }));
};

const gemm: Normalizer = (ctx, n) => ctx.add(canonical(n, n.inputs, without(n.attrs, 'broadcast')));

/** LayerNormalization (opset 17): Y only (the Mean / InvStdDev outputs are for training); stash_type is moot in f32. */
const layerNormalization: Normalizer = (ctx, n) => {
  const extra = n.outputs.slice(1).filter((o) => o !== '' && ctx.isUsed(o));
  if (extra.length) fail(n, `outputs Mean / InvStdDev (${extra.join(', ')}) are not supported`);
  ctx.add(canonical(n, n.inputs, { axis: numAttr(n, 'axis') ?? -1, epsilon: typeof n.attrs['epsilon'] === 'number' ? n.attrs['epsilon'] : 1e-5 }, [n.outputs[0]!]));
};

/** CumSum: the axis input (a constant scalar) becomes attribute axis; exclusive / reverse default to 0. */
const cumSum: Normalizer = (ctx, n) => {
  const axis = constScalar(ctx, n, 1, 'axis');
  if (axis === undefined) fail(n, 'missing input 1 (axis)');
  ctx.add(canonical(n, [n.inputs[0]!], { axis, exclusive: numAttr(n, 'exclusive') ?? 0, reverse: numAttr(n, 'reverse') ?? 0 }));
};

const mod: Normalizer = (ctx, n) => ctx.add(canonical(n, n.inputs, { fmod: numAttr(n, 'fmod') ?? 0 }));

const normalizers: Record<string, Normalizer> = {
  Reshape: reshape,
  Slice: slice,
  Pad: pad,
  Clip: clip,
  Split: split,
  Squeeze: axesOp,
  Unsqueeze: axesOp,
  ReduceMean: reduce,
  ReduceMax: reduce,
  ReduceSum: reduce,
  Softmax: softmax,
  BatchNormalization: batchNorm,
  Dropout: dropout,
  MaxPool: maxPool,
  Conv: conv,
  ConvTranspose: conv, // same canonicalisation: kernel_shape from W; the rest is ONNX's (graph/ops/conv_transpose.ts)
  Cast: cast,
  Expand: expand,
  Tile: tile,
  Concat: concat,
  Gemm: gemm,
  LayerNormalization: layerNormalization,
  CumSum: cumSum,
  Mod: mod,
  Einsum: lowerEinsum,
};
for (const op of BINARY_OPS_WITH_LEGACY_BROADCAST) normalizers[op] = legacyBroadcast;
Object.assign(normalizers, resizeNormalizers);

/** Normalise one supported, non-Constant ONNX node (already named) and hand the result to the context. */
export function normalizeNode(ctx: ImportContext, n: Node): void {
  const cleaned: Node = { ...n, attrs: without(n.attrs, ...LEGACY_ATTRS) };
  (Object.hasOwn(normalizers, n.op) ? normalizers[n.op]! : passThrough)(ctx, cleaned);
}
