#!/usr/bin/python3
"""Our own PyTorch definitions of the XNOR-Net models of ../shared/data/pretrained/cooooorn-pytorch-xnor-net/
(Bin_LeNet, LeNet, Bin_VGG13) plus a binary-weight (BWN) CIFAR ResNet, written for inference and ONNX export.

Binary layer (per the checkpoint README): BatchNorm of the layer's input -> sign with 0 -> -1 -> conv / linear with
+-1 weights -> times alpha[o] -> + bias. For export the layer is written as
    BatchNormalization -> Where(Greater(x, 0), 1, -1) -> [Pad(value -1)] -> Conv / Gemm with +-alpha[o] float weights
which is what Tessera's `binarize` pass recognises (src/graph/passes/binarize.ts). `torch.sign` would map 0 to 0,
which is not these checkpoints' semantics, so the sign is spelled with `torch.where`.

Packed checkpoint weights: int32 [out, ceil(n/32)], n = in*kh*kw (or in_features) in PyTorch flatten order;
element j is bit j%32 (LSB first) of word j//32; bit 1 -> +1, bit 0 -> -1.
"""
from __future__ import annotations

import gzip
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.path.join(os.path.dirname(REPO_ROOT), 'shared', 'data')
XNOR_DIR = os.path.join(SHARED_DATA, 'pretrained', 'cooooorn-pytorch-xnor-net')
CHECKPOINTS = {
    'bin_lenet': os.path.join(XNOR_DIR, 'Bin_LeNet.best9945.pth'),
    'lenet': os.path.join(XNOR_DIR, 'LeNet.best9950.pth'),
    'bin_vgg13': os.path.join(XNOR_DIR, 'Bin_VGG13.best8520.pth'),
}
MNIST_MEAN, MNIST_STD = [0.1307], [0.3081]
CIFAR_MEAN, CIFAR_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


# ---------------------------------------------------------------------------------------------------------------
# Bits

def unpack_bits(packed: torch.Tensor, n: int) -> torch.Tensor:
    """int32 [out, words] -> float +-1 [out, n] (bit j%32 of word j//32, LSB first; 1 -> +1)."""
    words = packed.to(torch.int64) & 0xFFFFFFFF  # reinterpret int32 as unsigned
    shifts = torch.arange(32, dtype=torch.int64)
    bits = (words.unsqueeze(-1) >> shifts) & 1  # [out, words, 32]
    bits = bits.reshape(packed.shape[0], -1)[:, :n]
    return bits.to(torch.float32) * 2 - 1


def pack_bits(signs: torch.Tensor) -> torch.Tensor:
    """Inverse of unpack_bits: float +-1 [out, n] -> int32 [out, ceil(n/32)] (used by tests and random models)."""
    out, n = signs.shape
    words = (n + 31) // 32
    bits = torch.zeros(out, words * 32, dtype=torch.int64)
    bits[:, :n] = (signs > 0).to(torch.int64)
    weights = torch.ones(32, dtype=torch.int64) << torch.arange(32, dtype=torch.int64)
    packed = (bits.reshape(out, words, 32) * weights).sum(-1)
    packed = torch.where(packed >= 2 ** 31, packed - 2 ** 32, packed)
    return packed.to(torch.int32)


def binarize(x: torch.Tensor) -> torch.Tensor:
    """sign with 0 -> -1 (exported as Greater + Where)."""
    return torch.where(x > 0, torch.tensor(1.0), torch.tensor(-1.0))


# ---------------------------------------------------------------------------------------------------------------
# Binary layers

