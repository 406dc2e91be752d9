/** Symbolic shape vectors and the Reshape-target rewrite rules for dynamic dims. */
import { describe, expect, it } from 'vitest';
import type { Node } from '../../../src/graph/ir.js';
import { evalSymbolic, resolveReshapeTarget, symFromShape, type SymValue } from '../../../src/import/onnx/symbolic.js';
import { importOnnx } from '../../../src/import/onnx/index.js';
import { encodeModel, int64Init, node, valueInfo } from './helpers.js';

const n = (op: string, attrs: Node['attrs'] = {}): Node => ({ name: op, op, inputs: [], outputs: ['o'], attrs });
const dim = (tensor: string, d: number) => ({ tensor, dim: d });

describe('evalSymbolic', () => {
  const shape = symFromShape('x', [-1, 3, -1, 5]);

  it('Shape keeps known dims and names unknown ones', () => {
    expect(shape.items).toEqual([dim('x', 0), 3, dim('x', 2), 5]);
    expect(symFromShape('x', [-1, 3, 4], 1).items).toEqual([3, 4]);
  });

  it('Gather / Unsqueeze / Concat / Slice / Squeeze track entries', () => {
    const idx: SymValue = { scalar: true, items: [-2] };
    const g = evalSymbolic(n('Gather', { axis: 0 }), [shape, idx])!;
    expect(g).toEqual({ scalar: true, items: [dim('x', 2)] });
    const u = evalSymbolic(n('Unsqueeze', { axes: [0] }), [g])!;
    expect(u).toEqual({ scalar: false, items: [dim('x', 2)] });
    const c = evalSymbolic(n('Concat', { axis: 0 }), [u, { scalar: false, items: [-1, 7] }])!;
    expect(c.items).toEqual([dim('x', 2), -1, 7]);
    expect(evalSymbolic(n('Slice', { starts: [1], ends: [3], axes: [0], steps: [1] }), [shape])!.items).toEqual([3, dim('x', 2)]);
    expect(evalSymbolic(n('Squeeze', { axes: [0] }), [u])).toEqual({ scalar: true, items: [dim('x', 2)] });
  });

  it('gives up on ops and arguments it does not model', () => {
    expect(evalSymbolic(n('Mul'), [shape, shape])).toBeUndefined();
    expect(evalSymbolic(n('Gather', { axis: 0 }), [shape, { scalar: true, items: [9] }])).toBeUndefined();
    expect(evalSymbolic(n('Cast', { to: 'f32' }), [shape])).toBeUndefined();
  });
});

describe('resolveReshapeTarget', () => {
  it('copies (0) an unknown dim taken from the same position of the reshaped tensor', () => {
    expect(resolveReshapeTarget('x', { scalar: false, items: [dim('x', 0), -1] }, false)).toEqual([0, -1]);
  });

  it('infers (-1) a single unknown entry when the target has no -1', () => {
    expect(resolveReshapeTarget('y', { scalar: false, items: [dim('x', 0), 16] }, false)).toEqual([-1, 16]);
    expect(resolveReshapeTarget('x', { scalar: false, items: [4, dim('x', 0)] }, false)).toEqual([4, -1]);
  });

  it('refuses what it cannot prove', () => {
    // another tensor's dim together with -1
    expect(resolveReshapeTarget('y', { scalar: false, items: [dim('x', 0), -1] }, false)).toBeUndefined();
    // two unknowns at foreign positions
    expect(resolveReshapeTarget('x', { scalar: false, items: [dim('x', 1), dim('x', 0)] }, false)).toBeUndefined();
    // allowzero=1: 0 would mean a zero-sized dim, not a copy
    expect(resolveReshapeTarget('x', { scalar: false, items: [dim('x', 0), -1] }, true)).toBeUndefined();
  });
});

describe('import with a symbolic target', () => {
  it('Reshape to [batch, 4, 4] from another tensor`s batch dim becomes [-1, 4, 4] and runs', () => {
    const bytes = encodeModel({
      nodes: [
        node('Shape', ['x'], ['s']),
        node('Gather', ['s', 'i0'], ['b']),
        node('Concat', ['b', 'rest'], ['t'], 'cat', [{ name: 'axis', type: 2, i: 0 }]),
        node('Relu', ['x'], ['r']),
        node('Reshape', ['r', 't'], ['y'], 'to3d'),
      ],
      inputs: [valueInfo('x', ['N', 16])],
      outputs: [valueInfo('y', ['N', 4, 4])],
      initializers: [int64Init('i0', [0]), int64Init('rest', [4, 4])],
    });
    const g = importOnnx(bytes);
    expect(g.nodes.map((x) => [x.op, x.attrs['shape']])).toEqual([['Relu', undefined], ['Reshape', [-1, 4, 4]]]);
    expect(g.outputs[0]!.shape).toEqual([-1, 4, 4]);
  });
});
