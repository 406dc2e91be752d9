#!/usr/bin/python3
"""Export a CIFAR-10 ResNet (akamaster checkpoints, or seeded random weights) to ONNX with Tessera metadata.

  /usr/bin/python3 tools/export_cifar_resnet.py --depth 20 -o models/resnet20.onnx
  /usr/bin/python3 tools/export_cifar_resnet.py --depth 110 -o /tmp/r110.onnx --dynamic-batch   # random weights
  /usr/bin/python3 tools/export_cifar_resnet.py --depth 20 -o /tmp/r20.onnx --verify-cifar ../shared/data/cifar10

--checkpoint defaults to the matching file in ../shared/data/pretrained/akamaster-resnet-cifar10/ when there is
one (depths 20/32/44/56); pass --random to force seeded random weights. Depth 110 has no checkpoint: random.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import onnx
import torch

from cifar_resnet import (CIFAR_MEAN, CIFAR_STD, SHARED_DATA, SUPPORTED_DEPTHS, CifarResNet, default_checkpoint,
                          load_checkpoint, normalize, randomize, read_cifar_test, read_labels)

DEFAULT_CIFAR_DIR = os.path.join(SHARED_DATA, 'cifar10')
AKAMASTER_SOURCE = ('akamaster/pytorch_resnet_cifar10 @ d5489e8995e81e91ce6b1d69dcc98ad579b0b153, '
                    'pretrained_models/{file}')
AKAMASTER_LICENSE = 'BSD-2-Clause, Copyright (c) 2018 Yerlan Idelbayev'


def build_model(depth: int, checkpoint: str | None, seed: int) -> CifarResNet:
    torch.manual_seed(seed)
    model = CifarResNet(depth)
    if checkpoint:
        load_checkpoint(model, checkpoint)
    else:
        randomize(model, seed)
    return model.eval()


def metadata_for(depth: int, checkpoint: str | None, seed: int, labels: list[str]) -> dict[str, str]:
    """Keys follow GraphMetadata in src/graph/ir.ts; list values are JSON."""
    meta = {
        'name': f'resnet{depth}-cifar10',
        'labels': json.dumps(labels),
        'inputSize': json.dumps([3, 32, 32]),
        'layout': 'NCHW',
        'colorOrder': 'RGB',
        'pixelScale': json.dumps(1 / 255),
        'mean': json.dumps(CIFAR_MEAN),
        'std': json.dumps(CIFAR_STD),
        'exporter': f'tessera tools/export_cifar_resnet.py (torch {torch.__version__})',
    }
    if checkpoint:
        meta['source'] = AKAMASTER_SOURCE.format(file=os.path.basename(checkpoint))
        meta['license'] = AKAMASTER_LICENSE
        meta['citation'] = 'Yerlan Idelbayev, Proper ResNet Implementation for CIFAR10/CIFAR100 in PyTorch'
    else:
        meta['source'] = f'random weights (seed {seed}), BN statistics calibrated on random inputs; not trained'
        meta['license'] = 'MIT (Tessera test model)'
    return meta


def export(model: CifarResNet, out_path: str, batch: int, dynamic_batch: bool, opset: int,
           metadata: dict[str, str]) -> None:
    dummy = torch.zeros((batch, 3, 32, 32))
    dynamic_axes = {'input': {0: 'N'}, 'logits': {0: 'N'}} if dynamic_batch else None
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(model, dummy, out_path, input_names=['input'], output_names=['logits'],
                          opset_version=opset, dynamic_axes=dynamic_axes, do_constant_folding=True)
    proto = onnx.load(out_path)
    if not dynamic_batch:
        # torch names the Gemm output's batch dim symbolically even for a static export; pin it.
        dim0 = proto.graph.output[0].type.tensor_type.shape.dim[0]
        dim0.ClearField('dim_param')
        dim0.dim_value = batch
    del proto.metadata_props[:]
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    onnx.save(proto, out_path)


def verify_on_cifar(model: CifarResNet, cifar_dir: str, limit: int | None, batch: int = 500) -> tuple[int, int]:
    images, labels = read_cifar_test(cifar_dir, limit)
    correct = 0
    with torch.no_grad():
        for start in range(0, len(labels), batch):
            x = torch.from_numpy(normalize(images[start:start + batch]))
            pred = model(x).argmax(dim=1).numpy()
            correct += int((pred == labels[start:start + batch]).sum())
    return correct, len(labels)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--depth', type=int, required=True, choices=SUPPORTED_DEPTHS)
    p.add_argument('--checkpoint', help='akamaster .th file (default: the matching shared pretrained file)')
    p.add_argument('--random', action='store_true', help='ignore checkpoints: seeded random weights')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('-o', '--output', required=True)
    p.add_argument('--opset', type=int, default=13)
    g = p.add_mutually_exclusive_group()
    g.add_argument('--batch', type=int, default=1, help='static batch size (default 1)')
    g.add_argument('--dynamic-batch', action='store_true', help='symbolic batch dimension "N"')
    p.add_argument('--verify-cifar', metavar='DIR', help='measure PyTorch top-1 on DIR/test_batch.bin first')
    p.add_argument('--limit', type=int, help='with --verify-cifar: only the first N test images')
    p.add_argument('--cifar-dir', default=DEFAULT_CIFAR_DIR, help='where batches.meta.txt (labels) is')
    args = p.parse_args(argv)

    if args.opset < 10:
        p.error('--opset must be >= 10: the option-A shortcut slices with step 2, which ONNX Slice gained in opset 10')
    checkpoint = None if args.random else (args.checkpoint or default_checkpoint(args.depth))
    if checkpoint and not os.path.isfile(checkpoint):
        p.error(f'checkpoint not found: {checkpoint}')
    model = build_model(args.depth, checkpoint, args.seed)
    print(f'resnet{args.depth}: {"checkpoint " + checkpoint if checkpoint else f"random weights, seed {args.seed}"}')

    if args.verify_cifar:
        t0 = time.time()
        correct, total = verify_on_cifar(model, args.verify_cifar, args.limit)
        print(f'CIFAR-10 test: {correct}/{total} correct ({100 * correct / total:.2f} %), {time.time() - t0:.0f} s')

    label_dir = args.verify_cifar or args.cifar_dir
    labels = read_labels(label_dir)
    export(model, args.output, args.batch, args.dynamic_batch, args.opset,
           metadata_for(args.depth, checkpoint, args.seed, labels))
    print(f'wrote {args.output} ({os.path.getsize(args.output)} bytes, opset {args.opset})')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