class BinConv2d(nn.Module):
    """BN(in) -> sign -> conv with +-alpha weights (+ bias). pad_value -1: padded positions act as -1 (the original
    CUDA kernel); 0: PyTorch zero padding of the +-1 map."""

    def __init__(self, cin: int, cout: int, k: int, padding: int, bias: bool, pad_value: float = -1.0):
        super().__init__()
        self.bn = nn.BatchNorm2d(cin)
        self.weight = nn.Parameter(torch.zeros(cout, cin, k, k), requires_grad=False)
        self.bias = nn.Parameter(torch.zeros(cout), requires_grad=False) if bias else None
        self.padding = padding
        self.pad_value = pad_value
        # scale_after: compute conv(+-1 inputs, +-1 weights) * alpha + bias, the checkpoint's own order of operations
        # (its README, step 3-4): the integer sum is exact in float32, so PyTorch rounds only twice per output, like
        # an XNOR-popcount kernel. Off: one conv with +-alpha weights (float32 sums of +-alpha values round at every
        # step). Both export graphs that Tessera's binarize pass turns into the same BinaryConv.
        self.scale_after = False
        self.register_buffer('alpha', torch.ones(cout), persistent=False)

    def load_packed(self, packed: torch.Tensor, alpha: torch.Tensor) -> None:
        shape = self.weight.shape
        signs = unpack_bits(packed, shape[1] * shape[2] * shape[3]).reshape(shape)
        self.weight.data = signs * alpha.reshape(-1, 1, 1, 1)
        self.alpha = alpha.reshape(-1).float().clone()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = binarize(self.bn(x))
        p = self.padding
        if p and self.pad_value != 0:
            x = F.pad(x, [p, p, p, p], value=self.pad_value)
            p = 0
        if not self.scale_after:
            return F.conv2d(x, self.weight, self.bias, padding=p)
        signs = torch.where(self.weight > 0, 1.0, -1.0).to(x.dtype)
        y = F.conv2d(x, signs, None, padding=p) * self.alpha.to(x.dtype).reshape(1, -1, 1, 1)
        return y if self.bias is None else y + self.bias.reshape(1, -1, 1, 1)


class BinLinear(nn.Module):
    def __init__(self, fin: int, fout: int, bias: bool):
        super().__init__()
        self.bn = nn.BatchNorm1d(fin)
        self.weight = nn.Parameter(torch.zeros(fout, fin), requires_grad=False)
        self.bias = nn.Parameter(torch.zeros(fout), requires_grad=False) if bias else None
        self.scale_after = False  # see BinConv2d
        self.register_buffer('alpha', torch.ones(fout), persistent=False)

    def load_packed(self, packed: torch.Tensor, alpha: torch.Tensor) -> None:
        signs = unpack_bits(packed, self.weight.shape[1])
        self.weight.data = signs * alpha.reshape(-1, 1)
        self.alpha = alpha.reshape(-1).float().clone()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = binarize(self.bn(x))
        if not self.scale_after:
            return F.linear(x, self.weight, self.bias)
        y = F.linear(x, torch.where(self.weight > 0, 1.0, -1.0).to(x.dtype)) * self.alpha.to(x.dtype)
        return y if self.bias is None else y + self.bias


# ---------------------------------------------------------------------------------------------------------------
# Models

class LeNet(nn.Module):
    """Bin_LeNet (binary=True) / LeNet: conv1 -> bn1 -> relu -> pool -> conv2 -> bn2 -> relu -> pool -> fc1 -> bn3 ->
    relu -> fc2. In Bin_LeNet conv2 and fc1 are binary layers."""

    def __init__(self, binary: bool):
        super().__init__()
        self.binary = binary
        self.conv1 = nn.Conv2d(1, 20, 5, bias=False)
        self.bn1 = nn.BatchNorm2d(20)
        self.conv2 = BinConv2d(20, 50, 5, 0, bias=False) if binary else nn.Conv2d(20, 50, 5, bias=False)
        self.bn2 = nn.BatchNorm2d(50)
        self.fc1 = BinLinear(800, 500, bias=False) if binary else nn.Linear(800, 500, bias=False)
        self.bn3 = nn.BatchNorm1d(500)
        self.fc2 = nn.Linear(500, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.bn3(self.fc1(x)))
        return self.fc2(x)


