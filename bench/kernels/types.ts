/** Shared between the Node and page halves of the kernel micro-benchmark. */
export interface KernelJob {
  op: string;
  attrs?: Record<string, number | number[] | string>;
  inputs: { shape: number[]; kind?: 'input' | 'const' }[];
  outputShape: number[];
  /** Conv variant to force (see src/backends/webgpu/conv_select.ts); undefined: the selection rule. */
  variant?: string;
  reps: number;
  maxSeconds: number;
  /** Run stride-2 3-wide convs on the generic conv2d_gemm shader instead of its stride-2 window shader (A/B). */
  noStride2Window?: boolean;
  /** Elementwise / BatchNorm kernels one element per thread instead of their vec4 paths (A/B). */
  scalarElementwise?: boolean;
  /** Wrap the node between two Relu nodes so its input and output live in memory-plan arenas, as inside a model. */
  inArena?: boolean;
}

export interface KernelJobResult {
  /** Kernel name(s) that ran, from the executor's dispatch list. */
  kernel: string;
  /** Median time of the node's dispatch(es) in ms. */
  ms: number;
  /** Fastest rep in ms (the steadier figure on a shared, loaded machine). */
  minMs: number;
  /** 'timestamp': GPU timestamp queries; 'wall': whole-run wall time (no timestamp-query on this device). */
  timing: 'timestamp' | 'wall';
  reps: number;
}
