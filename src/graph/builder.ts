/**
 * A tiny graph builder for tests and tools:
 *
 *   const b = new GraphBuilder();
 *   b.input('x', 'f32', [1, 3, 8, 8]);
 *   b.init('w', tensorF32([4, 3, 3, 3], randomValues(108, 1)));
 *   const y = b.node('Conv', ['x', 'w'], { pads: [1, 1, 1, 1] }, 'conv0');   // -> 'conv0_out'
 *   b.output(y);
 *   const graph = b.build();
 *
 * Nodes are kept in insertion order. Outputs declared without dtype/shape get them from shape inference at
 * build() when the graph infers; otherwise they stay as f32 with an empty (undeclared) shape, so that tests can
 * still build deliberately broken graphs.
 */
import { makeTensor, type Attrs, type DType, type Graph, type GraphMetadata, type Node, type Shape, type Tensor, type ValueInfo } from './ir.js';
import { inferShapes } from './infer.js';

export class GraphBuilder {
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: { name: string; dtype?: DType; shape?: number[] }[] = [];
  private readonly nodes: Node[] = [];
  private readonly initializers = new Map<string, Tensor>();
  private meta: GraphMetadata = {};
  private counter = 0;

  input(name: string, dtype: DType, shape: Shape): string {
    this.inputs.push({ name, dtype, shape: [...shape] });
    return name;
  }

  init(name: string, tensor: Tensor): string {
    this.initializers.set(name, tensor);
    return name;
  }

  /** Adds a node; returns its output name (`<name>_out`). */
  node(op: string, inputs: string[], attrs?: Attrs, name?: string): string;
  /** Adds a node with several outputs: a count (`<name>_out0`, ...) or explicit names; returns the names. */
  node(op: string, inputs: string[], attrs: Attrs | undefined, name: string | undefined, outputs: number | string[]): string[];
  node(op: string, inputs: string[], attrs: Attrs = {}, name?: string, outputs?: number | string[]): string | string[] {
    const nodeName = name ?? `${op.toLowerCase()}_${this.counter++}`;
    if (outputs === undefined) {
      const out = `${nodeName}_out`;
      this.nodes.push({ name: nodeName, op, inputs: [...inputs], outputs: [out], attrs });
      return out;
    }
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, (_, i) => `${nodeName}_out${i}`) : [...outputs];
    this.nodes.push({ name: nodeName, op, inputs: [...inputs], outputs: outs, attrs });
    return outs;
  }

  /** Declares a graph output; dtype / shape default to what inference finds at build(). */
  output(name: string, dtype?: DType, shape?: Shape): void {
    this.outputs.push({ name, dtype, shape: shape ? [...shape] : undefined });
  }

  metadata(meta: GraphMetadata): void {
    this.meta = { ...this.meta, ...meta };
  }

  build(): Graph {
    const graph: Graph = {
      inputs: this.inputs.map((i) => ({ ...i, shape: [...i.shape] })),
      outputs: [],
      nodes: this.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs] })),
      initializers: new Map(this.initializers),
      metadata: { ...this.meta },
    };
    let inferred: Map<string, ValueInfo> | undefined;
    if (this.outputs.some((o) => o.dtype === undefined || o.shape === undefined)) {
      try {
        inferred = inferShapes(graph);
      } catch {
        inferred = undefined; // deliberately broken graph: leave outputs undeclared
      }
    }
    graph.outputs = this.outputs.map((o) => {
      const info = inferred?.get(o.name);
      return { name: o.name, dtype: o.dtype ?? info?.dtype ?? 'f32', shape: o.shape ?? (info ? [...info.shape] : []) };
    });
    return graph;
  }
}

/** f32 tensor; `values` defaults to zeros. */
export function tensorF32(shape: Shape, values?: ArrayLike<number>): Tensor {
  return makeTensor('f32', shape, values ? Float32Array.from(values) : undefined);
}

/** i64 tensor from plain numbers. */
export function tensorI64(shape: Shape, values: ArrayLike<number>): Tensor {
  return makeTensor('i64', shape, BigInt64Array.from(Array.from(values, (v) => BigInt(v))));
}

/** Deterministic values in [-1, 1) from a seed (mulberry32), for reproducible test weights. */
export function randomValues(count: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 * 2 - 1;
  }
  return out;
}
