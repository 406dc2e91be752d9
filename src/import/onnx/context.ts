/**
 * The importer's working state while it walks the ONNX graph in topological order: known constants, static value
 * infos, symbolic shape vectors, emitted canonical nodes, and the name allocator.
 *
 * `add(node)` is the single entry point for a canonical node: it folds the node when every input is a constant
 * (Shape of a statically shaped tensor counts as constant), otherwise emits it and records its output infos from the
 * op's shape rule.
 */
import { makeTensor, type DType, type Node, type Shape, type Tensor, type ValueInfo } from '../../graph/ir.js';
import type { CpuKernel } from '../../backends/cpu/types.js';
import type { InputInfo, OutputInfo, ShapeRule } from '../../graph/ops/types.js';
import { OnnxImportError } from './errors.js';
import { checkLimit, checkShapeLimits } from '../../load/limits.js';
import { macRules } from '../../graph/stats.js';
import { evalSymbolic, isKnown, symFromShape, symFromTensor, type SymValue } from './symbolic.js';

export interface ImportServices {
  shapeRules: Record<string, ShapeRule>;
  kernels: Record<string, CpuKernel>;
}

export class ImportContext {
  readonly constants = new Map<string, Tensor>();
  readonly infos = new Map<string, ValueInfo>();
  readonly symbolic = new Map<string, SymValue>();
  readonly nodes: Node[] = [];
  readonly notes: string[] = [];
  /** Tensors consumed by some live source node or by a graph output (set by the importer before normalising). */
  readonly used = new Set<string>();
  /** Sequence values (SequenceEmpty, SequenceInsert...): lists of tensor names, resolved at import (sequences.ts). */
  readonly sequences = new Map<string, string[]>();
  /** Nodes inlined plus Loop iterations run at import, over the whole model (nested loops included): see `unroll`. */
  private unrolledWork = 0;
  private readonly tensorNames = new Set<string>();
  private readonly nodeNames = new Set<string>();
  /** Next suffix to try per base name: keeps naming linear when a hostile model gives every node the same name. */
  private readonly nextSuffix = new Map<string, number>();

  constructor(
    readonly opset: number,
    private readonly services: ImportServices,
  ) {}

  // ----- names -----

  /** Register names that exist in the source model so generated names never collide with them. */
  reserveTensorName(name: string): void {
    this.tensorNames.add(name);
  }

  freshTensorName(base: string): string {
    return this.fresh(this.tensorNames, base, 't');
  }

  freshNodeName(base: string): string {
    return this.fresh(this.nodeNames, base, 'n');
  }

  private fresh(taken: Set<string>, base: string, kind: string): string {
    let name = base;
    const key = `${kind}:${base}`;
    for (let i = this.nextSuffix.get(key) ?? 1; taken.has(name); i++) {
      name = `${base}_${i}`;
      this.nextSuffix.set(key, i + 1);
    }
    taken.add(name);
    return name;
  }

  /**
   * Counts `count` units of If / Loop resolution (inlined nodes, iterations) against `maxNodes`, for the whole import:
   * a Loop nested in a Loop cannot multiply its way past the limit, and empty bodies still count.
   */
  unroll(count: number, where: string): void {
    this.unrolledWork += count;
    checkLimit('maxNodes', this.unrolledWork, where, 'nodes and iterations unrolled from If / Loop at import');
  }

  // ----- values -----

  isUsed(name: string): boolean {
    return this.used.has(name);
  }

  constant(name: string): Tensor | undefined {
    return name === '' ? undefined : this.constants.get(name);
  }

  /** dtype and shape of a value, from a constant or from shape inference; undefined when unknown. */
  info(name: string): { dtype: DType; shape: Shape } | undefined {
    const c = this.constants.get(name);
    if (c) return { dtype: c.dtype, shape: c.shape };
    return this.infos.get(name);
  }

  /** Shape of an input the normaliser needs (e.g. its rank); throws naming the node when unknown. */
  requireShape(name: string, node: Node, what: string): Shape {
    const info = this.info(name);
    if (!info)
      throw new OnnxImportError(`needs the shape of ${what} '${name}', which could not be inferred`, nodeWhere(node));
    return info.shape;
  }

  sym(name: string): SymValue | undefined {
    if (name === '') return undefined;
    const s = this.symbolic.get(name);
    if (s) return s;
    const c = this.constants.get(name);
    return c ? symFromTensor(c) : undefined;
  }

  addConstant(name: string, t: Tensor): void {
    this.constants.set(name, t);
    this.tensorNames.add(name);
  }

  // ----- nodes -----

  /** Fold or emit one canonical node. */
  add(node: Node): void {
    for (const o of node.outputs) this.tensorNames.add(o);
    if (this.tryFold(node)) return;
    this.nodes.push(node);
    this.trackSymbolic(node);
    this.inferOutputs(node);
    this.foldKnownSymbolic(node);
  }

  /**
   * A shape-arithmetic value whose entries are all known although its source is not a constant (e.g. `Shape(x)[1]`
   * with only the batch of x symbolic) becomes a constant, so what is computed from it (Mul of dims, Unsqueeze,
   * Cast...) folds with the ordinary kernels instead of blocking a Reshape target.
   */
  private foldKnownSymbolic(node: Node): void {
    const out = node.outputs[0]!;
    const sym = this.symbolic.get(out);
    const info = this.infos.get(out);
    if (!sym || !info || !sym.items.every(isKnown) || (info.dtype !== 'i64' && info.dtype !== 'i32')) return;
    const shape = sym.scalar ? [] : [sym.items.length];
    if (info.shape.length !== shape.length || (shape.length === 1 && info.shape[0] !== shape[0])) return;
    const values = sym.items as number[];
    const data = info.dtype === 'i64' ? BigInt64Array.from(values, BigInt) : Int32Array.from(values);
    this.nodes.pop();
    this.symbolic.delete(out);
    this.infos.delete(out);
    this.addConstant(out, makeTensor(info.dtype, shape, data));
  }

