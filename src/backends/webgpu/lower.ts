/**
 * WebGPU-only rewrites applied by the executor after every graph pass (the CPU backend and the saved graph keep the
 * original form).
 *
 * subsampleStridedPointwise: a 1×1 convolution with stride s > 1 and no padding reads every s-th pixel, so it equals
 * the same convolution with stride 1 on `Slice(x, steps [s_h, s_w])` — the same products, summed in the same order.
 * The strided copy moves 1/(s_h·s_w) of the input once, and the stride-1 conv then runs on the tuned `conv2d_1x1`
 * kernel (contiguous pixel rows, vec4 loads) instead of the implicit GEMM: measured on SwiftShader, ResNet-50's three
 * stride-2 projection convs ran at 0.17–0.29 GFLOP/s on conv2d_gemm, a third of its GPU time for 7.5 % of its MACs
 * (bench/results/roofline.md), against ~2 GFLOP/s for stride-1 1×1 layers.
 *
 * lowerWinograd: a 3×3 / stride 1 / dilation 1 / group 1 Conv or FusedConv with constant weights that the conv
 * variant rule (or the session's chooser) assigns to 'winograd' or 'winograd4' becomes WinogradInput → WinogradGemm →
 * WinogradOutput (src/graph/ops/winograd.ts) with attribute tile = 2 or 4: F(2×2, 3×3) does 16 multiplies per 2×2
 * output tile and channel pair instead of 36, as 16 register-tiled GEMMs; F(4×4, 3×3) 36 per 4×4 tile instead of 144,
 * as 36 GEMMs. The intermediate V and M are ordinary activations, so the memory plan shares their storage with the rest.
 * The output node keeps the conv's output name, bias, residual (and its residual view) and activation.
 */
import { attrInts, type Graph, type Node } from '../../graph/ir.js';
import { convOutputSpatial, convParams } from '../../graph/ops/conv.js';
import { inferShapes } from '../../graph/infer.js';
import { RESIDUAL_VIEW_ATTRS } from '../../graph/ops/residual_view.js';
import { NameGenerator } from '../../graph/passes/graph_utils.js';
import { expandBatchNormConvs } from '../../graph/passes/fold_batchnorm_conv.js';
import { convOf } from '../../graph/ops/batchnorm_conv.js';
import { takesPrologue } from './batchnorm_conv.js';
import { explicitConvVariant, isIm2colShape, isWinogradShape, selectConvVariant, winogradTileOf, type ConvShape, type ConvVariantOverride, type WinogradTileSize } from './conv_select.js';

/** int64 max as an ONNX-style "to the end" Slice bound (it clamps to the dim). */
const TO_END = Number.MAX_SAFE_INTEGER;

function isStridedPointwise(graph: Graph, node: Node): [number, number] | undefined {
  if (node.op !== 'Conv' && node.op !== 'FusedConv') return undefined;
  const w = graph.initializers.get(node.inputs[1] ?? '');
  if (!w || w.shape.length !== 4 || w.shape[2] !== 1 || w.shape[3] !== 1) return undefined;
  if ((node.attrs['group'] ?? 1) !== 1) return undefined;
  if (node.attrs['auto_pad'] !== undefined && node.attrs['auto_pad'] !== 'NOTSET' && node.attrs['auto_pad'] !== 'VALID') return undefined;
  const pads = attrInts(node, 'pads', [0, 0, 0, 0]);
  if (pads.length !== 4 || pads.some((p) => p !== 0)) return undefined;
  const strides = attrInts(node, 'strides', [1, 1]);
  if (strides.length !== 2 || strides.some((s) => !Number.isInteger(s) || s < 1) || strides.every((s) => s === 1)) return undefined;
  return [strides[0]!, strides[1]!];
}

/** Returns a graph whose strided 1×1 convs read a subsampled copy of their input; the input graph is not changed. */
export function subsampleStridedPointwise(graph: Graph): Graph {
  if (!graph.nodes.some((n) => isStridedPointwise(graph, n))) return graph;
  const names = new NameGenerator(graph);
  const nodes: Node[] = [];
  for (const node of graph.nodes) {
    const strides = isStridedPointwise(graph, node);
    if (!strides) {
      nodes.push(node);
      continue;
    }
    const x = node.inputs[0]!;
    const sub = names.fresh(`${x}/subsample${strides[0]}x${strides[1]}`);
    nodes.push({
      name: names.fresh(`${node.name}/subsample`),
      op: 'Slice',
      inputs: [x],
      outputs: [sub],
      attrs: { starts: [0, 0], ends: [TO_END, TO_END], axes: [2, 3], steps: strides },
    });
    const attrs: Node['attrs'] = { ...node.attrs, strides: [1, 1] };
    delete attrs['dilations']; // irrelevant for a 1×1 kernel
    nodes.push({ ...node, inputs: [sub, ...node.inputs.slice(1)], attrs });
  }
  return { ...graph, nodes };
}

/** Convs up to this many MACs may switch kernels to share pipelines (a few ms at most on SwiftShader). */
export const SHARE_MAX_MACS = 4_000_000;

