#!/usr/bin/python3
"""Fixture for symbolic-size inputs (docs/dynamic-shapes.md): a torchvision SqueezeNet 1.1 with dynamic N, H and W.

  /usr/bin/python3 tools/export_dynamic_hw.py [-o tests/fixtures/dynamic_hw]

Writes into the folder:
  squeezenet1_1.onnx        squeezenet1_1(weights=None, num_classes=10), torch.manual_seed(0) init, eval mode,
                            opset 13, input 'input' [N, 3, H, W] and output 'output' [N, 10] with symbolic N/H/W
                            (dynamic_axes), no metadata (so nothing tells a runtime an input size);
  output_NxCxHxW.npy        PyTorch's float32 output at each size in SIZES;
  cases.json                per size: shape, input seed, the input's float64 sum (a check that the regenerated
                            input is the one PyTorch saw) and the output file.

Inputs are not stored (they would be 2.5 MB): each is `randomF32(count, seed)` of tests/harness/rng.ts (mulberry32,
values in [-1, 1)), which this script reproduces bit for bit: mulberry32 yields k / 2^32 exactly, -1 + 2·r is
exact in float64, and both sides round that double to float32 the same way (IEEE round-to-nearest-even).
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import onnx
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, '..', 'tests', 'fixtures', 'dynamic_hw')
SIZES = [(1, 3, 160, 200), (2, 3, 224, 224), (1, 3, 320, 240)]
M32 = 0xFFFFFFFF


def mulberry32_f32(count: int, seed: int, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
    """tests/harness/rng.ts randomF32: mulberry32, then lo + (hi - lo) * r in float64, rounded to float32."""
    a = seed & M32
    out = np.empty(count, dtype=np.float64)
    for i in range(count):
        a = (a + 0x6D2B79F5) & M32
        t = a
        t = ((t ^ (t >> 15)) * (t | 1)) & M32  # Math.imul: the low 32 bits of the product
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & M32)) & M32
        out[i] = ((t ^ (t >> 14)) & M32) / 4294967296.0
    return (lo + (hi - lo) * out).astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('-o', '--out', default=DEFAULT_OUT)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)  # deterministic reductions

    torch.manual_seed(0)
    model = torchvision.models.squeezenet1_1(weights=None, num_classes=10).eval()
    path = os.path.join(args.out, 'squeezenet1_1.onnx')
    example = torch.from_numpy(mulberry32_f32(3 * 224 * 224, 1).reshape(1, 3, 224, 224))
    with torch.no_grad():
        torch.onnx.export(model, example, path, input_names=['input'], output_names=['output'], opset_version=13,
                          do_constant_folding=True,
                          dynamic_axes={'input': {0: 'N', 2: 'H', 3: 'W'}, 'output': {0: 'N'}})
    proto = onnx.load(path)
    dims = [d.dim_param or d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ['N', 3, 'H', 'W'], dims
    onnx.checker.check_model(proto)

    cases = []
    for i, shape in enumerate(SIZES):
        seed = 100 + i
        x = mulberry32_f32(int(np.prod(shape)), seed).reshape(shape)
        with torch.no_grad():
            y = model(torch.from_numpy(x)).numpy().astype(np.float32)
        name = 'output_' + 'x'.join(map(str, shape)) + '.npy'
        np.save(os.path.join(args.out, name), y)
        cases.append({'shape': list(shape), 'seed': seed, 'inputSum': float(x.astype(np.float64).sum()),
                      'output': name, 'outputShape': list(y.shape)})
        print(f'{shape}: output {list(y.shape)}, |y| max {np.abs(y).max():.4g}, input sum {cases[-1]["inputSum"]!r}')
    with open(os.path.join(args.out, 'cases.json'), 'w') as f:
        json.dump({'model': 'squeezenet1_1.onnx', 'input': 'input', 'output': 'output',
                   'source': f'torchvision {torchvision.__version__} squeezenet1_1(weights=None, num_classes=10), '
                             f'torch.manual_seed(0), torch {torch.__version__}, opset 13; tools/export_dynamic_hw.py',
                   'cases': cases}, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
