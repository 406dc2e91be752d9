#!/usr/bin/python3
"""Write the PyTorch-generated ONNX conformance fixtures to tests/fixtures/<name>/.

Each fixture folder holds model.onnx, input.npy (float32, seeded random unless stated) and output.npy (PyTorch's
own float32 output for that input). tests/fixtures.test.ts imports every model with Tessera and compares.

  /usr/bin/python3 tools/make_fixtures.py                 # all fixtures
  /usr/bin/python3 tools/make_fixtures.py conv2d pad      # only these (base names; opset variants follow them)
  /usr/bin/python3 tools/make_fixtures.py --list

Deterministic: torch.manual_seed per fixture (seeded from its name), so reruns give byte-identical .npy files (the .onnx bytes may change
with the torch version).
"""
from __future__ import annotations

import argparse
import gzip
import os
import sys
import warnings
import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import helper, numpy_helper

from cifar_resnet import REPO_ROOT, SHARED_DATA, CifarResNet, default_checkpoint, load_checkpoint, normalize, \
    read_cifar_test

FIXTURE_DIR = os.path.join(REPO_ROOT, 'tests', 'fixtures')


def randomize_bn(bn: nn.modules.batchnorm._BatchNorm, gen: torch.Generator) -> None:
    """Eval-mode BN with non-trivial statistics (default ones make BN an identity and would hide bugs)."""
    with torch.no_grad():
        bn.weight.copy_(torch.rand(bn.weight.shape, generator=gen) + 0.5)
        bn.bias.copy_(torch.randn(bn.bias.shape, generator=gen) * 0.3)
        bn.running_mean.copy_(torch.randn(bn.running_mean.shape, generator=gen) * 0.5)
        bn.running_var.copy_(torch.rand(bn.running_var.shape, generator=gen) * 1.5 + 0.25)


# --------------------------------------------------------------------------------------------------------------
# Models, one per op family. Inputs are small; every module is built after torch.manual_seed(seed).

class Conv2dVariants(nn.Module):
    """Stride, padding (incl. asymmetric per-axis), dilation, bias / no bias, non-square kernels."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 8, 3, stride=1, padding=1, bias=True)
        self.b = nn.Conv2d(8, 8, 3, stride=2, padding=0, bias=False)
        self.c = nn.Conv2d(8, 6, 3, stride=1, padding=2, dilation=2, bias=True)
        self.d = nn.Conv2d(6, 5, (3, 5), stride=(2, 1), padding=(1, 2), bias=True)
        self.e = nn.Conv2d(5, 4, 1, bias=True)

    def forward(self, x):
        return self.e(self.d(self.c(torch.relu(self.b(self.a(x))))))


class GroupedConv(nn.Module):
    """groups=2, depthwise (groups=C) with channel multiplier 2, depthwise stride 2, then pointwise."""

    def __init__(self):
        super().__init__()
        self.grouped = nn.Conv2d(8, 12, 3, padding=1, groups=2)
        self.depthwise_mult = nn.Conv2d(12, 24, 3, padding=1, groups=12, bias=False)
        self.depthwise_s2 = nn.Conv2d(24, 24, 3, stride=2, padding=1, groups=24)
        self.pointwise = nn.Conv2d(24, 10, 1)

    def forward(self, x):
        x = torch.relu(self.grouped(x))
        x = self.depthwise_s2(self.depthwise_mult(x))
        return self.pointwise(x)


class Conv1dNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv1d(4, 8, 5, stride=2, padding=2)
        self.b = nn.Conv1d(8, 8, 3, dilation=2, padding=2, groups=4, bias=False)
        self.pool = nn.MaxPool1d(3, stride=2, padding=1)
        self.avg = nn.AvgPool1d(2, stride=2)

    def forward(self, x):
        return self.avg(self.pool(torch.relu(self.b(torch.relu(self.a(x))))))


class Conv3dNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv3d(2, 4, 3, padding=1)
        self.b = nn.Conv3d(4, 6, (1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1), bias=False)
        self.maxpool = nn.MaxPool3d(2, stride=2)
        self.avgpool = nn.AvgPool3d((1, 2, 2), stride=1, padding=(0, 1, 1), count_include_pad=False)

    def forward(self, x):
        x = self.maxpool(torch.relu(self.a(x)))
        return self.avgpool(self.b(x))


class BatchNormNet(nn.Module):
    """BN placed where torch.onnx cannot fuse it into a Conv, so BatchNormalization nodes survive export."""

    def __init__(self, gen):
        super().__init__()
        self.bn_in = nn.BatchNorm2d(3)
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        self.bn_after_relu = nn.BatchNorm2d(6, eps=1e-3)
        self.bn_1d = nn.BatchNorm1d(6)
        for bn in (self.bn_in, self.bn_after_relu, self.bn_1d):
            randomize_bn(bn, gen)

    def forward(self, x):
        x = self.bn_after_relu(torch.relu(self.conv(self.bn_in(x))))
        n, c, h, w = x.shape
        return self.bn_1d(x.reshape(n, c, h * w)).reshape(n, c, h, w)


class ConvBnUnfused(nn.Module):
    """Conv/Linear followed by BN, exported with TrainingMode.PRESERVE so torch does NOT fold BN into the Conv
    (its eval-mode peephole would): exercises Tessera's own BN folding."""

    def __init__(self, gen):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=4, bias=True)
        self.bn2 = nn.BatchNorm2d(8, eps=1e-3)
        self.fc = nn.Linear(8 * 4 * 4, 6)
        self.bn3 = nn.BatchNorm1d(6)
        for bn in (self.bn1, self.bn2, self.bn3):
            randomize_bn(bn, gen)

    def forward(self, x):                                   # x: [2, 3, 8, 8]
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.bn2(self.conv2(x)) + 0.5
        return self.bn3(self.fc(torch.flatten(x, 1)))


