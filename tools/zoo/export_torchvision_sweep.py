#!/usr/bin/python3
"""Export every torchvision 0.14 classifier (image and video) at several opsets for the torchvision sweep.

  /usr/bin/python3 tools/zoo/export_torchvision_sweep.py --list                    # the models, input shapes, params
  /usr/bin/python3 tools/zoo/export_torchvision_sweep.py --only resnet18,swin_t -o zoo-out/torchvision
  /usr/bin/python3 tools/zoo/export_torchvision_sweep.py --opsets 17 --only vit_b_16

Driven by `npm run torchvision-sweep` (tools/zoo/torchvision_sweep.ts), which checks what this writes.
The models are `torchvision.models.list_models(module=torchvision.models)` (the image classifiers: no segmentation,
detection, optical-flow or quantized builders, which live in sub-modules) and `list_models(module=...video)`.
Each is built with weights=None, given seeded random weights (tools/zoo/common.py he_init + calibrate_bn, the steps
of common.randomize: He-normal, calibrated BatchNorm; LayerNorm affines, layer scales, class tokens and
relative-position biases are randomized here too: randomize_modern; and between the two steps the last BatchNorm of
every inverted-residual and 2-D ResNet branch is scaled by RESIDUAL_BRANCH_SCALE: shrink_residual_branches) and
exported with common.export_onnx: static batch 1, one folder per opset, `<out>/<model>-op<opset>/` holding model.onnx,
input.npy (seeded), output.npy (PyTorch, eval mode) and meta.json (ONNX op types, params, bytes), or status.json
when the model is left out: `skipped` (the ONNX file would be ≥ 1 GB: the largest ViTs and RegNet-Y-128GF need
external data) or `export-error` (torch.onnx cannot export it; the error is recorded). A folder that already holds
model.onnx + meta.json or status.json is not redone (resumable); --redo forces it.

Input shapes follow each model's DEFAULT weights' transforms (crop size: 224 for most, 299 Inception-v3, 384–600 for
the larger EfficientNets, 256 Swin-V2); a ViT built with weights=None fixes its own image_size (224). Video models
take [1, 3, 16, H, W] clips (16 frames; H = W = 112 for the ResNet-3D family, 224 for S3D and MViT, whose weights'
transforms crop there and whose MViT positional embeddings are fixed to 16x224x224).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import zlib

import numpy as np
import onnx
import torch
import torchvision
import torchvision.models as tvm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

REPO_ROOT = os.path.dirname(common.TOOLS_DIR)
DEFAULT_OUT = os.path.join(REPO_ROOT, 'zoo-out', 'torchvision')
MAX_ONNX_BYTES = 1 << 30  # 1 GiB: larger files need ONNX external data (and protobuf stops at 2 GiB)
VIDEO_FRAMES = 16
RESIDUAL_BRANCH_SCALE = 0.2  # shrink_residual_branches: last-BN affine scale of inverted-residual branches


def model_names() -> list[tuple[str, str]]:
    """(name, 'image' | 'video') for every registered classifier."""
    return [(n, 'image') for n in tvm.list_models(module=tvm)] + [(n, 'video') for n in tvm.list_models(module=tvm.video)]


def builder_module(name: str) -> str:
    """torchvision sub-module that defines the builder ('resnet', 'video.mvit'), used as the family."""
    module = tvm.get_model_builder(name).__module__
    return module.removeprefix('torchvision.models.')


def seed_of(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def input_shape(name: str, kind: str, model: torch.nn.Module | None = None) -> tuple[int, ...]:
    crop = tvm.get_model_weights(name).DEFAULT.transforms().crop_size
    h, w = (crop[0], crop[-1])
    size = getattr(model, 'image_size', None)  # ViT: the position embedding is built for this size
    if isinstance(size, int):
        h = w = size
    return (1, 3, VIDEO_FRAMES, h, w) if kind == 'video' else (1, 3, h, w)


def expected_params(name: str) -> int:
    """Parameter count from the weights' metadata, so models too big to export are skipped without building them."""
    return int(tvm.get_model_weights(name).DEFAULT.meta['num_params'])


