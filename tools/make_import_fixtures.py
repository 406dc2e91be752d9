#!/usr/bin/python3
"""Generate the small ONNX models that test the importer (tests/fixtures/onnx-import/).

  /usr/bin/python3 tools/make_import_fixtures.py [--out tests/fixtures/onnx-import]

Each numeric case writes  <case>.onnx,  <case>.in.<input>.npy  and  <case>.out.<output>.npy.  Expected outputs are
computed here with plain numpy (onnx 1.12 has no reference evaluator), independently of the TypeScript code under
test. Error cases write only <case>.onnx. Everything is seeded, so re-running reproduces the same bytes for the
onnx.helper models (the torch exports may differ in producer metadata between torch versions).
"""
from __future__ import annotations

import argparse
import io
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(20240611)
F = TensorProto.FLOAT


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def vi(name, shape, elem=F):
    return helper.make_tensor_value_info(name, elem, shape)


def const_i64(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def model(nodes, inputs, outputs, opset, initializers=(), name='fixture', check=True):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=list(initializers))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid('', opset)], producer_name='make_import_fixtures')
    m.ir_version = 7 if opset < 15 else 8
    if check:
        onnx.checker.check_model(m)
    return m


class Writer:
    def __init__(self, out):
        self.out = out
        os.makedirs(out, exist_ok=True)

    def case(self, name, m, inputs=None, outputs=None):
        onnx.save(m, os.path.join(self.out, f'{name}.onnx'))
        for key, arr in (inputs or {}).items():
            np.save(os.path.join(self.out, f'{name}.in.{key}.npy'), arr)
        for key, arr in (outputs or {}).items():
            np.save(os.path.join(self.out, f'{name}.out.{key}.npy'), np.asarray(arr))


# ---------------------------------------------------------------------------------------------------------------
# numpy references


def onnx_slice(x, starts, ends, axes, steps=None):
    sl = [slice(None)] * x.ndim
    steps = steps or [1] * len(starts)
    for s, e, a, st in zip(starts, ends, axes, steps):
        sl[a] = slice(s, e, st)  # python slicing clamps like ONNX for these values
    return x[tuple(sl)]