class Activations(nn.Module):
    def forward(self, x):
        parts = [
            torch.relu(x), F.leaky_relu(x, 0.1), F.relu6(x), F.hardtanh(x, -0.5, 2.0), torch.sigmoid(x),
            F.hardsigmoid(x), F.hardswish(x), torch.tanh(x),
        ]
        return torch.cat(parts, dim=1)


class Elementwise(nn.Module):
    """Binary ops against constants of every broadcast form, plus scalars and x-with-itself."""

    def __init__(self):
        super().__init__()
        self.register_buffer('row', torch.randn(5))                  # [W]
        self.register_buffer('per_channel', torch.randn(3, 1, 1))    # [C,1,1]
        self.register_buffer('per_height', torch.randn(1, 4, 1))     # [1,H,1]
        self.register_buffer('per_batch', torch.randn(2, 1, 1, 1))   # [N,1,1,1]
        self.register_buffer('divisor', torch.rand(3, 1, 5) + 0.5)  # [C,1,W], away from 0

    def forward(self, x):
        a = x + self.row
        b = a - self.per_channel
        c = b * self.per_height
        d = c / self.divisor
        e = torch.minimum(d, self.per_batch)
        f = torch.maximum(d, self.per_channel * 0.5)
        g = (x * 2.0 + 1.0) - x / 4.0
        # Reduce the (broadcasted) inner dims back to x's shape in different ways, then stack.
        return torch.cat([a, b, c, d, e, f, g, x * x - x], dim=1)


class ConcatSplitSlice(nn.Module):
    def forward(self, x):                                   # x: [2, 6, 8, 10]
        p, q, r = torch.split(x, [1, 2, 3], dim=1)          # Split with sizes
        h1, h2 = torch.chunk(x, 2, dim=3)                   # equal split
        strided = x[:, :, ::2, ::2]                         # [2,6,4,5]
        negative = x[:, -3:-1, 1:-1, -5:]                   # negative starts/ends -> [2,2,6,5]
        flipped = torch.flip(x, dims=[3])                   # Slice with step -1
        odd = x[:, 1::2, :, 1::3]                           # [2,3,8,3]
        a = torch.cat([r, p, q], dim=1) + flipped
        b = torch.cat([h2, h1], dim=3) * 0.5
        c = torch.cat([strided.flatten(1), negative.flatten(1), odd.flatten(1)], dim=1)
        return torch.cat([a.flatten(1), b.flatten(1), c], dim=1)


