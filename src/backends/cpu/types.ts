import type { Node, Tensor } from '../../graph/ir.js';

/**
 * CPU reference kernel: plain, readable TypeScript; float32 storage, float64 accumulation in reductions and dot
 * products. Absent optional inputs are `undefined`. Returns one tensor per node output.
 */
export type CpuKernel = (node: Node, inputs: (Tensor | undefined)[]) => Tensor[];
