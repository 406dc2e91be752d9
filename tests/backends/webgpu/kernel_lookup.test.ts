/** Kernel lookup must use own properties only: op names from a model file are untrusted strings. */
import { describe, expect, it } from 'vitest';
import { planKernels } from '../../../src/backends/webgpu/executor.js';
import { WebGPUKernelError } from '../../../src/backends/webgpu/program.js';
import type { Graph, ValueInfo } from '../../../src/graph/ir.js';

describe('planKernels op lookup', () => {
  for (const op of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    it(`an op named '${op}' is a typed WebGPUKernelError, not a TypeError`, () => {
      const graph: Graph = {
        inputs: [{ name: 'x', dtype: 'f32', shape: [1, 4] }],
        outputs: [{ name: 'y', dtype: 'f32', shape: [1, 4] }],
        nodes: [{ name: 'evil', op, inputs: ['x'], outputs: ['y'], attrs: {} }],
        initializers: new Map(),
        metadata: {},
      };
      const values = new Map<string, ValueInfo>([
        ['x', { name: 'x', dtype: 'f32', shape: [1, 4] }],
        ['y', { name: 'y', dtype: 'f32', shape: [1, 4] }],
      ]);
      expect(() => planKernels(graph, values)).toThrow(WebGPUKernelError);
    });
  }
});