const convMacs = (s: ConvShape) => s.n * s.cout * s.oh * s.ow * (s.cin / s.group) * s.kh * s.kw;

export interface WinogradLoweringOptions {
  /**
   * Leave convs with f16 weights alone (default true): an f16 model keeps its f16 weight storage and the implicit
   * GEMM, whatever the executor's f16Weights option, so storage never changes which kernels run. U = G g Gᵀ is not
   * exact in f16: it would be stored in f32 (3.6× the f16 weight's bytes) or rounded (~5e-4 relative error).
   */
  keepHalfWeights?: boolean;
}

const EPILOGUE_ATTRS = ['activation', 'act_alpha', 'act_beta', 'act_min', 'act_max', 'residual_after_activation', ...RESIDUAL_VIEW_ATTRS];

/** The ConvShape of a 2-D Conv / FusedConv node with known shapes, or undefined when it is not a plain 2-D conv. */
function convShapeOf(graph: Graph, node: Node, shapes: Map<string, { shape: readonly number[] }>): ConvShape | undefined {
  if (node.op !== 'Conv' && node.op !== 'FusedConv') return undefined;
  const x = shapes.get(node.inputs[0] ?? '')?.shape;
  const w = shapes.get(node.inputs[1] ?? '')?.shape;
  if (!x || !w || x.length !== 4 || w.length !== 4 || x.some((d) => d < 1)) return undefined;
  const p = convParams(node, x, w);
  const [oh, ow] = convOutputSpatial(x, p) as [number, number];
  return {
    n: x[0]!,
    cin: x[1]!,
    ih: x[2]!,
    iw: x[3]!,
    cout: w[0]!,
    oh,
    ow,
    kh: p.kernel[0]!,
    kw: p.kernel[1]!,
    sh: p.strides[0]!,
    sw: p.strides[1]!,
    dh: p.dilations[0]!,
    dw: p.dilations[1]!,
    pads: [p.pads[0]!, p.pads[1]!, p.pads[2]!, p.pads[3]!],
    group: p.group,
    constWeights: graph.initializers.has(node.inputs[1] ?? ''),
  };
}

/**
 * Returns a graph whose Winograd-selected convs run as three Winograd nodes; the input graph is not changed.
 * `inputShapes` are the executor's concrete input shapes (the choice depends on them); `choose` is the session's
 * conv variant chooser (an autotuned table), consulted before the fixed rule as everywhere else.
 */
export function lowerWinograd(graph: Graph, inputShapes?: Record<string, number[]>, choose?: ConvVariantOverride, options: WinogradLoweringOptions = {}): Graph {
  if (!graph.nodes.some((n) => (n.op === 'Conv' || n.op === 'FusedConv') && graph.initializers.has(n.inputs[1] ?? ''))) return graph;
  const shapes = inferShapes(graph, inputShapes);
  const picked = new Map<Node, { s: ConvShape; tile: WinogradTileSize }>();
  const small: { node: Node; s: ConvShape }[] = [];
  for (const node of graph.nodes) {
    const s = convShapeOf(graph, node, shapes);
    if (!s || (options.keepHalfWeights !== false && graph.initializers.get(node.inputs[1]!)?.dtype === 'f16')) continue;
    const tile = winogradTileOf(selectConvVariant(s, choose));
    if (tile) picked.set(node, { s, tile });
    else if (s.constWeights && explicitConvVariant(s, choose) === undefined && isWinogradShape(s, 2) && convMacs(s) <= SHARE_MAX_MACS) small.push({ node, s });
  }
  if (picked.size === 0) return graph;
  // Few distinct pipelines (cold start): once the model compiles the F(2×2) pipelines anyway, a small 3×3 conv the
  // rule left on the implicit GEMM (e.g. a 3-channel stem) joins them instead of compiling a window shader of its
  // own. Measured on SwiftShader: conv2d_gemm_8x8_win3 costs ~110 ms to compile, and ResNet-20's 3→16 stem runs at
  // 0.81 (Winograd) vs 0.86 GFLOP/s (0.44 MMAC: ~0.03 ms apart). An explicit choice (tuned table, override) is left alone.
  if ([...picked.values()].some((p) => p.tile === 2)) for (const { node, s } of small) picked.set(node, { s, tile: 2 });
  const names = new NameGenerator(graph);
  const nodes: Node[] = [];
  for (const node of graph.nodes) {
    const p = picked.get(node);
    if (!p) {
      nodes.push(node);
      continue;
    }
    const { s, tile } = p;
    const v = names.fresh(`${node.outputs[0]}/winograd_v`);
    const m = names.fresh(`${node.outputs[0]}/winograd_m`);
    nodes.push({ name: names.fresh(`${node.name}/winograd_input`), op: 'WinogradInput', inputs: [node.inputs[0]!], outputs: [v], attrs: { tile, pads: [...s.pads] } });
    nodes.push({ name: names.fresh(`${node.name}/winograd_gemm`), op: 'WinogradGemm', inputs: [v, node.inputs[1]!], outputs: [m], attrs: { tile } });
    const attrs: Node['attrs'] = { tile, output_shape: [s.n, s.cout, s.oh, s.ow] };
    if (node.op === 'FusedConv') for (const k of EPILOGUE_ATTRS) if (node.attrs[k] !== undefined) attrs[k] = node.attrs[k]!;
    const inputs = [m, node.inputs[2] ?? ''];
    if (node.op === 'FusedConv' && (node.inputs[3] ?? '') !== '') inputs.push(node.inputs[3]!);
    while (inputs[inputs.length - 1] === '') inputs.pop();
    nodes.push({ name: names.fresh(`${node.name}/winograd_output`), op: 'WinogradOutput', inputs, outputs: [node.outputs[0]!], attrs });
  }
  return { ...graph, nodes };
}

