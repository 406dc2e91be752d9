/**
 * `tessera convert --int8`: mark the constant weights of conv / Gemm / MatMul layers for int8 storage
 * (src/graph/quant_int8.ts). Runs after the graph passes, so what is quantised is the final weight (BatchNorm
 * already folded in). The graph computes with the dequantised values from then on (`data` is replaced), so the CPU
 * reference, the writer and every backend see the same numbers; `quant` carries the int8 form for the writer and
 * the WebGPU accessors.
 *
 * Left in f32: biases, BatchNorm, binary layers (other ops), Attention / LayerNorm parameters, weights that are also
 * graph inputs (overridable), weights read by several layers along different channel axes, weights with a
 * non-finite value, and tensors under MIN_ELEMENTS (nothing to save).
 */
import { attrInt, type Graph, type Node, type Tensor } from '../ir.js';
import { channelGeometry, dequantizeInt8, int8StoredBytes, quantizeInt8, relativeL2 } from '../quant_int8.js';

/** Tensors smaller than this stay f32: a few hundred bytes are not worth a scale table. */
export const MIN_ELEMENTS = 256;
/** Below this many weights per output channel the scale table outweighs the values: one scale for the tensor. */
export const PER_TENSOR_BELOW = 4;

export interface Int8Layer {
  node: string;
  op: string;
  tensor: string;
  shape: number[];
  /** Channel axis of the scales; undefined = one scale for the tensor. */
  axis?: number;
  f32Bytes: number;
  int8Bytes: number;
  /** ||dequantised - original|| / ||original||. */
  relError: number;
  /** max |dequantised - original| / max |original|. */
  maxError: number;
}

export interface Int8Summary {
  layers: Int8Layer[];
  f32Bytes: number;
  int8Bytes: number;
}

export interface QuantizeOptions {
  /** Quantise depthwise convs (group == input channels, one input channel per filter) too (default true). */
  depthwise?: boolean;
  /** Weights to leave as they are (float): the layers mixed precision keeps (src/graph/passes/int8_mixed.ts). */
  keepFloat?: ReadonlySet<string>;
}

/** Output-channel axis of the weight input of `node`, or undefined when the node has no quantisable weight. */
function weightAxis(node: Node, w: Tensor, depthwise: boolean): number | undefined {
  switch (node.op) {
    case 'Conv':
    case 'FusedConv':
    case 'ChannelScaleConv':
    case 'BatchNormConv': {
      const group = attrInt(node, 'group', 1);
      if (!depthwise && group > 1 && w.shape[1] === 1) return undefined;
      return 0; // W [M, C/group, kH, kW]
    }
    case 'Gemm':
    case 'FusedGemm':
      return w.shape.length === 2 ? (attrInt(node, 'transB', 0) ? 0 : 1) : undefined; // B [N, K] or [K, N]
    case 'MatMul':
      return w.shape.length >= 2 ? w.shape.length - 1 : undefined; // B [..., K, N]
  }
  return undefined;
}

/** A new graph whose chosen weights carry `quant` and hold their dequantised values; the input graph is unchanged. */
export function quantizeWeightsInt8(graph: Graph, options: QuantizeOptions = {}): { graph: Graph; summary: Int8Summary } {
  const depthwise = options.depthwise !== false;
  const graphInputs = new Set(graph.inputs.map((i) => i.name));
  // Each weight's channel axis over all its readers; a conflict (or any non-weight use) leaves it f32.
  const axes = new Map<string, { axis: number | undefined; node: Node } | null>();
  for (const node of graph.nodes) {
    node.inputs.forEach((name, k) => {
      const w = graph.initializers.get(name);
      if (!w) return;
      const axis = k === 1 && w.dtype === 'f32' && w.data instanceof Float32Array ? weightAxis(node, w, depthwise) : undefined;
      const prev = axes.get(name);
      if (axis === undefined || prev === null || (prev !== undefined && prev.axis !== axis)) axes.set(name, null);
      else if (prev === undefined) axes.set(name, { axis, node });
    });
  }
  const initializers = new Map(graph.initializers);
  const layers: Int8Layer[] = [];
  for (const [name, use] of axes) {
    const w = graph.initializers.get(name)!;
    if (!use || graphInputs.has(name) || w.data.length < MIN_ELEMENTS || options.keepFloat?.has(name)) continue;
    const perChannel = w.data.length / channelGeometry(w.shape, use.axis).channels >= PER_TENSOR_BELOW;
    const axis = perChannel ? use.axis : undefined;
    const original = w.data as Float32Array;
    const quant = quantizeInt8(original, w.shape, axis);
    if (!quant) continue;
    const data = dequantizeInt8(quant, w.shape);
    initializers.set(name, { dtype: 'f32', shape: [...w.shape], data, quant });
    let maxDiff = 0;
    let maxAbs = 0;
    for (let i = 0; i < data.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(data[i]! - original[i]!));
      maxAbs = Math.max(maxAbs, Math.abs(original[i]!));
    }
    layers.push({
      node: use.node.name,
      op: use.node.op,
      tensor: name,
      shape: [...w.shape],
      axis,
      f32Bytes: 4 * data.length,
      int8Bytes: int8StoredBytes(data.length, quant.scales.length),
      relError: relativeL2(original, data),
      maxError: maxAbs === 0 ? 0 : maxDiff / maxAbs,
    });
  }
  const summary: Int8Summary = {
    layers,
    f32Bytes: layers.reduce((s, l) => s + l.f32Bytes, 0),
    int8Bytes: layers.reduce((s, l) => s + l.int8Bytes, 0),
  };
  return { graph: { ...graph, initializers }, summary };
}

/** Int8 tensors of a graph as read from a file (weights whose `quant` is set), for `inspect`. */
export function storedInt8Summary(graph: Graph): Int8Summary {
  const layers: Int8Layer[] = [];
  for (const node of graph.nodes) {
    for (const name of node.inputs) {
      const w = graph.initializers.get(name);
      if (!w?.quant || layers.some((l) => l.tensor === name)) continue;
      layers.push({
        node: node.name,
        op: node.op,
        tensor: name,
        shape: [...w.shape],
        axis: w.quant.axis,
        f32Bytes: 4 * w.data.length,
        int8Bytes: int8StoredBytes(w.data.length, w.quant.scales.length),
        relError: NaN,
        maxError: NaN,
      });
    }
  }
  return { layers, f32Bytes: layers.reduce((s, l) => s + l.f32Bytes, 0), int8Bytes: layers.reduce((s, l) => s + l.int8Bytes, 0) };
}

/** One line: how many weights are int8 and the bytes that saves. */
export function int8Line(summary: Int8Summary): string {
  const n = summary.layers.length;
  if (n === 0) return 'none';
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
  return `${n} weight tensor${n > 1 ? 's' : ''} int8, ${mib(summary.f32Bytes)} as f32 -> ${mib(summary.int8Bytes)}, ${mib(summary.f32Bytes - summary.int8Bytes)} saved`;
}
