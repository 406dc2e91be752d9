/**
 * CPU reference backend: one kernel per op (plain TypeScript, float64 accumulation) and an executor that runs a
 * whole graph. It is the oracle for the GPU kernels, the fallback without WebGPU, and the importer's constant folder.
 */
import { f16ToF32, sizeOf } from '../../graph/ir.js';
import type { Graph, Node, Tensor } from '../../graph/ir.js';
import { shapeRules } from '../../graph/ops/registry.js';
import type { OutputInfo } from '../../graph/ops/types.js';
import { checkShapeLimits } from '../../load/limits.js';
import { batchNormalization } from './batchnorm.js';
import { binaryCpuKernels } from './binary.js';
import { conv } from './conv.js';
import { convTranspose } from './conv_transpose.js';
import { elementwiseKernels } from './elementwise.js';
import { ExecutionError, InputError } from './errors.js';
import { fusedCpuKernels } from './fused.js';
import { fusedBatchNormCpuKernels } from './fused_batchnorm.js';
import { channelScaleCpuKernels } from './channel_scale.js';
import { batchNormConvCpuKernels } from './batchnorm_conv.js';
import { geluCpuKernels } from './gelu.js';
import { gemmKernels } from './gemm.js';
import { poolKernels } from './pool.js';
import { reduceKernels } from './reduce.js';
import { shapeOpKernels } from './shape_ops.js';
import { softmax } from './softmax.js';
import { attention } from './attention.js';
import { channelLayerNorm } from './channel_layer_norm.js';
import { layerNorm } from './layer_norm.js';
import { logicCpuKernels } from './logic.js';
import type { CpuKernel } from './types.js';
import { winogradCpuKernels } from './winograd.js';
import { im2colCpuKernels } from './im2col.js';
import { resizeCpuKernels } from './resize.js';

export { ExecutionError, InputError } from './errors.js';
export type { CpuKernel } from './types.js';

export const cpuKernels: Record<string, CpuKernel> = {
  Conv: conv,
  ConvTranspose: convTranspose,
  BatchNormalization: batchNormalization,
  ...elementwiseKernels,
  ...geluCpuKernels,
  ...poolKernels,
  ...reduceKernels,
  ...gemmKernels,
  Softmax: softmax,
  Attention: attention,
  ChannelLayerNorm: channelLayerNorm,
  LayerNormalization: layerNorm,
  ...shapeOpKernels,
  ...fusedCpuKernels,
  ...fusedBatchNormCpuKernels,
  ...binaryCpuKernels,
  ...channelScaleCpuKernels,
  ...batchNormConvCpuKernels,
  ...winogradCpuKernels,
  ...im2colCpuKernels,
  ...resizeCpuKernels,
  ...logicCpuKernels,
};

function f16ToF32Tensor(t: Tensor): Tensor {
  const data = new Float32Array(t.data.length);
  for (let i = 0; i < data.length; i++) data[i] = f16ToF32(t.data[i] as number);
  return { dtype: 'f32', shape: [...t.shape], data };
}

/**
 * Kernels allocate outputs whose size comes from attributes and small constant inputs (Expand, ConstantOfShape, Pad,
 * Range...): bound them with the op's shape rule BEFORE the kernel allocates (LimitError). A rule that rejects the
 * node is ignored here: the kernel then reports the problem itself.
 */
function checkOutputSizes(node: Node, args: (Tensor | undefined)[]): void {
  const rule = Object.hasOwn(shapeRules, node.op) ? shapeRules[node.op] : undefined;
  if (!rule) return;
  let outs: OutputInfo[];
  try {
    // Shape-like inputs are small: give rules their values so they can size the output, skip big activations.
    outs = rule(node, args.map((t) => t && { dtype: t.dtype, shape: t.shape, ...(t.data.length <= 64 ? { value: t } : {}) }));
  } catch {
    return;
  }
  for (const o of outs) if (o) checkShapeLimits(o.shape, `${node.op} node '${node.name}'`, 'maxValueElements');
}

/**
 * Runs a graph node by node on the CPU. Intermediate tensors are dropped after their last use, so peak memory is
 * about the live activations of one layer boundary. Any batch size works when the graph's batch dim is -1.
 */
