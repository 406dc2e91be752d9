"""Shared helpers for the model zoo: seeded random weights with realistic BatchNorm statistics, ONNX export.

Random weights are He-normal; every BatchNorm gets a random affine transform and running statistics measured on
random inputs (only the BN layers in training mode, so dropout / stochastic depth / DropBlock stay in inference
form), then jittered so mean/var are not exactly the batch statistics. Calibrated statistics keep activations O(1)
through 100+ layers; pure random statistics would blow up or vanish.
"""
from __future__ import annotations

import os
import sys
from typing import Sequence

import numpy as np
import onnx
import torch
import torch.nn as nn

TOOLS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if TOOLS_DIR not in sys.path:
    sys.path.insert(0, TOOLS_DIR)  # tools/cifar_resnet.py

CONV_TYPES = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)


def he_init(model: nn.Module, gen: torch.Generator) -> None:
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, CONV_TYPES):
                fan_in = m.weight[0].numel()  # (in / groups) * kernel volume
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
            elif isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.2)


def batchnorms(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def calibrate_bn(model: nn.Module, gen: torch.Generator, input_shape: Sequence[int], batches: int = 3,
                 batch_size: int = 4) -> None:
    """Running statistics from random inputs (cumulative average), BN layers alone in training mode; then jitter."""
    bns = batchnorms(model)
    model.eval()
    if not bns:
        return
    with torch.no_grad():
        for m in bns:
            m.reset_running_stats()
            m.momentum = None
            m.train()
        for _ in range(batches):
            model(torch.randn((batch_size, *input_shape[1:]), generator=gen))
        for m in bns:
            m.running_mean.add_(torch.randn(m.running_mean.shape, generator=gen) * 0.05)
            m.running_var.mul_(torch.rand(m.running_var.shape, generator=gen) * 0.4 + 0.8)
            m.momentum = 0.1
    model.eval()


def randomize(model: nn.Module, seed: int, input_shape: Sequence[int], batch_size: int = 4) -> nn.Module:
    gen = torch.Generator().manual_seed(seed)
    he_init(model, gen)
    calibrate_bn(model, gen, input_shape, batch_size=batch_size)
    return model.eval()


def seeded_input(shape: Sequence[int], seed: int) -> np.ndarray:
    gen = torch.Generator().manual_seed(seed + 7919)
    return torch.randn(tuple(shape), generator=gen).numpy().astype(np.float32)


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def export_onnx(model: nn.Module, x: torch.Tensor, path: str, metadata: dict[str, str], opset: int = 13) -> None:
    """Static batch-1 export. TrainingMode.PRESERVE (model in eval) keeps BatchNormalization nodes unfused, so the
    Tessera importer/passes, not torch, fold them; torch still drops eval-mode Dropout."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with torch.no_grad():
        out = model(x)
    # Under no_grad, nn.MultiheadAttention (ViT) takes its fused fast path, aten::_native_multi_head_attention, which
    # has no ONNX symbolic; with grad enabled it runs the plain ops (the same math). Every other model keeps exporting
    # under no_grad exactly as before.
    has_mha = any(isinstance(m, nn.MultiheadAttention) for m in model.modules())
    with torch.set_grad_enabled(has_mha):
        torch.onnx.export(model, x, path, input_names=['input'], output_names=['output'], opset_version=opset,
                          do_constant_folding=True, training=torch.onnx.TrainingMode.PRESERVE)
    proto = onnx.load(path)
    # torch names some output dims symbolically (Flatten/Gemm batch) even for a static export; pin them.
    for dim, size in zip(proto.graph.output[0].type.tensor_type.shape.dim, out.shape):
        if dim.HasField('dim_param') or dim.dim_value != size:
            dim.ClearField('dim_param')
            dim.dim_value = int(size)
    del proto.metadata_props[:]
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    onnx.save(proto, path)