def np_pad(x, pads, mode, value=0.0):
    r = x.ndim
    widths = [(pads[i], pads[i + r]) for i in range(r)]
    if mode == 'constant':
        return np.pad(x, widths, mode='constant', constant_values=value)
    return np.pad(x, widths, mode=mode)


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def maxpool2(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


# ---------------------------------------------------------------------------------------------------------------
# cases


def legacy_slice(w):
    x = rand(1, 2, 6, 6)
    node = helper.make_node('Slice', ['x'], ['y'], starts=[1, -4], ends=[5, 1000], axes=[2, 3], name='slice')
    m = model([node], [vi('x', [1, 2, 6, 6])], [vi('y', [1, 2, 4, 4])], opset=9)
    w.case('slice_opset9', m, {'x': x}, {'y': onnx_slice(x, [1, -4], [5, 1000], [2, 3])})


def legacy_pad(w):
    x = rand(1, 2, 3, 3)
    p1 = [0, 0, 1, 2, 0, 0, 2, 1]
    p2 = [0, 0, 1, 1, 0, 0, 1, 1]
    nodes = [
        helper.make_node('Pad', ['x'], ['a'], pads=p1, mode='constant', value=0.5, name='pad_const'),
        helper.make_node('Pad', ['a'], ['y'], pads=p2, mode='reflect', name='pad_reflect'),
    ]
    m = model(nodes, [vi('x', [1, 2, 3, 3])], [vi('y', [1, 2, 8, 8])], opset=2, check=False)
    y = np_pad(np_pad(x, p1, 'constant', 0.5), p2, 'reflect')
    w.case('pad_opset2', m, {'x': x}, {'y': y})


def legacy_clip(w):
    x = rand(2, 5)
    node = helper.make_node('Clip', ['x'], ['y'], min=-0.5, max=0.25, name='clip')
    m = model([node], [vi('x', [2, 5])], [vi('y', [2, 5])], opset=6)
    w.case('clip_opset6', m, {'x': x}, {'y': np.clip(x, -0.5, 0.25)})


def legacy_split_squeeze(w):
    x = rand(1, 3, 4, 4)
    nodes = [
        helper.make_node('Split', ['x'], ['s0', 's1'], axis=1, split=[1, 2], name='split_sizes'),
        helper.make_node('Squeeze', ['s0'], ['a'], axes=[1], name='squeeze'),
        helper.make_node('Unsqueeze', ['a'], ['e'], axes=[0], name='unsqueeze'),
        helper.make_node('Split', ['x'], ['c', 'd'], axis=3, name='split_equal'),
    ]
    outs = [vi('e', [1, 1, 4, 4]), vi('s1', [1, 2, 4, 4]), vi('c', [1, 3, 4, 2]), vi('d', [1, 3, 4, 2])]
    m = model(nodes, [vi('x', [1, 3, 4, 4])], outs, opset=11)
    e = np.expand_dims(np.squeeze(x[:, 0:1], axis=1), 0)
    expected = {'e': e, 's1': x[:, 1:3], 'c': x[..., :2], 'd': x[..., 2:]}
    w.case('split_squeeze_opset11', m, {'x': x}, expected)


def legacy_softmax(w):
    x = rand(2, 3, 2, 2)
    nodes = [
        helper.make_node('Softmax', ['x'], ['y'], axis=1, name='softmax_axis1'),
        helper.make_node('Softmax', ['x'], ['z'], axis=3, name='softmax_last'),
    ]
    m = model(nodes, [vi('x', [2, 3, 2, 2])], [vi('y', [2, 3, 2, 2]), vi('z', [2, 3, 2, 2])], opset=11)
    # Opset < 13: coerce to 2-D [2, 12] and normalise each row.
    y = softmax(x.reshape(2, 12), axis=1).reshape(x.shape)
    w.case('softmax_opset11', m, {'x': x}, {'y': y, 'z': softmax(x, axis=3)})


def legacy_broadcast(w):
    x = rand(1, 3, 2, 2)
    b = rand(3)
    c = rand(2)
    nodes = [
        helper.make_node('Add', ['x', 'b'], ['a'], broadcast=1, axis=1, name='add_axis1'),
        helper.make_node('Mul', ['a', 'c'], ['y'], broadcast=1, name='mul_suffix'),
    ]
    m = model(nodes, [vi('x', [1, 3, 2, 2])], [vi('y', [1, 3, 2, 2])], opset=6,
              initializers=[numpy_helper.from_array(b, 'b'), numpy_helper.from_array(c, 'c')])
    y = (x + b.reshape(3, 1, 1)) * c
    w.case('broadcast_opset6', m, {'x': x}, {'y': y})


def legacy_misc(w):
    """BatchNormalization with legacy attrs, Dropout with unused mask, MaxPool with unused Indices (opset 8)."""
    x = rand(1, 2, 4, 4)
    scale, bias, mean = rand(2), rand(2), rand(2)
    var = (np.abs(rand(2)) + 0.5).astype(np.float32)
    inits = [numpy_helper.from_array(a, n) for a, n in [(scale, 's'), (bias, 'bb'), (mean, 'm'), (var, 'v')]]
    nodes = [
        helper.make_node('BatchNormalization', ['x', 's', 'bb', 'm', 'v'], ['bn'], epsilon=1e-3, spatial=1, name='bn'),
        helper.make_node('Dropout', ['bn'], ['dr', 'mask'], ratio=0.3, name='dropout'),
        helper.make_node('MaxPool', ['dr'], ['y', 'idx'], kernel_shape=[2, 2], strides=[2, 2], name='pool'),
    ]
    m = model(nodes, [vi('x', [1, 2, 4, 4])], [vi('y', [1, 2, 2, 2])], opset=8, initializers=inits)
    bn = (x - mean.reshape(1, 2, 1, 1)) / np.sqrt(var.reshape(1, 2, 1, 1) + 1e-3) * scale.reshape(1, 2, 1, 1) + bias.reshape(1, 2, 1, 1)
    w.case('bn_dropout_pool_opset8', m, {'x': x}, {'y': maxpool2(bn.astype(np.float32))})

    # Same graph, but the Indices output is a graph output: must be rejected.
    m2 = model(nodes, [vi('x', [1, 2, 4, 4])], [vi('y', [1, 2, 2, 2]), vi('idx', [1, 2, 2, 2], TensorProto.INT64)],
               opset=8, initializers=inits)
    w.case('maxpool_indices_used', m2)


def modern_opset13(w):
    """Constant inputs of opset >= 11/13: Clip, Pad, Slice (negative step), Split, Squeeze, ReduceSum, Softmax."""
    x = rand(1, 2, 4, 4)
    inits = [
        numpy_helper.from_array(np.array(-0.3, np.float32), 'lo'),
        numpy_helper.from_array(np.array(0.6, np.float32), 'hi'),
        const_i64('pads', [0, 0, 1, 0, 0, 0, 0, 2]),
        numpy_helper.from_array(np.array(-1.0, np.float32), 'padval'),
        const_i64('starts', [-1]), const_i64('ends', [-1000]), const_i64('axes3', [3]), const_i64('steps', [-2]),
        const_i64('split', [1, 1]), const_i64('axes1', [1]), const_i64('axes23', [2, 3]),
    ]
    nodes = [
        helper.make_node('Clip', ['x', 'lo', 'hi'], ['c'], name='clip'),
        helper.make_node('Pad', ['c', 'pads', 'padval'], ['p'], name='pad'),  # [1,2,5,6]
        helper.make_node('Slice', ['p', 'starts', 'ends', 'axes3', 'steps'], ['sl'], name='slice'),  # [1,2,5,3]
        helper.make_node('Split', ['sl', 'split'], ['s0', 's1'], axis=1, name='split'),
        helper.make_node('Squeeze', ['s0', 'axes1'], ['sq'], name='squeeze'),  # [1,5,3]
        helper.make_node('ReduceSum', ['s1', 'axes23'], ['rs'], keepdims=0, name='reducesum'),  # [1,1]
        helper.make_node('Softmax', ['sl'], ['sm'], name='softmax'),  # axis -1
    ]
    outs = [vi('sq', [1, 5, 3]), vi('rs', [1, 1]), vi('sm', [1, 2, 5, 3])]
    m = model(nodes, [vi('x', [1, 2, 4, 4])], outs, opset=13, initializers=inits)
    c = np.clip(x, -0.3, 0.6)
    p = np_pad(c, [0, 0, 1, 0, 0, 0, 0, 2], 'constant', -1.0)
    sl = p[..., ::-1][..., ::2]  # start -1, step -2 over the last axis
    expected = {'sq': sl[:, 0], 'rs': sl[:, 1:2].sum(axis=(2, 3)), 'sm': softmax(sl, axis=-1)}
    w.case('inputs_opset13', m, {'x': x}, expected)


def opset18(w):
    """Opset 18: ReduceMean/ReduceMax axes as inputs, Split num_outputs, Pad axes input. (onnx 1.12 cannot check.)"""
    x = rand(1, 2, 5, 4)
    inits = [const_i64('axes', [2, 3]), const_i64('pads', [1, 2]), const_i64('padaxes', [3])]
    nodes = [
        helper.make_node('ReduceMean', ['x', 'axes'], ['mean'], keepdims=1, name='mean'),
        helper.make_node('ReduceMax', ['x', 'axes'], ['max'], keepdims=0, name='max'),
        helper.make_node('Split', ['x'], ['a', 'b', 'c'], axis=2, num_outputs=3, name='split3'),
        helper.make_node('Pad', ['x', 'pads', '', 'padaxes'], ['p'], mode='edge', name='pad_axes'),
    ]
    outs = [vi('mean', [1, 2, 1, 1]), vi('max', [1, 2]), vi('a', [1, 2, 2, 4]), vi('b', [1, 2, 2, 4]),
            vi('c', [1, 2, 1, 4]), vi('p', [1, 2, 5, 7])]
    m = model(nodes, [vi('x', [1, 2, 5, 4])], outs, opset=18, initializers=inits, check=False)
    expected = {'mean': x.mean(axis=(2, 3), keepdims=True), 'max': x.max(axis=(2, 3)), 'a': x[:, :, 0:2],
                'b': x[:, :, 2:4], 'c': x[:, :, 4:5], 'p': np.pad(x, [(0, 0), (0, 0), (0, 0), (1, 2)], mode='edge')}
    w.case('opset18', m, {'x': x}, expected)


def unsupported(w):
    nodes = [
        helper.make_node('Relu', ['x'], ['r'], name='relu'),
        helper.make_node('FancyNorm', ['r'], ['f1'], name='fancy_a'),
        helper.make_node('Mystery', ['f1'], ['m'], name='mystery_1'),
        helper.make_node('FancyNorm', ['m'], ['y'], name='fancy_b'),
        helper.make_node('Unused', ['x'], ['dead'], name='dead_node'),
    ]
    m = model(nodes, [vi('x', [1, 4])], [vi('y', [1, 4])], opset=13, check=False)
    w.case('unsupported_ops', m)


def f16_initializer(w):
    x = rand(2, 3)
    wh = rand(3).astype(np.float16)
    nodes = [
        helper.make_node('Cast', ['w16'], ['w32'], to=F, name='cast_w'),
        helper.make_node('Mul', ['x', 'w32'], ['y'], name='mul'),
    ]
    m = model(nodes, [vi('x', [2, 3])], [vi('y', [2, 3])], opset=13, initializers=[numpy_helper.from_array(wh, 'w16')])
    w.case('f16_initializer', m, {'x': x}, {'y': x * wh.astype(np.float32)})
    np.save(os.path.join(w.out, 'f16_initializer.weight.npy'), wh)


def constant_variants(w):
    x = rand(2, 6)
    t = rand(6)
    nodes = [
        helper.make_node('Constant', [], ['k_tensor'], value=numpy_helper.from_array(t), name='c_tensor'),
        helper.make_node('Constant', [], ['k_float'], value_float=2.5, name='c_float'),
        helper.make_node('Constant', [], ['k_floats'], value_floats=[1.0, -1.0, 0.5, 2.0, 0.0, 3.0], name='c_floats'),
        helper.make_node('Constant', [], ['k_ints'], value_ints=[3, 4], name='c_ints'),
        helper.make_node('Constant', [], ['k_int'], value_int=1, name='c_int'),
        helper.make_node('Mul', ['x', 'k_float'], ['a'], name='mul'),
        helper.make_node('Add', ['a', 'k_floats'], ['b'], name='add'),
        helper.make_node('Sub', ['b', 'k_tensor'], ['d'], name='sub'),
        helper.make_node('Reshape', ['d', 'k_ints'], ['r'], name='reshape'),  # [3, 4]
        helper.make_node('Unsqueeze', ['k_int'], ['k_int1'], axes=[0], name='unsq'),
        helper.make_node('Gather', ['r', 'k_int1'], ['y'], axis=0, name='gather'),  # row 1 -> [1, 4]
    ]
    m = model(nodes, [vi('x', [2, 6])], [vi('y', [1, 4])], opset=12)
    d = x * 2.5 + np.array([1.0, -1.0, 0.5, 2.0, 0.0, 3.0], np.float32) - t
    w.case('constant_variants', m, {'x': x}, {'y': d.reshape(3, 4)[[1]]})


def external_data(w):
    t = numpy_helper.from_array(rand(4), 'w')
    from onnx.external_data_helper import set_external_data
    set_external_data(t, location='weights.bin', offset=0, length=16)
    t.data_location = TensorProto.EXTERNAL
    t.ClearField('raw_data')  # the payload would live in weights.bin, which is deliberately not written
    node = helper.make_node('Add', ['x', 'w'], ['y'], name='add')
    m = model([node], [vi('x', [4])], [vi('y', [4])], opset=13, initializers=[t], check=False)
    w.case('external_data', m)


def handmade_shape_chain(w):
    """The chain torch emits for x.view(x.size(0), -1), built by hand, with a symbolic batch dim 'N'."""
    x = rand(3, 2, 2, 2)
    inits = [const_i64('zero', 0), const_i64('minus1', [-1]), numpy_helper.from_array(rand(8, 5), 'W')]
    nodes = [
        helper.make_node('Relu', ['x'], ['r'], name='relu'),
        helper.make_node('Shape', ['r'], ['shape'], name='shape'),
        helper.make_node('Gather', ['shape', 'zero'], ['n'], axis=0, name='gather'),
        helper.make_node('Unsqueeze', ['n'], ['n1'], axes=[0], name='unsqueeze'),
        helper.make_node('Concat', ['n1', 'minus1'], ['target'], axis=0, name='concat'),
        helper.make_node('Reshape', ['r', 'target'], ['flat'], name='reshape'),
        helper.make_node('MatMul', ['flat', 'W'], ['y'], name='matmul'),
    ]
    m = model(nodes, [vi('x', ['N', 2, 2, 2])], [vi('y', ['N', 5])], opset=11, initializers=inits)
    W = numpy_helper.to_array(inits[2])
    w.case('shape_chain_symbolic', m, {'x': x}, {'y': np.maximum(x, 0).reshape(3, -1) @ W})


def torch_flatten(w):
    import torch

    torch.manual_seed(0)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 2, 3, padding=1)
            self.fc = torch.nn.Linear(2 * 3 * 3, 4)

        def forward(self, x):
            x = torch.nn.functional.max_pool2d(torch.relu(self.conv(x)), 2)
            return torch.softmax(self.fc(x.view(x.size(0), -1)), dim=1)

    net = Net().eval()
    x = torch.randn(2, 1, 6, 6, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        y = net(x).numpy()
    for tag, dynamic, opset in [('fixed_opset11', False, 11), ('dynamic_opset13', True, 13)]:
        buf = io.BytesIO()
        torch.onnx.export(net, x, buf, opset_version=opset, input_names=['x'], output_names=['y'],
                          dynamic_axes={'x': {0: 'batch'}, 'y': {0: 'batch'}} if dynamic else None,
                          do_constant_folding=False)
        m = onnx.load_from_string(buf.getvalue())
        w.case(f'torch_flatten_{tag}', m, {'x': x.numpy()}, {'y': y})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'onnx-import'))
    args = ap.parse_args()
    w = Writer(args.out)
    for make in [legacy_slice, legacy_pad, legacy_clip, legacy_split_squeeze, legacy_softmax, legacy_broadcast,
                 legacy_misc, modern_opset13, opset18, unsupported, f16_initializer, constant_variants, external_data,
                 handmade_shape_chain, torch_flatten]:
        make(w)
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print(f'wrote {len(os.listdir(args.out))} files, {total} bytes, to {os.path.normpath(args.out)}')


if __name__ == '__main__':
    main()