export class CpuExecutor {
  private readonly constants = new Map<string, Tensor>();
  /** For each tensor name, the index of the last node reading it (graph outputs are never dropped). */
  private readonly lastUse = new Map<string, number>();
  private readonly kernels: Record<string, CpuKernel>;

  /** `extraKernels` adds or overrides kernels (e.g. Tessera-specific ops registered by passes). */
  constructor(
    readonly graph: Graph,
    extraKernels: Record<string, CpuKernel> = {},
  ) {
    this.kernels = { ...cpuKernels, ...extraKernels };
    for (const [name, t] of graph.initializers) this.constants.set(name, t.dtype === 'f16' ? f16ToF32Tensor(t) : t);
    graph.nodes.forEach((node, i) => {
      // Own properties only: an op named 'constructor' or '__proto__' must not find Object.prototype's members.
      if (!Object.hasOwn(this.kernels, node.op))
        throw new ExecutionError('the CPU backend has no kernel for this op', node.name, node.op);
      for (const name of node.inputs) if (name !== '') this.lastUse.set(name, i);
    });
    for (const out of graph.outputs) this.lastUse.set(out.name, Infinity);
  }

  run(inputs: Record<string, Tensor>): Record<string, Tensor> {
    const values = new Map<string, Tensor>(this.constants);
    this.checkInputs(inputs);
    for (const [name, t] of Object.entries(inputs)) values.set(name, t);

    this.graph.nodes.forEach((node, i) => {
      const args = node.inputs.map((name) => {
        if (name === '') return undefined;
        const t = values.get(name);
        if (t === undefined) throw new ExecutionError(`input '${name}' has not been computed (graph out of order?)`, node.name, node.op);
        return t;
      });
      checkOutputSizes(node, args);
      let results: Tensor[];
      try {
        results = this.kernels[node.op]!(node, args);
      } catch (err) {
        if (err instanceof ExecutionError) throw err;
        const shapes = args.map((t) => (t ? `${t.dtype}[${t.shape.join(', ')}]` : '-')).join(', ');
        throw new ExecutionError(`${(err as Error).message ?? String(err)} (inputs: ${shapes})`, node.name, node.op, { cause: err });
      }
      node.outputs.forEach((name, k) => {
        if (name === '') return;
        const t = results[k];
        if (t === undefined) throw new ExecutionError(`kernel produced no tensor for output ${k} ('${name}')`, node.name, node.op);
        values.set(name, t);
      });
      for (const name of node.inputs) {
        if (name !== '' && this.lastUse.get(name) === i && !this.constants.has(name)) values.delete(name);
      }
    });

    const outputs: Record<string, Tensor> = {};
    for (const out of this.graph.outputs) {
      const t = values.get(out.name);
      if (t === undefined) throw new ExecutionError(`graph output '${out.name}' was never produced`, '(graph)', 'output');
      outputs[out.name] = t;
    }
    return outputs;
  }

  private checkInputs(inputs: Record<string, Tensor>): void {
    const expected = new Map(this.graph.inputs.map((v) => [v.name, v]));
    for (const name of Object.keys(inputs)) {
      if (!expected.has(name))
        throw new InputError(`unknown input; the graph expects ${[...expected.keys()].map((n) => `'${n}'`).join(', ') || 'no inputs'}`, name);
    }
    for (const info of this.graph.inputs) {
      const t = inputs[info.name];
      if (t === undefined) {
        if (this.constants.has(info.name)) continue; // an input with a default (initializer) value
        throw new InputError('missing', info.name);
      }
      if (t.dtype !== info.dtype) throw new InputError(`dtype ${t.dtype} does not match the graph's ${info.dtype}`, info.name);
      const fits = t.shape.length === info.shape.length && info.shape.every((d, i) => d < 0 || d === t.shape[i]);
      if (!fits) throw new InputError(`shape [${t.shape.join(', ')}] does not match the graph's [${info.shape.join(', ')}] (-1 = any)`, info.name);
      if (t.shape.some((d) => !Number.isInteger(d) || d < 0)) throw new InputError(`shape [${t.shape.join(', ')}] is invalid`, info.name);
      if (t.data.length !== sizeOf(t.shape))
        throw new InputError(`data has ${t.data.length} elements, shape [${t.shape.join(', ')}] needs ${sizeOf(t.shape)}`, info.name);
    }
  }
}
