#!/usr/bin/python3
"""Export a torchvision classifier or segmentation model (seeded random weights) to ONNX for the benchmark, with its
input and PyTorch output.

  /usr/bin/python3 tools/export_torchvision.py --model resnet18 -o zoo-out/bench/resnet18.onnx
  /usr/bin/python3 tools/export_torchvision.py --model lraspp_mobilenet_v3_large -o zoo-out/bench/lraspp_mobilenet_v3_large.onnx
  /usr/bin/python3 tools/export_torchvision.py --model resnet20 -o zoo-out/bench/resnet20.onnx   # CIFAR, pretrained

Writes OUT.onnx plus, beside it, OUT.input.npy (seeded N(0,1) input, f32 [1,3,H,W]) and OUT.output.npy (PyTorch's
output for that input, eval mode). ImageNet models: torchvision's architecture with weights=None, He-normal weights,
BatchNorm affine and running statistics randomized and calibrated on random inputs (tools/zoo/common.py), static
batch 1, 224x224, opset 13. `resnet20|32|44|56` are the CIFAR-10 ResNets of tools/export_cifar_resnet.py with the
shared pretrained checkpoint (32x32).

Segmentation models (torchvision.models.segmentation: lraspp_mobilenet_v3_large, deeplabv3_*, fcn_*): built with
weights=None, weights_backbone=None, num_classes=21 (aux_loss off where the builder has it), wrapped to return only
the 'out' tensor ([1, 21, H, W], bilinearly resized back to the input size inside the model), then the same seeded
random weights and BN calibration as the classifiers; static batch 1, `--size` (default 224) square input, opset 13.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)  # export_cifar_resnet, cifar_resnet
sys.path.insert(0, os.path.join(HERE, 'zoo'))  # common

from common import count_params, export_onnx, randomize, seeded_input  # noqa: E402

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
CIFAR_DEPTHS = {'resnet20': 20, 'resnet32': 32, 'resnet44': 44, 'resnet56': 56}
SEGMENTATION_CLASSES = 21  # Pascal VOC's 20 classes + background, torchvision's default


class OutOnly(torch.nn.Module):
    """A torchvision segmentation model returning only its 'out' tensor (no dict, no aux head)."""

    def __init__(self, m: torch.nn.Module):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x)['out']


def is_segmentation(name: str) -> bool:
    seg = torchvision.models.segmentation
    return not name.startswith('_') and name.islower() and callable(getattr(seg, name, None)) and \
        getattr(torchvision.models, name, None) is None


class ExportError(Exception):
    pass


# Classifiers torchvision has as a class but not as a builder: DeiT-Tiny's size (Touvron et al. 2021) as a
# torchvision VisionTransformer (patch 16, 12 layers, 3 heads, width 192, MLP 768; 5.7 M parameters, 1.26 GMAC).
CUSTOM_CLASSIFIERS = {
    'vit_tiny': lambda size: torchvision.models.VisionTransformer(image_size=size, patch_size=16, num_layers=12, num_heads=3,
                                                                  hidden_dim=192, mlp_dim=768),
}


def torchvision_model(name: str, seed: int, size: int) -> torch.nn.Module:
    if name in CUSTOM_CLASSIFIERS:
        torch.manual_seed(seed)
        return randomize(CUSTOM_CLASSIFIERS[name](size), seed, (1, 3, size, size))
    if is_segmentation(name):
        builder = getattr(torchvision.models.segmentation, name)
        kw = dict(weights=None, weights_backbone=None, num_classes=SEGMENTATION_CLASSES)
        if not name.startswith('lraspp'):
            kw['aux_loss'] = False
        torch.manual_seed(seed)
        return randomize(OutOnly(builder(**kw)), seed, (1, 3, size, size))
    builder = getattr(torchvision.models, name, None)
    if builder is None or not callable(builder) or name.startswith('_') or not name.islower():
        raise ExportError(f'unknown torchvision model {name!r} (see torchvision.models.list_models())')
    torch.manual_seed(seed)
    model = builder(weights=None)
    return randomize(model, seed, (1, 3, size, size))


def export_imagenet(name: str, out: str, seed: int, size: int, opset: int) -> tuple[np.ndarray, np.ndarray]:
    model = torchvision_model(name, seed, size)
    x = seeded_input((1, 3, size, size), seed)
    meta = {
        'name': name,
        'inputSize': json.dumps([3, size, size]),
        'layout': 'NCHW',
        'colorOrder': 'RGB',
        'pixelScale': json.dumps(1 / 255),
        'mean': json.dumps(IMAGENET_MEAN),
        'std': json.dumps(IMAGENET_STD),
        'source': f'torchvision {torchvision.__version__} {name}' + ('(DeiT-Tiny size' if name in CUSTOM_CLASSIFIERS else '(weights=None')
                  + (f', weights_backbone=None, num_classes={SEGMENTATION_CLASSES}; output \'out\' only' if is_segmentation(name) else '')
                  + f'), random weights (seed {seed}), '
                  'BN statistics calibrated on random inputs; not trained',
        'license': 'MIT (Tessera benchmark model)',
        'exporter': f'tessera tools/export_torchvision.py (torch {torch.__version__})',
    }
    export_onnx(model, torch.from_numpy(x), out, meta, opset=opset)
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy()
    print(f'{name}: {count_params(model) / 1e6:.2f} M parameters')
    return x, y


def export_cifar(name: str, out: str, seed: int, opset: int) -> tuple[np.ndarray, np.ndarray]:
    import export_cifar_resnet as ecr
    from cifar_resnet import default_checkpoint, read_labels

    depth = CIFAR_DEPTHS[name]
    checkpoint = default_checkpoint(depth)
    if not checkpoint or not os.path.isfile(checkpoint):
        raise ExportError(f'no pretrained checkpoint for {name} (expected under ../shared/data/pretrained)')
    model = ecr.build_model(depth, checkpoint, seed)
    ecr.export(model, out, 1, False, opset, ecr.metadata_for(depth, checkpoint, seed, read_labels(ecr.DEFAULT_CIFAR_DIR)))
    x = seeded_input((1, 3, 32, 32), seed)
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy()
    print(f'{name}: checkpoint {checkpoint}')
    return x, y


def sidecar(out: str, kind: str) -> str:
    stem = out[:-5] if out.endswith('.onnx') else out
    return f'{stem}.{kind}.npy'


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--model', required=True, help='torchvision model name (resnet18, densenet121, ...) or resnet20/32/44/56')
    p.add_argument('-o', '--output', required=True, help='ONNX file to write')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--size', type=int, default=224, help='input height = width for ImageNet models (default 224)')
    p.add_argument('--opset', type=int, default=13)
    args = p.parse_args(argv)

    t0 = time.time()
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    try:
        if args.model in CIFAR_DEPTHS:
            x, y = export_cifar(args.model, args.output, args.seed, args.opset)
        else:
            x, y = export_imagenet(args.model, args.output, args.seed, args.size, args.opset)
    except ExportError as e:
        print(f'export_torchvision: {e}', file=sys.stderr)
        return 2
    np.save(sidecar(args.output, 'input'), x.astype(np.float32))
    np.save(sidecar(args.output, 'output'), y.astype(np.float32))
    print(f'wrote {args.output} ({os.path.getsize(args.output)} bytes, opset {args.opset}), '
          f'{sidecar(args.output, "input")}, {sidecar(args.output, "output")} {list(y.shape)} in {time.time() - t0:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