def randomize_modern(model: torch.nn.Module, gen: torch.Generator) -> None:
    """What common.randomize leaves at torchvision's init but a test must exercise: LayerNorm affines (init 1, 0:
    weight ~ U(0.5, 1.5), bias ~ N(0, 0.2)), ConvNeXt's layer scales (init 1e-6, which would make every block an
    identity to within 1e-6: ~ U(0.2, 1)), ViT's class token and attention q/k/v biases (init 0) and the relative-position bias tables of Swin
    and MaxViT (init std 0.02, too small to show a wrong gather at 1e-4: ~ N(0, 1))."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.LayerNorm) and m.elementwise_affine:
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.2)
        for pname, param in model.named_parameters():
            leaf = pname.rsplit('.', 1)[-1]
            if leaf == 'layer_scale':
                param.copy_(torch.rand(param.shape, generator=gen) * 0.8 + 0.2)
            elif leaf in ('class_token', 'relative_position_bias_table'):
                param.copy_(torch.randn(param.shape, generator=gen) * (0.5 if leaf == 'class_token' else 1.0))
            elif leaf == 'in_proj_bias':  # nn.MultiheadAttention's q/k/v bias, init 0
                param.copy_(torch.randn(param.shape, generator=gen) * 0.1)


# torchvision's 2-D ResNet blocks (ResNet, ResNeXt, Wide ResNet): residual branches ending in bn2 / bn3
RESNET_BLOCKS = (tvm.resnet.BasicBlock, tvm.resnet.Bottleneck)


def shrink_residual_branches(model: torch.nn.Module, scale: float = RESIDUAL_BRANCH_SCALE) -> int:
    """Scale the affine (weight and bias) of the last BatchNorm of every residual branch of torchvision's
    inverted-residual blocks (EfficientNet MBConv / FusedMBConv, MobileNet V2/V3 InvertedResidual: use_res_connect;
    MNASNet: apply_residual) and of its 2-D ResNet blocks (BasicBlock bn2, Bottleneck bn3: ResNet, ResNeXt, Wide
    ResNet) by `scale`; returns how many. Found by structure (attributes, block classes), not by model name.

    ResNets: unscaled, ResNet-152's PyTorch float32 output differs from its float64 output by 1.2e-4 (rel L2), and
    two float32 runs of PyTorch itself by 1.0e-4 (ResNet-101: 4.3e-5): the reference alone would fail the 1e-4 bound.

    Why: with every branch's last BN gamma ~ U(0.5, 1.5), each block adds an O(1) branch to the residual stream, and
    in eval mode (running statistics from a few random batches, which a new input does not match exactly) the
    deviation grows by a factor > 1 per block. The deep EfficientNets then become chaotic: B4's stage outputs reach std
    ~9e3 and its output changes by 3e-2 (rel L2) between PyTorch float32 and float64, and by as much between PyTorch and
    ONNX Runtime, so no float32 runtime can meet the sweep's 1e-4 bound; B5-B7 and V2-L overflow the output-std check.
    A small last-BN gamma (the usual "zero-init residual" trick, here 0.2 instead of 0) keeps each block near the
    identity: B4's float32-vs-float64 difference drops to 1e-6 with O(1) activations. Applied before BN calibration,
    so the downstream running statistics see the scaled stream. Consumes no random numbers: models without such
    blocks get exactly the weights common.randomize gives them."""
    count = 0
    with torch.no_grad():
        for m in model.modules():
            inverted = getattr(m, 'use_res_connect', False) is True or getattr(m, 'apply_residual', False) is True
            if inverted or isinstance(m, RESNET_BLOCKS):
                # modules() order: the branch's last BN is the last one (a ResNet block's downsample BN comes after
                # it: bn2 / bn3 is the branch's)
                bns = [getattr(m, 'bn3', None) or m.bn2] if isinstance(m, RESNET_BLOCKS) else common.batchnorms(m)
                if bns:
                    bns[-1].weight.mul_(scale)
                    bns[-1].bias.mul_(scale)
                    count += 1
    return count


def build(name: str, kind: str) -> tuple[torch.nn.Module, tuple[int, ...]]:
    seed = seed_of(name)
    torch.manual_seed(seed)
    model = tvm.get_model(name, weights=None)
    shape = input_shape(name, kind, model)
    randomize_modern(model, torch.Generator().manual_seed(seed + 1))
    gen = torch.Generator().manual_seed(seed)  # common.randomize's steps, with the residual branches shrunk between
    common.he_init(model, gen)
    shrink_residual_branches(model)
    common.calibrate_bn(model, gen, shape, batch_size=2 if kind == 'video' else 4)
    return model.eval(), shape


def folder_done(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, 'status.json')) or all(
        os.path.isfile(os.path.join(folder, f)) for f in ('model.onnx', 'input.npy', 'output.npy', 'meta.json'))


def write_json(path: str, value: dict) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(value, f, indent=1)
        f.write('\n')


def base_meta(name: str, kind: str, opset: int, shape: tuple[int, ...]) -> dict:
    return {'name': f'{name}-op{opset}', 'model': name, 'opset': opset, 'family': builder_module(name),
            'scale': 'video' if kind == 'video' else 'imagenet', 'input_shape': list(shape), 'seed': seed_of(name),
            'torch': torch.__version__, 'torchvision': torchvision.__version__}


def export_model(name: str, kind: str, out: str, opsets: list[int], redo: bool) -> None:
    folders = {o: os.path.join(out, f'{name}-op{o}') for o in opsets}
    todo = [o for o in opsets if redo or not folder_done(folders[o])]
    if not todo:
        print(f'{name}: already exported', flush=True)
        return
    for o in todo:  # a redo starts from a clean folder: no stale status.json / model.onnx
        for f in ('status.json', 'model.onnx', 'meta.json'):
            if os.path.exists(os.path.join(folders[o], f)):
                os.remove(os.path.join(folders[o], f))
    params = expected_params(name)
    if params * 4 >= MAX_ONNX_BYTES:
        for o in todo:
            write_json(os.path.join(folders[o], 'status.json'), {
                **base_meta(name, kind, o, input_shape(name, kind)), 'params': params, 'status': 'skipped',
                'reason': f'{params * 4 / 2**30:.2f} GiB of f32 weights: the ONNX file would be over 1 GiB '
                          '(needs external data)'})
        print(f'{name}: skipped ({params:,} parameters, over 1 GiB)', flush=True)
        return
    t0 = time.time()
    try:
        model, shape = build(name, kind)
        x = common.seeded_input(shape, seed_of(name))
        with torch.no_grad():
            y = model(torch.from_numpy(x)).numpy().astype(np.float32)
        std = float(y.std())
        if not np.isfinite(y).all() or std == 0 or std > 1e4:
            raise RuntimeError(f'output std {std} (non-finite, zero or exploding): fix the randomization')
    except Exception as err:  # noqa: BLE001 - recorded for every opset, the sweep goes on
        for o in todo:
            write_json(os.path.join(folders[o], 'status.json'), {
                **base_meta(name, kind, o, input_shape(name, kind)), 'status': 'build-error',
                'reason': f'{type(err).__name__}: {err}'[:600]})
        raise
    build_s = time.time() - t0
    for o in todo:
        folder = folders[o]
        meta = {**base_meta(name, kind, o, shape), 'params': common.count_params(model), 'output_std': std}
        path = os.path.join(folder, 'model.onnx')
        t1 = time.time()
        try:
            common.export_onnx(model, torch.from_numpy(x), path, {
                'name': name, 'source': f'torchvision {torchvision.__version__} {name}(weights=None), random weights '
                                        f'(seed {seed_of(name)}); not trained',
                'exporter': f'tessera tools/zoo/export_torchvision_sweep.py (torch {torch.__version__})'}, opset=o)
        except Exception as err:  # noqa: BLE001 - recorded, the sweep goes on
            message = f'{type(err).__name__}: {err}'.strip().splitlines()
            write_json(os.path.join(folder, 'status.json'), {**meta, 'status': 'export-error',
                                                             'reason': ' '.join(message)[:600]})
            if os.path.exists(path):
                os.remove(path)
            print(f'{name} opset {o}: export error: {message[-1][:200]}', flush=True)
            continue
        size = os.path.getsize(path)
        if size >= MAX_ONNX_BYTES:
            os.remove(path)
            write_json(os.path.join(folder, 'status.json'), {**meta, 'status': 'skipped', 'onnx_bytes': size,
                                                             'reason': f'ONNX file {size / 2**30:.2f} GiB (over 1 GiB)'})
            continue
        ops = sorted({n.op_type for n in onnx.load(path, load_external_data=False).graph.node})
        np.save(os.path.join(folder, 'input.npy'), x)
        np.save(os.path.join(folder, 'output.npy'), y)
        write_json(os.path.join(folder, 'meta.json'), {**meta, 'onnx_bytes': size, 'onnx_ops': ops,
                                                       'export_seconds': round(build_s + time.time() - t1, 1)})
        print(f'{name} opset {o}: {size / 1e6:.1f} MB, {len(ops)} op types, {time.time() - t1:.1f} s '
              f'(build + PyTorch run {build_s:.1f} s)', flush=True)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('-o', '--output', default=DEFAULT_OUT, help='output folder (default zoo-out/torchvision)')
    p.add_argument('--only', action='append', help='comma-separated torchvision model names')
    p.add_argument('--opsets', default='17,14', help='comma-separated opsets (default 17,14)')
    p.add_argument('--redo', action='store_true', help='export again even where a folder is complete')
    p.add_argument('--list', action='store_true', help='print the models (JSON lines with --json)')
    p.add_argument('--json', action='store_true')
    p.add_argument('--max-memory-gb', type=float, default=16,
                   help='address-space limit of this process (default 16): a model whose export needs more fails '
                        'with a recorded MemoryError instead of waking the OOM killer on a shared machine '
                        '(MViT at 16x224x224 reached 23 GB resident in torch.onnx.export at opset 17); 0: no limit')
    args = p.parse_args(argv)
    models = model_names()
    if args.only:
        wanted = [n for part in args.only for n in part.split(',') if n]
        kinds = dict(models)
        unknown = [n for n in wanted if n not in kinds]
        if unknown:
            raise SystemExit(f'not a torchvision classifier: {", ".join(unknown)} (see --list)')
        models = [(n, kinds[n]) for n in wanted]
    if args.list:
        for name, kind in models:
            row = {'model': name, 'kind': kind, 'family': builder_module(name), 'params': expected_params(name),
                   'input_shape': list(input_shape(name, kind))}
            print(json.dumps(row) if args.json else f'{name:22} {row["family"]:22} {row["params"]:>12,}  {row["input_shape"]}')
        return 0
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    if args.max_memory_gb > 0:
        limit = int(args.max_memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    opsets = [int(o) for o in args.opsets.split(',') if o]
    failures = 0
    for name, kind in models:
        try:
            export_model(name, kind, args.output, opsets, args.redo)
        except Exception as err:  # noqa: BLE001 - one broken model must not hide the rest
            failures += 1
            print(f'FAIL {name}: {type(err).__name__}: {err}', file=sys.stderr, flush=True)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