VGG13_PLAN = [64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M']


class BinVGG13(nn.Module):
    """features.conv0 (float) -> bn0 -> relu, then per plan entry a binary 3x3 conv (with bias) -> BN -> ReLU, or a
    2x2 max pool; the checkpoint numbers modules as in an nn.Sequential (conv1/bn2, conv5/bn6, ...)."""

    def __init__(self, pad_value: float = -1.0):
        super().__init__()
        layers: dict[str, nn.Module] = {'conv0': nn.Conv2d(3, 64, 3, padding=1), 'bn0': nn.BatchNorm2d(64), 'relu0': nn.ReLU()}
        idx, cin = 1, 64
        for v in VGG13_PLAN:
            if v == 'M':
                layers[f'pool{idx}'] = nn.MaxPool2d(2)
                idx += 1
            else:
                layers[f'conv{idx}'] = BinConv2d(cin, v, 3, 1, bias=True, pad_value=pad_value)
                layers[f'bn{idx + 1}'] = nn.BatchNorm2d(v)
                layers[f'relu{idx + 2}'] = nn.ReLU()
                idx += 3
                cin = v
        self.features = nn.Sequential()
        for name, module in layers.items():
            self.features.add_module(name, module)
        self.classifier = nn.Linear(512, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


def load_xnor_state(model: nn.Module, path: str) -> None:
    """Loads a checkpoint: float tensors by name, packed int32 weights (+ alpha) decoded into +-alpha weights."""
    state = torch.load(path, map_location='cpu')
    modules = dict(model.named_modules())
    plain: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        prefix, _, leaf = key.rpartition('.')
        module = modules.get(prefix)
        if isinstance(module, (BinConv2d, BinLinear)) and leaf == 'weight':
            module.load_packed(value, state[prefix + '.alpha'])
        elif isinstance(module, (BinConv2d, BinLinear)) and leaf == 'alpha':
            continue
        else:
            plain[key] = value.float()
    own = model.state_dict()
    bin_weights = {f'{n}.weight' for n, m in modules.items() if isinstance(m, (BinConv2d, BinLinear))}
    missing = [k for k in own if k not in plain and k not in bin_weights and not k.endswith('num_batches_tracked')]
    unexpected = [k for k in plain if k not in own]
    if missing or unexpected:
        raise ValueError(f'{path}: missing {missing}, unexpected {unexpected}')
    model.load_state_dict(plain, strict=False)


def build(name: str, pad_value: float = -1.0, scale_after: bool = False) -> nn.Module:
    """'bin_lenet' | 'lenet' | 'bin_vgg13', loaded from the shared checkpoints, in eval mode. scale_after: binary
    layers multiply by alpha after the +-1 product (see BinConv2d)."""
    model = {'bin_lenet': lambda: LeNet(True), 'lenet': lambda: LeNet(False), 'bin_vgg13': lambda: BinVGG13(pad_value)}[name]()
    load_xnor_state(model, CHECKPOINTS[name])
    for m in model.modules():
        if isinstance(m, (BinConv2d, BinLinear)):
            m.scale_after = scale_after
    return model.eval()


# ---------------------------------------------------------------------------------------------------------------
# BWN (binary-weight) CIFAR ResNet: float activations, each conv's weights replaced by sign(w) * mean|w| per output
# channel (first conv and the classifier stay float, as usual for BWN).

def bwn_resnet(depth: int = 20, seed: int = 0) -> nn.Module:
    from cifar_resnet import CifarResNet, randomize
    torch.manual_seed(seed)
    model = CifarResNet(depth)
    randomize(model, seed)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        for conv in convs[1:]:
            w = conv.weight
            alpha = w.abs().mean(dim=(1, 2, 3), keepdim=True)
            conv.weight.copy_(torch.where(w > 0, alpha, -alpha))
    return model.eval()


# ---------------------------------------------------------------------------------------------------------------
# Data

def read_mnist_test() -> tuple[np.ndarray, np.ndarray]:
    """uint8 images [10000, 28, 28], labels [10000]."""
    d = os.path.join(SHARED_DATA, 'mnist')
    with gzip.open(os.path.join(d, 't10k-images-idx3-ubyte.gz'), 'rb') as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(os.path.join(d, 't10k-labels-idx1-ubyte.gz'), 'rb') as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return images, labels


def mnist_normalize(images_u8: np.ndarray) -> np.ndarray:
    x = images_u8.astype(np.float32)[:, None] / 255.0
    return ((x - MNIST_MEAN[0]) / MNIST_STD[0]).astype(np.float32)


def read_cifar_test() -> tuple[np.ndarray, np.ndarray]:
    """uint8 images [10000, 3, 32, 32] (RGB), labels [10000]."""
    raw = np.fromfile(os.path.join(SHARED_DATA, 'cifar10', 'test_batch.bin'), np.uint8).reshape(-1, 3073)
    return raw[:, 1:].reshape(-1, 3, 32, 32), raw[:, 0].copy()


def cifar_normalize(images_u8: np.ndarray) -> np.ndarray:
    x = images_u8.astype(np.float32) / 255.0
    mean = np.array(CIFAR_MEAN, np.float32).reshape(1, 3, 1, 1)
    std = np.array(CIFAR_STD, np.float32).reshape(1, 3, 1, 1)
    return ((x - mean) / std).astype(np.float32)


def predictions(model: nn.Module, x: np.ndarray, batch: int = 500) -> np.ndarray:
    out = []
    with torch.no_grad():
        for s in range(0, len(x), batch):
            out.append(model(torch.from_numpy(x[s:s + batch])).argmax(1).numpy())
    return np.concatenate(out)