/**
 * lowerIm2col: a strided k×k conv (3×3/2, the 7×7/2 stem; group 1, constant weights) that the conv variant rule or
 * the session's chooser assigns to 'im2col' becomes Im2col (src/graph/ops/im2col.ts: X → P [N, C·kh·kw, OH, OW], zero
 * padding applied) followed by the same node as a 1×1 / stride 1 conv on P, whose weight is the original OIHW data
 * read as [K, C·kh·kw, 1, 1] (a new initializer sharing the data). The conv keeps its name, output, bias, residual and
 * epilogue, and runs on conv2d_1x1 (the plain GEMM over pixels) instead of the implicit GEMM's window gather.
 * Returns a new graph; the input graph is not changed.
 */
export function lowerIm2col(graph: Graph, inputShapes?: Record<string, number[]>, choose?: ConvVariantOverride): Graph {
  if (!graph.nodes.some((n) => (n.op === 'Conv' || n.op === 'FusedConv') && graph.initializers.has(n.inputs[1] ?? ''))) return graph;
  const shapes = inferShapes(graph, inputShapes);
  const picked = new Map<Node, ConvShape>();
  for (const node of graph.nodes) {
    const s = convShapeOf(graph, node, shapes);
    if (s && s.constWeights && isIm2colShape(s) && selectConvVariant(s, choose) === 'im2col') picked.set(node, s);
  }
  if (picked.size === 0) return graph;
  const names = new NameGenerator(graph);
  const initializers = new Map(graph.initializers);
  const reshaped = new Map<string, string>();
  const nodes: Node[] = [];
  for (const node of graph.nodes) {
    const s = picked.get(node);
    if (!s) {
      nodes.push(node);
      continue;
    }
    const cols = names.fresh(`${node.inputs[0]}/im2col${s.kh}x${s.kw}s${s.sh}`);
    nodes.push({
      name: names.fresh(`${node.name}/im2col`),
      op: 'Im2col',
      inputs: [node.inputs[0]!],
      outputs: [cols],
      attrs: { kernel_shape: [s.kh, s.kw], strides: [s.sh, s.sw], pads: [...s.pads], dilations: [s.dh, s.dw] },
    });
    const wName = node.inputs[1]!;
    let w1 = reshaped.get(wName); // one reshaped initializer per weight, however many convs share it
    if (w1 === undefined) {
      w1 = names.fresh(`${wName}/im2col`);
      initializers.set(w1, { ...graph.initializers.get(wName)!, shape: [s.cout, s.cin * s.kh * s.kw, 1, 1] });
      reshaped.set(wName, w1);
    }
    const attrs: Node['attrs'] = { ...node.attrs, kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0] };
    delete attrs['dilations'];
    delete attrs['auto_pad'];
    nodes.push({ ...node, inputs: [cols, w1, ...node.inputs.slice(2)], attrs });
  }
  return { ...graph, nodes, initializers };
}

/**
 * lowerBatchNormConvs: a BatchNormConv (src/graph/ops/batchnorm_conv.ts) runs as one conv dispatch with the
 * BN + ReLU prologue (batchnorm_conv.ts) only when the variant rule (or the session's chooser) gives its conv to a
 * variant with the prologue (conv2d_1x1, conv2d_wgm*, conv2d_splitk) and its prologue activation is one those
 * compute (`pointwise` false: not conv2d_1x1, the executor's default on software adapters, where DenseNet-121 ran
 * 1.05x slower with it: 5.00 vs 4.76 s median of 7 interleaved runs, SwiftShader, load 4-5); any other becomes
 * FusedBatchNorm → FusedConv
 * again (expandBatchNormConvs), so a variant without the prologue never sees the node. Returns a new graph.
 */
export function lowerBatchNormConvs(graph: Graph, inputShapes?: Record<string, number[]>, choose?: ConvVariantOverride, pointwise = true): Graph {
  if (!graph.nodes.some((n) => n.op === 'BatchNormConv')) return graph;
  const shapes = inferShapes(graph, inputShapes);
  return expandBatchNormConvs(graph, (node) => {
    const s = convShapeOf(graph, convOf(node), shapes);
    const variant = s && selectConvVariant(s, choose);
    if (!s || !variant || !s.constWeights || (variant === 'conv2d_1x1' && !pointwise)) return true;
    return !takesPrologue(node, variant, (name) => graph.initializers.has(name));
  });
}
