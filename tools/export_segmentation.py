#!/usr/bin/python3
"""Fixture for dense-prediction heads (issue 18): torchvision 0.14's segmentation models with dynamic N/H/W, as ONNX
skeletons without weights plus PyTorch's outputs.

  /usr/bin/python3 tools/export_segmentation.py [-o tests/fixtures/segmentation] [--only NAME ...]

Models (weights=None, weights_backbone=None, num_classes=5, aux_loss off): fcn_resnet50, deeplabv3_resnet50,
deeplabv3_mobilenet_v3_large, lraspp_mobilenet_v3_large, each wrapped to return only the 'out' tensor, eval mode.

Weights. fcn/deeplabv3_resnet50 hold ~35M parameters (140 MB), too big to commit, so no weight is stored: every
float parameter and buffer of the torch model (BN running mean/var included; num_batches_tracked is an int and is
not exported) is *set* from `randomF32(numel, seed, lo, hi)` of tests/harness/rng.ts (mulberry32; this script uses a
numpy-vectorised copy checked against tools/export_dynamic_hw.py's scalar `mulberry32_f32` on every tensor's first
values), with seed = 1000·(model index + 1) + the tensor's index in state_dict order, and a range per kind:
  conv / linear weight   ±sqrt(6 / fan_in) · GAIN[model]   (He-uniform; fan_in = in/groups · kernel; GAIN below)
  conv / linear bias     ±0.1
  BN weight (gamma)      [0.8, 1.2]
  BN bias (beta)         ±0.1
  BN running_mean        ±0.1
  BN running_var         [0.5, 1.5]   (positive)
so activations stay O(1) through ~50 layers (the script prints the outputs' scale and asserts they are neither ~0
nor huge and that they depend on the input).

Export keeps PyTorch's parameters 1:1 as ONNX initializers: `training=TrainingMode.PRESERVE` (BN stays a
BatchNormalization node instead of being fused into the conv), `do_constant_folding=False`, opset 13, dynamic axes
N/H/W on 'input' and 'output'. After export every float initializer is checked to be bit-identical to the
generated tensor of the same name (the exporter names initializers after the state_dict keys); any other float
initializer (none is expected) or any integer initializer stays in the file with its data. The matched ones lose
their data (raw_data cleared, float_data emptied; dims and data_type kept), and `manifest.json` lists them:
name, dims, seed, lo, hi. tests/harness/segmentation.ts refills them bit for bit, so the ONNX the test runs is
the one PyTorch's outputs were computed from (the reference is the torch model itself, not ONNX).

Written per model: `<name>.onnx` (skeleton), `<name>_<N>x<C>x<H>x<W>.npy` (PyTorch's float32 output, [N, 5, H, W],
at each size in SIZES; input `randomF32(numel, seed)` in [-1, 1), seed given in manifest.json with the input's
float64 sum), and one `manifest.json` for all.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torchvision
from torchvision.models import segmentation as seg

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from export_dynamic_hw import mulberry32_f32  # noqa: E402  (the scalar reference implementation of rng.ts)
from export_torchvision import OutOnly  # noqa: E402  (the 'out'-only wrapper the bench export uses too)

DEFAULT_OUT = os.path.join(HERE, '..', 'tests', 'fixtures', 'segmentation')
MODELS = ['fcn_resnet50', 'deeplabv3_resnet50', 'deeplabv3_mobilenet_v3_large', 'lraspp_mobilenet_v3_large']
NUM_CLASSES = 5
SIZES = [(1, 3, 64, 80), (1, 3, 72, 56)]
# He-uniform gain per model: sqrt(1/2) (±sqrt(3/fan_in)) keeps the ResNet-50 models' outputs O(1) (1.0 lets them grow
# to ~1e3); MobileNetV3's hardswish/SE stages need 1.0, or the output barely depends on the input.
GAIN = {'fcn_resnet50': math.sqrt(0.5), 'deeplabv3_resnet50': math.sqrt(0.5), 'deeplabv3_mobilenet_v3_large': 1.0,
        'lraspp_mobilenet_v3_large': 1.0}
M32 = np.uint64(0xFFFFFFFF)


def mulberry32_np(count: int, seed: int, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
    """randomF32 of tests/harness/rng.ts, vectorised: mulberry32's state after i+1 steps is seed + (i+1)·0x6D2B79F5
    mod 2^32, and the rest is a pure function of it (uint64 products keep the exact low 32 bits of Math.imul)."""
    a = (np.uint64(seed & 0xFFFFFFFF) + np.arange(1, count + 1, dtype=np.uint64) * np.uint64(0x6D2B79F5)) & M32
    t = a
    t = ((t ^ (t >> np.uint64(15))) * (t | np.uint64(1))) & M32
    t = t ^ ((t + (((t ^ (t >> np.uint64(7))) * (t | np.uint64(61))) & M32)) & M32)
    r = ((t ^ (t >> np.uint64(14))) & M32).astype(np.float64) / 4294967296.0
    return (lo + (hi - lo) * r).astype(np.float32)


def build(name: str) -> torch.nn.Module:
    kw = dict(weights=None, weights_backbone=None, num_classes=NUM_CLASSES)
    if name != 'lraspp_mobilenet_v3_large':
        kw['aux_loss'] = False
    return getattr(seg, name)(**kw)


def ranges(model: torch.nn.Module, gain: float) -> dict[str, tuple[float, float]]:
    """lo, hi of every float state_dict entry, by the kind of module that owns it."""
    out: dict[str, tuple[float, float]] = {}
    for mname, mod in model.named_modules():
        p = (mname + '.') if mname else ''
        if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear)):
            w = mod.weight
            fan_in = w.shape[1] * (int(np.prod(w.shape[2:])) if w.dim() > 2 else 1)
            b = math.sqrt(6.0 / fan_in) * gain
            out[p + 'weight'] = (-b, b)
            if mod.bias is not None:
                out[p + 'bias'] = (-0.1, 0.1)
        elif isinstance(mod, torch.nn.BatchNorm2d):
            out[p + 'weight'] = (0.8, 1.2)
            out[p + 'bias'] = (-0.1, 0.1)
            out[p + 'running_mean'] = (-0.1, 0.1)
            out[p + 'running_var'] = (0.5, 1.5)
        else:
            for n, _ in list(mod.named_parameters(recurse=False)) + list(mod.named_buffers(recurse=False)):
                raise SystemExit(f'no range rule for {p}{n} ({type(mod).__name__})')
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('-o', '--out', default=DEFAULT_OUT)
    ap.add_argument('--only', nargs='*', default=None)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)  # deterministic reductions

    for seed in (0, 1, 12345, 0xFFFFFFFF):
        assert np.array_equal(mulberry32_np(2000, seed, -0.3, 0.7).view(np.uint32),
                              mulberry32_f32(2000, seed, -0.3, 0.7).view(np.uint32)), seed

    manifest_path = os.path.join(args.out, 'manifest.json')
    manifest = {'source': f'torchvision {torchvision.__version__} segmentation models (weights=None, '
                          f'weights_backbone=None, num_classes={NUM_CLASSES}, aux_loss off), torch {torch.__version__}, '
                          'opset 13, PRNG weights; tools/export_segmentation.py',
                'input': 'input', 'output': 'output', 'models': []}
    if os.path.exists(manifest_path) and args.only:
        with open(manifest_path) as f:
            manifest['models'] = [m for m in json.load(f)['models'] if m['name'] not in args.only]

    for mi, name in enumerate(MODELS):
        if args.only and name not in args.only:
            continue
        model = build(name).eval()
        rng = ranges(model, GAIN[name])
        sd = model.state_dict()
        tensors = []
        gen: dict[str, np.ndarray] = {}
        with torch.no_grad():
            for ti, (k, v) in enumerate(sd.items()):
                if not v.is_floating_point():
                    continue
                lo, hi = rng[k]
                seed = 1000 * (mi + 1) + ti
                data = mulberry32_np(v.numel(), seed, lo, hi)
                head = min(64, v.numel())
                assert np.array_equal(data[:head], mulberry32_f32(head, seed, lo, hi)), k
                v.copy_(torch.from_numpy(data.reshape(v.shape)))
                gen[k] = data
                tensors.append({'name': k, 'dims': list(v.shape), 'seed': seed, 'lo': lo, 'hi': hi})
        wrapped = OutOnly(model).eval()
        sd_check = wrapped.m.state_dict()
        for k in gen:
            assert np.array_equal(sd_check[k].numpy().ravel(), gen[k]), k

        path = os.path.join(args.out, f'{name}.onnx')
        example = torch.from_numpy(mulberry32_np(3 * 64 * 64, 7).reshape(1, 3, 64, 64))
        with torch.no_grad():
            torch.onnx.export(wrapped, example, path, input_names=['input'], output_names=['output'], opset_version=13,
                              do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE,
                              dynamic_axes={'input': {0: 'N', 2: 'H', 3: 'W'}, 'output': {0: 'N', 2: 'H', 3: 'W'}})
        proto = onnx.load(path)
        onnx.checker.check_model(proto)
        dims = [d.dim_param or d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
        assert dims == ['N', 3, 'H', 'W'], dims
        by_name = {t['name']: t for t in tensors}
        kept = []
        stripped = []
        for init in proto.graph.initializer:
            arr = numpy_helper.to_array(init)
            key = init.name[2:] if init.name.startswith('m.') else init.name
            if arr.dtype == np.float32 and key in gen:
                assert list(arr.shape) == by_name[key]['dims'], key
                assert np.array_equal(arr.ravel().view(np.uint32), gen[key].view(np.uint32)), f'{init.name} differs'
                init.ClearField('raw_data')
                del init.float_data[:]
                stripped.append(init.name)
                by_name[key]['onnxName'] = init.name
            else:
                kept.append(f'{init.name} {arr.dtype} {list(arr.shape)}')
        unused = [t['name'] for t in tensors if 'onnxName' not in t]
        print(f'{name}: {len(stripped)} initializers stripped, kept {kept}, state_dict entries not in ONNX: {unused}')
        assert not [k for k in kept if 'float' in k], kept
        for t in tensors:
            t['name'] = t.pop('onnxName', None) or t['name']
        tensors = [t for t in tensors if t['name'] in set(stripped)]
        proto.metadata_props.add(key='fixture', value=f'{name}: tools/export_segmentation.py (weights stripped: '
                                                      'refill from tests/fixtures/segmentation/manifest.json)')
        onnx.save(proto, path)

        cases = []
        for si, shape in enumerate(SIZES):
            seed = 100 + si
            x = mulberry32_np(int(np.prod(shape)), seed).reshape(shape)
            with torch.no_grad():
                y = wrapped(torch.from_numpy(x)).numpy().astype(np.float32)
                y2 = wrapped(torch.from_numpy(mulberry32_np(int(np.prod(shape)), seed + 50).reshape(shape))).numpy()
            out = f'{name}_' + 'x'.join(map(str, shape)) + '.npy'
            np.save(os.path.join(args.out, out), y)
            std, amax = float(y.std()), float(np.abs(y).max())
            dep = float(np.abs(y - y2).max())
            print(f'  {shape}: out {list(y.shape)} std {std:.4g} max|y| {amax:.4g} spatial std '
                  f'{float(y.std(axis=(2, 3)).mean()):.4g} change with input {dep:.4g}')
            assert 1e-2 < std < 1e3 and dep > 1e-3 * amax, (std, amax, dep)
            cases.append({'shape': list(shape), 'seed': seed, 'inputSum': float(x.astype(np.float64).sum()),
                          'output': out, 'outputShape': list(y.shape)})
        manifest['models'].append({'name': name, 'model': f'{name}.onnx', 'parameters': int(sum(np.prod(t['dims']) for t in tensors)),
                                   'initializers': tensors, 'cases': cases})
    manifest['models'].sort(key=lambda m: MODELS.index(m['name']))
    with open(manifest_path, 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