class PadModes(nn.Module):
    def forward(self, x):                                   # x: [1, 3, 6, 7]
        const = F.pad(x, (1, 2, 0, 3), mode='constant', value=0.5)     # [1,3,9,10]
        reflect = F.pad(x, (2, 1, 3, 0), mode='reflect')               # [1,3,9,10]
        edge = F.pad(x, (1, 2, 2, 1), mode='replicate')                # [1,3,9,10]
        chan = F.pad(x, (0, 0, 0, 0, 1, 1))                             # channel zero padding [1,5,6,7]
        return torch.cat([const.flatten(1), reflect.flatten(1), edge.flatten(1), chan.flatten(1)], dim=1)


class ReshapeFamily(nn.Module):
    """Channel shuffle (reshape -> transpose -> reshape), flatten, squeeze/unsqueeze, reshape with -1 and 0."""

    def __init__(self, groups: int = 3):
        super().__init__()
        self.groups = groups
        self.conv = nn.Conv2d(6, 6, 1)

    def forward(self, x):                                   # x: [2, 6, 4, 5]
        n, c, h, w = x.shape
        s = x.view(n, self.groups, c // self.groups, h, w).transpose(1, 2).contiguous().view(n, c, h, w)
        s = self.conv(s)
        t = s.permute(0, 2, 3, 1)                           # NHWC
        u = t.unsqueeze(1).squeeze(1)                       # round trip
        v = u.reshape(n, -1, c)                             # [2, 20, 6]
        v = v.unsqueeze(2)                                  # [2, 20, 1, 6]
        v = v.squeeze(2).transpose(1, 2)                    # [2, 6, 20]
        return torch.cat([torch.flatten(v, 1), torch.flatten(s, 1)], dim=1)


class Pooling2d(nn.Module):
    def __init__(self):
        super().__init__()
        self.max_ceil = nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)
        self.max_dilated = nn.MaxPool2d(2, stride=1, dilation=2)
        self.avg_excl = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)
        self.avg_incl = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=True)
        self.avg_ceil = nn.AvgPool2d(2, stride=2, ceil_mode=True)
        self.avg_rect = nn.AvgPool2d((2, 3), stride=(1, 2))

    def forward(self, x):                                   # x: [1, 2, 9, 11]
        parts = [self.max_ceil(x), self.max_dilated(x), self.avg_excl(x), self.avg_incl(x), self.avg_ceil(x),
                 self.avg_rect(x)]
        return torch.cat([p.flatten(1) for p in parts], dim=1)


class ConvTransposeNet(nn.Module):
    """Decoder / DB-head style upsampling: ConvTranspose2d k4 s2 p1 + BN + ReLU, grouped k3 s2 p1 output_padding 1,
    and a dilated, strided, asymmetric-kernel one without bias."""

    def __init__(self, gen):
        super().__init__()
        self.up1 = nn.ConvTranspose2d(4, 6, 4, stride=2, padding=1)
        self.bn = nn.BatchNorm2d(6)
        randomize_bn(self.bn, gen)
        self.up2 = nn.ConvTranspose2d(6, 6, 3, stride=2, padding=1, output_padding=1, groups=3)
        self.up3 = nn.ConvTranspose2d(6, 2, (2, 3), stride=(3, 2), padding=(1, 0), dilation=2, bias=False)

    def forward(self, x):                                   # x: [1, 4, 5, 6]
        y = F.relu(self.bn(self.up1(x)))                    # [1, 6, 10, 12]
        y = self.up2(y)                                     # [1, 6, 20, 24]
        return self.up3(y)                                  # [1, 2, 58, 51]


class GlobalReduce(nn.Module):
    def forward(self, x):                                   # x: [2, 4, 5, 6]
        parts = [
            F.adaptive_avg_pool2d(x, 1),                    # GlobalAveragePool
            F.adaptive_max_pool2d(x, 1),                    # MaxPool over the whole map; see use_global_max_pool
            x.mean(dim=(2, 3), keepdim=True),               # ReduceMean keepdims
            x.mean(dim=1),                                  # ReduceMean no keepdims
            x.amax(dim=(1, 3)),                             # ReduceMax
            x.sum(dim=-1),                                  # ReduceSum (axes input at opset 13)
        ]
        return torch.cat([p.flatten(1) for p in parts], dim=1)


