/** Shared by the op normalisers (normalize.ts, normalize_resize.ts): typed failures and constant-input reads. */
import type { Node, Tensor } from '../../graph/ir.js';
import { nodeWhere, type ImportContext } from './context.js';
import { OnnxImportError } from './errors.js';

export function fail(n: Node, message: string): never {
  throw new OnnxImportError(message, nodeWhere(n));
}

/** Constant input i, undefined when absent; throws when present but not constant (after folding). */
export function constInput(ctx: ImportContext, n: Node, i: number, what: string): Tensor | undefined {
  const name = n.inputs[i] ?? '';
  if (name === '') return undefined;
  const t = ctx.constant(name);
  if (!t)
    fail(
      n,
      `input ${i} (${what}, '${name}') must be a constant (it does not fold to one). If it depends on a dynamic ` +
        'input dimension, give static input shapes with importOnnx(bytes, { inputShapes })',
    );
  return t;
}
