#!/usr/bin/python3
"""tests/fixtures/bn_exact/bn.npz: PyTorch's float32 BatchNorm2d (eval) on random data, for the bit-for-bit test of
Tessera's CPU BatchNormalization (tests/backends/cpu/batchnorm.test.ts). Usage: /usr/bin/python3 tools/make_bn_exact_fixture.py"""
import os
import numpy as np
import torch

out = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'tests', 'fixtures', 'bn_exact', 'bn.npz')
torch.manual_seed(7)
arrays = {}
for k, eps in enumerate([1e-5, 1e-3]):
    c = 37
    bn = torch.nn.BatchNorm2d(c, eps=eps).eval()
    with torch.no_grad():
        bn.weight.uniform_(-2, 2)
        bn.bias.uniform_(-1, 1)
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.05, 3)
        x = torch.randn(3, c, 9, 11) * 2
        y = bn(x)
    for name, t in [('x', x), ('y', y), ('scale', bn.weight), ('bias', bn.bias), ('mean', bn.running_mean), ('var', bn.running_var)]:
        arrays[f'{name}{k}'] = t.detach().numpy().astype(np.float32)
    arrays[f'eps{k}'] = np.array([eps], np.float64)
np.savez(out, **arrays)
print(f'wrote {out} ({os.path.getsize(out)} bytes)')
