import { describe, expect, it } from 'vitest';
import { GraphBuilder, tensorF32 } from '../../src/graph/builder.js';
import type { Graph } from '../../src/graph/ir.js';
import { topoSort, validateGraph } from '../../src/graph/validate.js';

function chain(): Graph {
  const b = new GraphBuilder();
  b.input('x', 'f32', [1, 4]);
  const a = b.node('Relu', ['x'], {}, 'a');
  const s = b.node('Sigmoid', [a], {}, 'b');
  const t = b.node('Add', [a, s], {}, 'c');
  b.output(t);
  return b.build();
}

describe('validateGraph', () => {
  it('accepts a valid graph and returns the inferred infos', () => {
    const infos = validateGraph(chain());
    expect(infos.get('c_out')).toEqual({ name: 'c_out', dtype: 'f32', shape: [1, 4] });
  });

  it('reports unknown inputs', () => {
    const g = chain();
    g.nodes[1]!.inputs = ['nope'];
    expect(() => validateGraph(g)).toThrowError(/Sigmoid node 'b': unknown input 'nope'/);
  });

  it('reports mis-ordered nodes and says so', () => {
    const g = chain();
    g.nodes = [g.nodes[1]!, g.nodes[0]!, g.nodes[2]!];
    expect(() => validateGraph(g)).toThrowError(/Sigmoid node 'b': nodes are not in topological order.*'a'/);
    // topoSort repairs it.
    const sorted = topoSort(g);
    expect(sorted.nodes.map((n) => n.name)).toEqual(['a', 'b', 'c']);
    expect(() => validateGraph(sorted)).not.toThrow();
  });

  it('reports cycles', () => {
    const g = chain();
    g.nodes[0]!.inputs = ['c_out']; // a <- c <- b <- a
    expect(() => validateGraph(g)).toThrowError(/cycle/);
    expect(() => topoSort(g)).toThrowError(/graph has a cycle: .*'a'/);
    const self = chain();
    self.nodes[1]!.inputs = ['b_out'];
    expect(() => topoSort(self)).toThrowError(/Sigmoid node 'b': graph has a cycle/);
  });

  it('reports duplicate outputs and node names', () => {
    const g = chain();
    g.nodes[1]!.outputs = ['a_out'];
    expect(() => validateGraph(g)).toThrowError(/Sigmoid node 'b': output 'a_out' is produced by more than one node/);
    const n = chain();
    n.nodes[1]!.name = 'a';
    expect(() => validateGraph(n)).toThrowError(/duplicate node name 'a'/);
    const shadow = chain();
    shadow.nodes[0]!.outputs = ['x'];
    expect(() => validateGraph(shadow)).toThrowError(/shadows/);
  });

  it('reports unknown ops listing op and node', () => {
    const g = chain();
    g.nodes[2]!.op = 'Frobnicate';
    expect(() => validateGraph(g)).toThrowError(/Frobnicate node 'c': unknown op 'Frobnicate'/);
  });

  it('reports missing graph outputs and declared shape / dtype mismatches', () => {
    const g = chain();
    g.outputs = [{ name: 'zzz', dtype: 'f32', shape: [1, 4] }];
    expect(() => validateGraph(g)).toThrowError(/graph output 'zzz' is not produced/);
    g.outputs = [{ name: 'c_out', dtype: 'f32', shape: [1, 5] }];
    expect(() => validateGraph(g)).toThrowError(/declared \[1, 5\] but inferred \[1, 4\]/);
    g.outputs = [{ name: 'c_out', dtype: 'i64', shape: [1, 4] }];
    expect(() => validateGraph(g)).toThrowError(/declared i64 but inferred f32/);
    g.outputs = [{ name: 'c_out', dtype: 'f32', shape: [-1, 4] }];
    expect(() => validateGraph(g)).not.toThrow();
  });

  it('surfaces shape-rule errors with node and op', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1, 3, 8, 8]);
    b.init('w', tensorF32([4, 2, 3, 3]));
    b.output(b.node('Conv', ['x', 'w'], {}, 'conv0'));
    expect(() => validateGraph(b.build())).toThrowError(/Conv node 'conv0': input channels 3/);
  });
});

describe('topoSort', () => {
  it('keeps sorted graphs unchanged and orders a shuffled diamond', () => {
    const g = chain();
    expect(topoSort(g).nodes.map((n) => n.name)).toEqual(['a', 'b', 'c']);
    g.nodes = [g.nodes[2]!, g.nodes[1]!, g.nodes[0]!];
    const names = topoSort(g).nodes.map((n) => n.name);
    expect(names).toEqual(['a', 'b', 'c']);
  });

  it('handles long chains without recursion limits', () => {
    const b = new GraphBuilder();
    b.input('x', 'f32', [1]);
    let v = 'x';
    for (let i = 0; i < 20000; i++) v = b.node('Relu', [v], {}, `r${i}`);
    const g = b.build();
    g.nodes.reverse();
    const sorted = topoSort(g);
    expect(sorted.nodes[0]!.name).toBe('r0');
    expect(sorted.nodes[19999]!.name).toBe('r19999');
  });
});
