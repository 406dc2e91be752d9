#!/usr/bin/env python3
"""Small dense-prediction-head fixtures for Resize / Upsample / DepthToSpace (issue 18), in the layout of
tests/fixtures/<name>/{model.onnx,input.npy,output.npy} that tests/fixtures.test.ts (onnxruntime and the CPU reference
vs PyTorch) and tests/backends/webgpu/fixtures.test.ts (WebGPU vs PyTorch) pick up automatically.

The head reproduces what torchvision's FCN / DeepLabV3 / LR-ASPP and FPN-style detectors export:
  - FPN top-down step: F.interpolate(g, size=f.shape[-2:], mode='nearest');
  - segmentation output: F.interpolate(y, size=x.shape[-2:], mode='bilinear', align_corners=False);
  - bicubic with align_corners=True and a non-integer scale_factor (opsets >= 11);
  - PixelShuffle (DepthToSpace CRD).
Odd input sizes (17×23). Variants:
  resize_head          opset 13, dynamic H/W (sizes come from Shape → Gather → Concat chains at run time)
  resize_head_op11     opset 11, static shapes (folded to constant sizes)
  upsample_head_op9    opset 9 (Upsample) / upsample_head_op10 (Resize-10): nearest, integer scale factors only
                       (PyTorch's bilinear does not export faithfully at these opsets)
(torch 1.13 exports up to opset 17; opset 18 Resize is covered by tests/backends/cpu/resize_ort.test.ts.)
Random weights (seed 0). Usage: /usr/bin/python3 tools/export_resize_fixtures.py
"""
import os
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures')


class Head(nn.Module):
    def __init__(self, modern: bool):
        super().__init__()
        self.modern = modern
        self.c1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.c2 = nn.Conv2d(8, 8, 3, stride=2, padding=1)
        self.c3 = nn.Conv2d(8, 4, 1)
        self.c4 = nn.Conv2d(8, 16, 1)

    def forward(self, x):
        f = F.relu(self.c1(x))
        g = F.relu(self.c2(f))
        if self.modern:
            f = f + F.interpolate(g, size=f.shape[-2:], mode='nearest')
            y = F.interpolate(self.c3(f), size=x.shape[-2:], mode='bilinear', align_corners=False)
            # (A Slice to x's size would need dynamic ends, which the importer does not take: resize instead.)
            z = F.interpolate(F.pixel_shuffle(self.c4(f), 2), size=x.shape[-2:], mode='nearest')
            c = F.interpolate(y, scale_factor=0.7, mode='bicubic', align_corners=True)
            c = F.interpolate(c, size=x.shape[-2:], mode='bilinear', align_corners=True)
            return torch.cat([y, z, c], 1)
        # Opsets 9/10: nearest with integer scale factors (exact in every exporter).
        f = f + F.interpolate(g, scale_factor=2, mode='nearest')[:, :, : f.shape[2], : f.shape[3]]
        return torch.cat([F.interpolate(self.c3(f), scale_factor=2, mode='nearest'), F.pixel_shuffle(self.c4(f), 2)], 1)


def export(name: str, opset: int, modern: bool, dynamic: bool, shape=(1, 3, 17, 23)) -> None:
    torch.manual_seed(0)
    model = Head(modern).eval()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    if not modern:
        x = x[:, :, :16, :20].copy()  # even sizes: the 2× nearest path crops nothing
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy().astype(np.float32)
    folder = os.path.join(ROOT, name)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, 'model.onnx')
    axes = {'input': {2: 'H', 3: 'W'}, 'output': {2: 'H', 3: 'W'}} if dynamic else None
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter('ignore')
        torch.onnx.export(model, torch.from_numpy(x), path, input_names=['input'], output_names=['output'],
                          opset_version=opset, do_constant_folding=True, dynamic_axes=axes)
    proto = onnx.load(path)
    entry = proto.metadata_props.add()
    entry.key, entry.value = 'fixture', f'{name} (opset {opset}): dense-prediction head, Resize/Upsample/DepthToSpace'
    onnx.checker.check_model(proto)
    onnx.save(proto, path)
    np.save(os.path.join(folder, 'input.npy'), x)
    np.save(os.path.join(folder, 'output.npy'), y)
    ops = sorted({n.op_type for n in proto.graph.node})
    print(f'{name:22s} in {list(x.shape)} out {list(y.shape)} ops: {" ".join(ops)}')


if __name__ == '__main__':
    export('resize_head', 13, True, True)
    export('resize_head_op11', 11, True, False)
    export('upsample_head_op9', 9, False, False)
    export('upsample_head_op10', 10, False, False)
