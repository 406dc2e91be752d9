#!/usr/bin/python3
"""Export the XNOR-Net checkpoints (tools/xnor_models.py) and a BWN ResNet to ONNX for Tessera, and write the binary
test fixtures.

  /usr/bin/python3 tools/export_xnor.py bin_lenet -o models/bin_lenet.onnx --verify
  /usr/bin/python3 tools/export_xnor.py lenet -o models/lenet.onnx --verify
  /usr/bin/python3 tools/export_xnor.py bin_vgg13 -o models/bin_vgg13.onnx --verify [--pad-value 0] [--predictions p.npy]
  /usr/bin/python3 tools/export_xnor.py bwn_resnet20 -o models/bwn_resnet20.onnx [--seed 0]
  /usr/bin/python3 tools/export_xnor.py fixtures          # tests/fixtures/xnor/{tiny,bin_lenet}/

Binary layers are exported as BatchNormalization -> Greater/Where (sign, 0 -> -1) -> [Pad value -1] -> Conv / Gemm
with +-alpha[o] weights; Tessera's binarize pass turns that back into BinaryConv / BinaryGemm exactly.
--verify measures PyTorch's accuracy on the shared test set with the same model object that is exported.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

import xnor_models as xm

CIFAR_LABELS = os.path.join(xm.SHARED_DATA, 'cifar10', 'batches.meta.txt')
XNOR_SOURCE = 'cooooorn/Pytorch-XNOR-Net @ fda9596e1a8921531fe80dd54c7f3ce6db74e184, {file}'
XNOR_LICENSE = 'BSD-3-Clause (cooooorn/Pytorch-XNOR-Net)'


def cifar_labels() -> list[str]:
    with open(CIFAR_LABELS) as f:
        return [line.strip() for line in f if line.strip()]


def metadata(name: str, dataset: str, source: str, license_: str) -> dict[str, str]:
    if dataset == 'mnist':
        meta = {'labels': [str(i) for i in range(10)], 'inputSize': [1, 28, 28], 'colorOrder': 'GRAY',
                'mean': xm.MNIST_MEAN, 'std': xm.MNIST_STD}
    else:
        meta = {'labels': cifar_labels(), 'inputSize': [3, 32, 32], 'colorOrder': 'RGB', 'mean': xm.CIFAR_MEAN,
                'std': xm.CIFAR_STD}
    out = {k: json.dumps(v) if not isinstance(v, str) else v for k, v in meta.items()}
    out.update({'name': name, 'layout': 'NCHW', 'pixelScale': json.dumps(1 / 255), 'source': source,
                'license': license_, 'exporter': f'tessera tools/export_xnor.py (torch {torch.__version__})'})
    return out


def export_onnx(model: nn.Module, input_shape: list[int], path: str, meta: dict[str, str] | None,
                dynamic_batch: bool = False) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    dummy = torch.zeros(input_shape)
    axes = {'input': {0: 'N'}, 'output': {0: 'N'}} if dynamic_batch else None
    with torch.no_grad():
        torch.onnx.export(model, dummy, path, input_names=['input'], output_names=['output'], opset_version=13,
                          do_constant_folding=True, dynamic_axes=axes)
    proto = onnx.load(path)
    if not dynamic_batch:
        dim0 = proto.graph.output[0].type.tensor_type.shape.dim[0]
        dim0.ClearField('dim_param')
        dim0.dim_value = input_shape[0]
    del proto.metadata_props[:]
    for key, value in (meta or {}).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    onnx.save(proto, path)


# ---------------------------------------------------------------------------------------------------------------
# A tiny random XNOR net covering every binary-layer variant the detector knows.

class TinyXnor(nn.Module):
    """float conv -> [BN, sign, Pad -1, conv (Cin 40, not a multiple of 32)] -> BN/ReLU -> [BN (some negative
    scales), sign, zero-padded stride-2 conv + bias] -> ReLU -> [torch.sign (0 -> 0), 1x1 conv, no BN] -> flatten ->
    [BN1d, sign, linear] -> float linear."""

    def __init__(self):
        super().__init__()
        self.conv0 = nn.Conv2d(3, 40, 3, padding=1)
        self.a = xm.BinConv2d(40, 36, 3, 1, bias=True, pad_value=-1.0)
        self.bn_a = nn.BatchNorm2d(36)
        self.b = xm.BinConv2d(36, 33, 3, 1, bias=True, pad_value=0.0)
        self.c_weight = nn.Parameter(torch.zeros(20, 33, 1, 1), requires_grad=False)
        self.fc = xm.BinLinear(20 * 6 * 6, 24, bias=True)
        self.head = nn.Linear(24, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv0(x))
        x = F.relu(self.bn_a(self.a(x)))
        x = F.relu(self._b(x))
        x = F.conv2d(torch.sign(x), self.c_weight)
        return self.head(self.fc(torch.flatten(x, 1)))

    def _b(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(xm.binarize(self.b.bn(x)), self.b.weight, self.b.bias, stride=2, padding=1)


def random_binary(shape: tuple[int, ...], gen: torch.Generator) -> torch.Tensor:
    alpha = torch.rand(shape[0], generator=gen) * 0.5 + 0.05
    signs = torch.where(torch.rand(shape, generator=gen) > 0.5, 1.0, -1.0)
    return signs * alpha.reshape(-1, *([1] * (len(shape) - 1)))


def randomize_bn(bn: nn.modules.batchnorm._BatchNorm, gen: torch.Generator, negative: bool) -> None:
    with torch.no_grad():
        scale = torch.rand(bn.weight.shape, generator=gen) + 0.5
        if negative:
            scale = torch.where(torch.rand(scale.shape, generator=gen) < 0.3, -scale, scale)
        bn.weight.copy_(scale)
        bn.bias.copy_(torch.randn(bn.bias.shape, generator=gen) * 0.3)
        bn.running_mean.copy_(torch.randn(bn.running_mean.shape, generator=gen) * 0.3)
        bn.running_var.copy_(torch.rand(bn.running_var.shape, generator=gen) + 0.5)


def tiny_xnor(seed: int = 5) -> TinyXnor:
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = TinyXnor()
    with torch.no_grad():
        for layer in (model.a, model.b):
            layer.weight.copy_(random_binary(tuple(layer.weight.shape), gen))
        model.c_weight.copy_(random_binary(tuple(model.c_weight.shape), gen))
        model.fc.weight.copy_(random_binary(tuple(model.fc.weight.shape), gen))
        model.a.bias.copy_(torch.randn(36, generator=gen) * 0.1)
        # A bias keeps b's outputs off exact zeros, where float rounding noise would decide torch.sign's result.
        model.b.bias.copy_(torch.randn(33, generator=gen) * 0.1)
        model.fc.bias.copy_(torch.randn(24, generator=gen) * 0.1)
        for bn, neg in ((model.a.bn, True), (model.bn_a, False), (model.b.bn, True), (model.fc.bn, True)):
            randomize_bn(bn, gen, neg)
    return model.eval()


def write_fixture(name: str, model: nn.Module, x: np.ndarray, meta: dict[str, str] | None = None) -> None:
    d = os.path.join(xm.REPO_ROOT, 'tests', 'fixtures', 'xnor', name)
    os.makedirs(d, exist_ok=True)
    export_onnx(model, list(x.shape), os.path.join(d, 'model.onnx'), meta)
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy().astype(np.float32)
    np.save(os.path.join(d, 'input.npy'), x)
    np.save(os.path.join(d, 'output.npy'), y)
    print(f'wrote tests/fixtures/xnor/{name}: input {list(x.shape)}, output {list(y.shape)}')


def make_fixtures() -> None:
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(7)
    write_fixture('tiny', tiny_xnor(), torch.randn(2, 3, 12, 12, generator=gen).numpy())
    images, _ = xm.read_mnist_test()
    lenet = xm.build('bin_lenet')
    src = XNOR_SOURCE.format(file='MNIST/models/Bin_LeNet.best9945.pth')
    write_fixture('bin_lenet', lenet, xm.mnist_normalize(images[:8]), metadata('bin-lenet-mnist', 'mnist', src, XNOR_LICENSE))


# ---------------------------------------------------------------------------------------------------------------

def predictions_float64(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """PyTorch predictions with every layer in float64 (a deep copy; the export stays float32)."""
    import copy
    m64 = copy.deepcopy(model).double()
    keep = xm.binarize
    xm.binarize = lambda v: torch.where(v > 0, torch.ones((), dtype=v.dtype), -torch.ones((), dtype=v.dtype))
    try:
        out = []
        with torch.no_grad():
            for s in range(0, len(x), 500):
                out.append(m64(torch.from_numpy(x[s:s + 500]).double()).argmax(1).numpy())
        return np.concatenate(out)
    finally:
        xm.binarize = keep


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('model', choices=['bin_lenet', 'lenet', 'bin_vgg13', 'bwn_resnet20', 'fixtures'])
    p.add_argument('-o', '--output')
    p.add_argument('--pad-value', type=float, default=-1.0, help='bin_vgg13: value of padded positions (-1 or 0)')
    p.add_argument('--scale-after', action='store_true',
                   help='binary layers as conv(+-1, +-1) * alpha + bias (the checkpoint order; exact integer sums in PyTorch)')
    p.add_argument('--float64', action='store_true',
                   help='with --verify: evaluate PyTorch in float64 (exact +-alpha sums; the reference Tessera matches)')
    p.add_argument('--verify', action='store_true', help='measure PyTorch accuracy on the shared test set')
    p.add_argument('--predictions', help='with --verify: save PyTorch predicted classes (int64 .npy)')
    p.add_argument('--seed', type=int, default=0, help='bwn_resnet20: weight seed')
    p.add_argument('--batch', type=int, default=1)
    p.add_argument('--dynamic-batch', action='store_true')
    args = p.parse_args(argv)
    if args.model == 'fixtures':
        make_fixtures()
        return 0
    if not args.output:
        p.error('-o is required')
    if args.pad_value not in (-1.0, 0.0):
        p.error('--pad-value must be -1 or 0')

    if args.model == 'bwn_resnet20':
        model = xm.bwn_resnet(20, args.seed)
        meta = metadata('bwn-resnet20-cifar10', 'cifar', f'random weights (seed {args.seed}), binarised per output channel; not trained',
                        'MIT (Tessera test model)')
        dataset = 'cifar'
    else:
        model = xm.build(args.model, args.pad_value, args.scale_after)
        file = {'bin_lenet': 'MNIST/models/Bin_LeNet.best9945.pth', 'lenet': 'MNIST/models/LeNet.best9950.pth',
                'bin_vgg13': 'Cifar10/models/Bin_VGG13.best8520.pth'}[args.model]
        dataset = 'cifar' if args.model == 'bin_vgg13' else 'mnist'
        name = {'bin_lenet': 'bin-lenet-mnist', 'lenet': 'lenet-mnist', 'bin_vgg13': 'bin-vgg13-cifar10'}[args.model]
        meta = metadata(name, dataset, XNOR_SOURCE.format(file=file), XNOR_LICENSE)
        if args.model == 'bin_vgg13':
            meta['padValue'] = json.dumps(args.pad_value)

    if args.verify:
        torch.set_num_threads(max(1, os.cpu_count() or 1))
        if dataset == 'mnist':
            images, labels = xm.read_mnist_test()
            x = xm.mnist_normalize(images)
        else:
            images, labels = xm.read_cifar_test()
            x = xm.cifar_normalize(images)
        if args.float64:
            pred = predictions_float64(model, x)
        else:
            pred = xm.predictions(model, x)
        correct = int((pred == labels).sum())
        kind = 'float64' if args.float64 else 'float32'
        print(f'{args.model}: PyTorch ({kind}) {correct}/{len(labels)} correct ({100 * correct / len(labels):.2f} %)')
        if args.predictions:
            np.save(args.predictions, pred.astype(np.int64))
    shape = [args.batch] + ([1, 28, 28] if dataset == 'mnist' else [3, 32, 32])
    export_onnx(model, shape, args.output, meta, args.dynamic_batch)
    print(f'wrote {args.output} ({os.path.getsize(args.output)} bytes)')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
