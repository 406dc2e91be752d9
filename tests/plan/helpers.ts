/**
 * Planner test helpers: run a graph *through a memory plan* on flat f32 arenas (every tensor read from and
 * written to its planned location, elided nodes skipped, in-place concat inputs not copied), and a brute-force
 * check that no two simultaneously live tensors of different roots overlap.
 */
import { expect } from 'vitest';
import { cpuKernels } from '../../src/backends/cpu/index.js';
import { attrInt, sizeOf, type Graph, type Tensor } from '../../src/graph/ir.js';
import type { MemoryPlan, TensorPlacement } from '../../src/plan/index.js';

function forEachIndex(shape: readonly number[], fn: (flat: number, idx: number[]) => void): void {
  const idx = new Array<number>(shape.length).fill(0);
  const total = sizeOf(shape);
  for (let flat = 0; flat < total; flat++) {
    fn(flat, idx);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

function addressOf(base: number, strides: readonly number[], idx: number[]): number {
  let a = base;
  for (let i = 0; i < idx.length; i++) a += idx[i]! * strides[i]!;
  return a;
}

export function simulate(graph: Graph, plan: MemoryPlan, inputs: Record<string, Tensor>): Record<string, Tensor> {
  const arenas = plan.buffers.map((b) => new Float32Array(b.bytes / 4).fill(NaN));
  const place = (name: string): TensorPlacement => {
    const p = plan.tensors.get(name);
    if (!p) throw new Error(`no placement for ${name}`);
    return p;
  };
  const write = (buffer: number, byteOffset: number, strides: readonly number[], t: Tensor): void => {
    const arena = arenas[buffer]!;
    forEachIndex(t.shape, (flat, idx) => {
      arena[addressOf(byteOffset / 4, strides, idx)] = t.data[flat] as number;
    });
  };
  const read = (name: string): Tensor => {
    const init = graph.initializers.get(name);
    if (init) return init;
    const p = place(name);
    const data = new Float32Array(sizeOf(p.shape));
    const arena = arenas[p.buffer]!;
    forEachIndex(p.shape, (flat, idx) => {
      data[flat] = arena[addressOf(p.offset / 4, p.strides, idx)]!;
    });
    return { dtype: 'f32', shape: [...p.shape], data };
  };
  for (const [name, t] of Object.entries(inputs)) {
    const p = place(name);
    write(p.buffer, p.offset, p.strides, t);
  }
  for (const node of graph.nodes) {
    if (plan.elidedNodes.has(node.name)) continue;
    const inPlace = plan.concatInPlace.get(node.name);
    if (node.op === 'Concat' && inPlace) {
      const out = place(node.outputs[0]!);
      const axis = (attrInt(node, 'axis') + out.shape.length) % out.shape.length;
      let start = 0;
      node.inputs.forEach((name, k) => {
        const t = read(name);
        if (!inPlace[k]) write(out.buffer, out.offset + start * out.strides[axis]! * 4, out.strides, t);
        start += t.shape[axis]!;
      });
      continue;
    }
    const args = node.inputs.map((name) => (name === '' ? undefined : read(name)));
    const results = cpuKernels[node.op]!(node, args);
    node.outputs.forEach((name, k) => {
      if (name === '') return;
      const p = place(name);
      write(p.buffer, p.offset, p.strides, results[k]!);
    });
  }
  return Object.fromEntries(graph.outputs.map((o) => [o.name, read(o.name)]));
}

/** [first byte, last byte + 1) a tensor can touch. */
function extent(p: TensorPlacement): [number, number] {
  if (sizeOf(p.shape) === 0) return [p.offset, p.offset];
  const elem = p.bytes / sizeOf(p.shape);
  let span = 0;
  p.shape.forEach((d, i) => (span += (d - 1) * p.strides[i]!));
  return [p.offset, p.offset + (span + 1) * elem];
}

/** No two tensors with overlapping live ranges and different roots share a byte; roots aligned; in bounds. */
export function checkNoOverlap(plan: MemoryPlan): void {
  const all = [...plan.tensors.values()];
  const rootOf = (p: TensorPlacement) => p.view?.root ?? p.name;
  for (const p of all) {
    const [lo, hi] = extent(p);
    expect(hi).toBeLessThanOrEqual(plan.buffers[p.buffer]!.bytes);
    expect(lo).toBeGreaterThanOrEqual(0);
    if (!p.view) expect(p.offset % plan.alignment).toBe(0);
  }
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const [a, b] = [all[i]!, all[j]!];
      if (a.buffer !== b.buffer || rootOf(a) === rootOf(b)) continue;
      if (a.lastUse < b.def || b.lastUse < a.def) continue;
      const [alo, ahi] = extent(a);
      const [blo, bhi] = extent(b);
      if (alo < bhi && blo < ahi) throw new Error(`live tensors overlap: ${a.name} [${alo},${ahi}) and ${b.name} [${blo},${bhi})`);
    }
  }
}