  private tryFold(node: Node): boolean {
    if (node.op === 'Shape') {
      const info = this.info(node.inputs[0] ?? '');
      if (!info || !info.shape.every((d) => d >= 0)) return false;
      const s = symFromShape('', info.shape, numAttr(node, 'start', 0), numAttr(node, 'end', info.shape.length));
      const values = s.items as number[];
      this.addConstant(node.outputs[0]!, makeTensor('i64', [values.length], BigInt64Array.from(values, BigInt)));
      return true;
    }
    const present = node.inputs.filter((n) => n !== '');
    if (present.length === 0 || !present.every((n) => this.constants.has(n))) return false;
    const kernel = Object.hasOwn(this.services.kernels, node.op) ? this.services.kernels[node.op] : undefined;
    if (!kernel) {
      this.notes.push(`not folded (no CPU kernel): ${node.op} '${node.name}'`);
      return false;
    }
    this.checkFoldCost(node);
    let outs: Tensor[];
    try {
      outs = kernel(
        node,
        node.inputs.map((n) => this.constant(n)),
      );
    } catch (e) {
      throw new OnnxImportError(`constant folding failed: ${e instanceof Error ? e.message : String(e)}`, nodeWhere(node));
    }
    node.outputs.forEach((o, i) => {
      if (o === '') return;
      const t = outs[i];
      if (!t) throw new OnnxImportError(`constant folding produced no output ${i}`, nodeWhere(node));
      this.addConstant(o, t);
    });
    return true;
  }

  /**
   * Folding runs a kernel at load time on sizes that come from the file: bound the output elements and the MACs
   * (from the shape rule, before the kernel allocates anything).
   */
  private checkFoldCost(node: Node): void {
    const rule = Object.hasOwn(this.services.shapeRules, node.op) ? this.services.shapeRules[node.op] : undefined;
    if (!rule) return;
    const inputs = node.inputs.map((n) => {
      const t = this.constant(n);
      return t ? { dtype: t.dtype, shape: t.shape, value: t } : undefined;
    });
    let outs: OutputInfo[];
    try {
      outs = rule(node, inputs);
    } catch (e) {
      throw new OnnxImportError(`constant folding failed: ${e instanceof Error ? e.message : String(e)}`, nodeWhere(node));
    }
    const shapes = new Map<string, Shape>();
    node.inputs.forEach((n, i) => inputs[i] && shapes.set(n, inputs[i]!.shape));
    node.outputs.forEach((name, i) => {
      const o = outs[i];
      if (!o) return;
      checkShapeLimits(o.shape, nodeWhere(node), 'maxFoldElements');
      shapes.set(name, o.shape);
    });
    const macRule = Object.hasOwn(macRules, node.op) ? macRules[node.op] : undefined;
    if (macRule) checkLimit('maxFoldMacs', macRule(node, (n) => shapes.get(n)), nodeWhere(node), 'multiply-accumulates of folding');
  }

  private trackSymbolic(node: Node): void {
    if (node.outputs.length !== 1) return;
    let value: SymValue | undefined;
    if (node.op === 'Shape') {
      const info = this.info(node.inputs[0] ?? '');
      if (info) value = symFromShape(node.inputs[0]!, info.shape, numAttr(node, 'start', 0), numAttr(node, 'end', info.shape.length));
    } else {
      const ins = node.inputs.map((n) => this.sym(n));
      if (ins.some((s) => s !== undefined)) value = evalSymbolic(node, ins);
    }
    if (value) this.symbolic.set(node.outputs[0]!, value);
  }

  private inferOutputs(node: Node): void {
    const rule = Object.hasOwn(this.services.shapeRules, node.op) ? this.services.shapeRules[node.op] : undefined;
    if (!rule) {
      this.notes.push(`no shape rule for ${node.op}; outputs of '${node.name}' have unknown shapes`);
      return;
    }
    const inputs: (InputInfo | undefined)[] = [];
    for (const n of node.inputs) {
      if (n === '') {
        inputs.push(undefined);
        continue;
      }
      const info = this.info(n);
      if (!info) return; // an upstream shape is unknown: leave these outputs unknown too
      const value = this.constants.get(n);
      inputs.push(value ? { dtype: info.dtype, shape: info.shape, value } : { dtype: info.dtype, shape: info.shape });
    }
    const outs = rule(node, inputs);
    node.outputs.forEach((name, i) => {
      const o = outs[i];
      if (name === '' || !o) return;
      checkShapeLimits(o.shape, `${nodeWhere(node)} output '${name}'`, 'maxValueElements');
      this.infos.set(name, { name, dtype: o.dtype, shape: o.shape });
    });
  }
}

export function nodeWhere(node: Node): string {
  return `${node.op} node '${node.name}'`;
}

function numAttr(node: Node, key: string, dflt: number): number {
  const v = node.attrs[key];
  return typeof v === 'number' ? v : dflt;
}
