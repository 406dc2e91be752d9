/**
 * A fused node's residual view (src/graph/ops/residual_view.ts) on its kernel plan: every program input `res` bound to
 * the residual tensor reads through the view (index_view.ts). The kernels need no change: each adds `res_at(idx)` at
 * the output element's own flat index, which the view maps onto R (0 in the padded region). A node with a view whose
 * plan never binds `res` to R is an error here, and a legacy program binding it fails in buildProgram: never a
 * silent read of R at the wrong index.
 */
import type { Node, ValueInfo } from '../../graph/ir.js';
import { readResidualView, residualAffine, residualSlot } from '../../graph/ops/residual_view.js';
import { WebGPUKernelError, type KernelPlan } from './program.js';

export function withResidualView(node: Node, plan: KernelPlan, values: Map<string, ValueInfo>): KernelPlan {
  const r = node.inputs[residualSlot(node)] ?? '';
  const out = values.get(node.outputs[0] ?? '')?.shape;
  const view = r !== '' && out ? readResidualView(node, out.length) : undefined;
  if (!view || !out) return plan;
  const view4 = residualAffine(node, view, values.get(r)!.shape, out);
  let bound = 0;
  const programs = plan.programs.map((p) => ({
    ...p,
    inputs: p.inputs.map((i) => {
      if (i.wgsl !== 'res' || i.tensor !== r) return i;
      bound++;
      return { ...i, view: view4 };
    }),
  }));
  if (bound === 0) throw new WebGPUKernelError('the kernel plan does not read the residual as res: its residual view cannot apply', node.name, node.op);
  return { ...plan, programs };
}