class GemmMatMul(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(12, 7)                          # 2-D input -> Gemm
        self.fc_nobias = nn.Linear(7, 5, bias=False)
        self.token_fc = nn.Linear(4, 6)                     # 3-D input -> MatMul + Add
        self.register_buffer('right', torch.randn(3, 6, 2))  # batched MatMul weight

    def forward(self, x):                                   # x: [3, 3, 4]
        flat = x.flatten(1)                                 # [3, 12]
        a = self.fc_nobias(torch.relu(self.fc(flat)))       # [3, 5]
        t = self.token_fc(x)                                # [3, 3, 6]
        b = torch.matmul(t, self.right)                     # [3, 3, 2] batched
        c = torch.matmul(x, x.transpose(1, 2))              # [3, 3, 3] activation x activation
        return torch.cat([a, b.flatten(1), c.flatten(1)], dim=1)


class SoftmaxNet(nn.Module):
    def forward(self, x):                                   # x: [2, 5, 3, 4]
        return torch.cat([torch.softmax(x, dim=1).flatten(1), torch.softmax(x, dim=-1).flatten(1),
                          torch.softmax(x.flatten(1) * 3.0, dim=1)], dim=1)


class DropoutNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.drop2d = nn.Dropout2d(0.3)
        self.fc = nn.Linear(4 * 6 * 6, 5)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.fc(self.drop(torch.flatten(self.drop2d(torch.relu(self.conv(x))), 1)))


class MnistLeNet(nn.Module):
    """LeNet-5-like: conv5 -> relu -> maxpool2 -> conv5 -> relu -> maxpool2 -> 3 linear layers."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 4 * 4, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = F.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


# --------------------------------------------------------------------------------------------------------------
# Inputs

def seeded_input(shape, seed: int, scale: float = 1.0) -> np.ndarray:
    gen = torch.Generator().manual_seed(seed + 1000)
    return (torch.randn(shape, generator=gen) * scale).numpy().astype(np.float32)


def cifar_images(indices) -> np.ndarray:
    images, _ = read_cifar_test(os.path.join(SHARED_DATA, 'cifar10'), max(indices) + 1)
    return normalize(images[list(indices)])


def mnist_images(indices) -> np.ndarray:
    with gzip.open(os.path.join(SHARED_DATA, 'mnist', 't10k-images-idx3-ubyte.gz'), 'rb') as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8)
    images = raw[16:].reshape(-1, 1, 28, 28)[list(indices)].astype(np.float32) / np.float32(255)
    return ((images - np.float32(0.1307)) / np.float32(0.3081)).astype(np.float32)


def pretrained_resnet20() -> nn.Module:
    model = CifarResNet(20)
    checkpoint = default_checkpoint(20)
    if checkpoint is None:
        raise FileNotFoundError('resnet20 checkpoint not found under ../shared/data/pretrained')
    load_checkpoint(model, checkpoint)
    return model


# --------------------------------------------------------------------------------------------------------------
# Post-export edits

def splice_dropout_nodes(proto: onnx.ModelProto) -> None:
    """torch.onnx drops Dropout in eval mode; put real Dropout nodes back so the importer must remove them.

    One opset-13 Dropout with ratio/training_mode inputs and a mask output, one with only the data input.
    """
    graph = proto.graph
    targets = [n for n in graph.node if n.op_type in ('Relu', 'Flatten')]
    for index, node in enumerate(targets[:2]):
        old = node.output[0]
        fresh = f'{old}_before_dropout'
        node.output[0] = fresh
        if index == 0:
            graph.initializer.append(numpy_helper.from_array(np.array(0.3, dtype=np.float32), 'dropout_ratio'))
            graph.initializer.append(numpy_helper.from_array(np.array(False), 'dropout_training'))
            drop = helper.make_node('Dropout', [fresh, 'dropout_ratio', 'dropout_training'], [old, f'{old}_mask'],
                                    name=f'spliced_dropout_{index}')
        else:
            drop = helper.make_node('Dropout', [fresh], [old], name=f'spliced_dropout_{index}')
        position = list(graph.node).index(node) + 1
        graph.node.insert(position, drop)


def use_global_max_pool(proto: onnx.ModelProto) -> None:
    """torch exports adaptive_max_pool2d(x, 1) as a MaxPool whose kernel is the whole map; ONNX has GlobalMaxPool
    for exactly that, so swap it in (same values) to cover the op."""
    for node in proto.graph.node:
        if node.op_type == 'MaxPool':
            node.op_type = 'GlobalMaxPool'
            del node.attribute[:]


# --------------------------------------------------------------------------------------------------------------
# Registry

@dataclass
class Fixture:
    name: str
    build: Callable[[torch.Generator], nn.Module]
    make_input: Callable[[int], np.ndarray]
    opsets: tuple[int, ...] = (13,)
    note: str = ''
    post: Callable[[onnx.ModelProto], None] | None = None
    training: torch.onnx.TrainingMode = torch.onnx.TrainingMode.EVAL


def shape_input(*shape, scale: float = 1.0):
    return lambda seed: seeded_input(shape, seed, scale)


FIXTURES: list[Fixture] = [
    Fixture('conv2d', lambda g: Conv2dVariants(), shape_input(2, 3, 17, 15),
            note='Conv 2-D: stride 2, pad 0/1/2, per-axis pads, dilation 2, (3,5) kernel, bias/no bias'),
    Fixture('conv_grouped', lambda g: GroupedConv(), shape_input(1, 8, 9, 9),
            note='groups=2, depthwise x2 multiplier, depthwise stride 2, pointwise'),
    Fixture('conv1d', lambda g: Conv1dNet(), shape_input(2, 4, 33),
            note='Conv1d stride/pad/dilation/groups, MaxPool1d with pad, AvgPool1d'),
    Fixture('conv3d', lambda g: Conv3dNet(), shape_input(1, 2, 6, 8, 8),
            note='Conv3d, MaxPool3d, AvgPool3d (count_include_pad=False, padding)'),
    Fixture('conv_transpose', lambda g: ConvTransposeNet(g), shape_input(1, 4, 5, 6), opsets=(13, 11),
            note='ConvTranspose2d k4 s2 p1 + BN + ReLU, groups 3 with output_padding 1, dilation 2 / stride (3,2) / '
                 'kernel (2,3) without bias'),
    Fixture('batchnorm', lambda g: BatchNormNet(g), shape_input(2, 3, 5, 6),
            note='BatchNormalization on 4-D and 3-D inputs, eps 1e-5 and 1e-3, randomized running stats'),
    Fixture('conv_bn', lambda g: ConvBnUnfused(g), shape_input(2, 3, 8, 8),
            training=torch.onnx.TrainingMode.PRESERVE,
            note='Conv(no bias)+BN+Relu, grouped Conv(bias)+BN, Gemm+BN on 2-D: BN left unfused by torch'),
    Fixture('activations', lambda g: Activations(), shape_input(2, 3, 4, 5, scale=4.0), opsets=(13, 9, 11, 14),
            note='Relu, LeakyRelu, Clip (ReLU6, Hardtanh), Sigmoid, HardSigmoid, Tanh; HardSwish (opset 14; '
                 'x*HardSigmoid(x) before)'),
    Fixture('elementwise', lambda g: Elementwise(), shape_input(2, 3, 4, 5), opsets=(13, 9),
            note='Add/Sub/Mul/Div/Min/Max against [W], [C,1,1], [1,H,1], [N,1,1,1], [C,1,W] and scalars'),
    Fixture('concat_split_slice', lambda g: ConcatSplitSlice(), shape_input(2, 6, 8, 10), opsets=(13, 11),
            note='Split (sizes / equal), Slice with steps 2 and 3, negative indices, flip (step -1), Concat'),
    Fixture('pad', lambda g: PadModes(), shape_input(1, 3, 6, 7), opsets=(13, 9, 11),
            note='Pad constant (value 0.5), reflect, edge, channel zero padding'),
    Fixture('reshape', lambda g: ReshapeFamily(), shape_input(2, 6, 4, 5), opsets=(13, 9, 11),
            note='channel shuffle (Reshape/Transpose/Reshape via Shape ops), Flatten, Squeeze, Unsqueeze'),
    Fixture('pooling2d', lambda g: Pooling2d(), shape_input(1, 2, 9, 11), opsets=(13, 11),
            note='MaxPool ceil_mode + pad, dilated MaxPool, AveragePool count_include_pad 0/1, ceil_mode'),
    Fixture('global_reduce', lambda g: GlobalReduce(), shape_input(2, 4, 5, 6), opsets=(13, 11),
            post=use_global_max_pool,
            note='GlobalAveragePool, GlobalMaxPool, ReduceMean (keepdims 0/1), ReduceMax, ReduceSum'),
    Fixture('gemm_matmul', lambda g: GemmMatMul(), shape_input(3, 3, 4), opsets=(13, 9),
            note='Gemm (with/without bias), MatMul 3-D x const, batched MatMul of activations'),
    Fixture('softmax', lambda g: SoftmaxNet(), shape_input(2, 5, 3, 4), opsets=(13, 11),
            note='Softmax over axis 1 of 4-D, last axis, 2-D'),
    Fixture('dropout', lambda g: DropoutNet(), shape_input(2, 3, 6, 6), post=splice_dropout_nodes,
            note='Dropout nodes spliced back in (ratio/training_mode inputs, mask output); must vanish'),
    Fixture('resnet20', lambda g: pretrained_resnet20(), lambda seed: cifar_images([0, 1]),
            note='pretrained akamaster ResNet-20, CIFAR-10 test images 0 and 1, normalized'),
    Fixture('mnist_lenet', lambda g: MnistLeNet(), lambda seed: mnist_images([0, 1, 2]),
            note='LeNet-style net with random weights, MNIST test images 0-2 normalized'),
]


def fixture_dir_name(fixture: Fixture, opset: int) -> str:
    return fixture.name if opset == fixture.opsets[0] else f'{fixture.name}_op{opset}'


def write_fixture(fixture: Fixture, opset: int, seed: int) -> str:
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = fixture.build(gen).eval()
    x = fixture.make_input(seed)
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy().astype(np.float32)
    folder = os.path.join(FIXTURE_DIR, fixture_dir_name(fixture, opset))
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, 'model.onnx')
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter('ignore')
        torch.onnx.export(model, torch.from_numpy(x), path, input_names=['input'], output_names=['output'],
                          opset_version=opset, do_constant_folding=True, training=fixture.training)
    proto = onnx.load(path)
    if fixture.post:
        fixture.post(proto)
    entry = proto.metadata_props.add()
    entry.key, entry.value = 'fixture', f'{fixture.name} (opset {opset}): {fixture.note}'
    onnx.checker.check_model(proto)
    onnx.save(proto, path)
    np.save(os.path.join(folder, 'input.npy'), x)
    np.save(os.path.join(folder, 'output.npy'), y)
    ops = sorted({n.op_type for n in proto.graph.node})
    return f'{os.path.basename(folder):28s} in {list(x.shape)} out {list(y.shape)}  ops: {" ".join(ops)}'


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('names', nargs='*', help='fixture base names (default: all)')
    p.add_argument('--list', action='store_true')
    p.add_argument('--seed', type=int, default=7)
    args = p.parse_args(argv)
    if args.list:
        for f in FIXTURES:
            print(f'{f.name:20s} opsets {",".join(map(str, f.opsets)):8s} {f.note}')
        return 0
    unknown = set(args.names) - {f.name for f in FIXTURES}
    if unknown:
        p.error(f'unknown fixture(s): {", ".join(sorted(unknown))}')
    torch.set_num_threads(1)  # bit-for-bit stable outputs regardless of the machine's core count
    for fixture in FIXTURES:
        if args.names and fixture.name not in args.names:
            continue
        # Seed from the name, so adding or reordering fixtures leaves the others' data unchanged.
        seed = args.seed + zlib.crc32(fixture.name.encode()) % 100_000
        for opset in fixture.opsets:
            print(write_fixture(fixture, opset, seed))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
