/** Errors raised by the CPU executor. Kernels themselves throw `GraphError` (from `graph/ir.ts`) naming the node. */

/** A node failed while running on the CPU reference backend. Names the node and the op; keeps the cause. */
export class ExecutionError extends Error {
  override name = 'ExecutionError';
  constructor(
    message: string,
    readonly nodeName: string,
    readonly op: string,
    options?: { cause?: unknown },
  ) {
    super(`${op} node '${nodeName}': ${message}`, options);
  }
}

/** The caller passed a missing/unknown input, or one whose dtype or shape does not match `graph.inputs`. */
export class InputError extends Error {
  override name = 'InputError';
  constructor(
    message: string,
    readonly inputName?: string,
  ) {
    super(inputName !== undefined ? `input '${inputName}': ${message}` : message);
  }
}
