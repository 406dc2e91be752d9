#!/usr/bin/python3
"""CI-sized members of the modern classifier families (ConvNeXt, ViT, Swin, MaxViT, MViT) as test fixtures.

  /usr/bin/python3 tools/export_tiny_modern.py            # rewrite tests/fixtures/modern/
  /usr/bin/python3 tools/export_tiny_modern.py --only swin-mini --opsets 17

Each is torchvision's own class (the code the full-size models run) in a tiny configuration, with seeded random
weights (tools/zoo/common.py randomize + export_torchvision_sweep.randomize_modern: LayerNorm affines, layer scales,
class token, q/k/v biases and relative-position biases randomized too), exported by common.export_onnx (static batch
1) at opset 17 (LayerNormalization op) and opset 14 (LayerNorm decomposed into ReduceMean/Sub/Pow/Sqrt/Div) to
tests/fixtures/modern/<name>-op<opset>/{model.onnx, input.npy, output.npy, meta.json}; tests/models/modern.test.ts
runs them on every backend against output.npy (PyTorch, eval mode). Each ONNX file stays far under 1 MB.

  convnext-mini  ConvNeXt, stages (16 ch, 1 block) -> (32 ch, 1 block), 32x32: 4x4 patchify stem, depthwise 7x7,
                 channels-last LayerNorm + Linear/GELU/Linear, layer scale, LayerNorm2d downsampling
  vit-mini       VisionTransformer(image_size=32, patch_size=8, 2 layers, 2 heads, hidden 32, MLP 64): class token,
                 position embedding, nn.MultiheadAttention
  swin-mini      SwinTransformer(patch 4, embed 16, depths (2, 2), heads (2, 4), window 4) on 32x32: 8x8 tokens in
                 stage 1, so the shifted blocks (shift 2) carry the attention mask; PatchMerging; relative-position bias
  maxvit-mini    MaxVit(64x64, stem 8, partition 4, channels (16, 32), one layer each, head dim 8): MBConv with SE,
                 block (window) and grid attention with relative-position bias (Einsum in the ONNX)
  mvit-mini      MViT (video) as mvit_v1_b builds it, 3x4x32x32 clips, three blocks (pooled attention): torch writes
                 its tensor_split as a Loop filling a sequence (If / Loop / sequence import)
  mvitv2-mini    the same blocks as mvit_v2_s builds them (residual pooling, relative-position embeddings): the
                 full mvit_v2_s cannot be exported on a 24 GB machine (docs/zoo.md), this one can
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import zlib

import numpy as np
import torch
import torchvision
from torchvision.models.convnext import CNBlockConfig, ConvNeXt
from torchvision.models.maxvit import MaxVit
from torchvision.models.swin_transformer import SwinTransformer
from torchvision.models.vision_transformer import VisionTransformer
from torchvision.models.video.mvit import MSBlockConfig, MViT

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, 'zoo'))
import common  # noqa: E402
from export_torchvision_sweep import randomize_modern  # noqa: E402

OUT = os.path.join(os.path.dirname(HERE), 'tests', 'fixtures', 'modern')
MAX_BYTES = 1_000_000
CLASSES = 10

MODELS = {
    'convnext-mini': ((1, 3, 32, 32), lambda: ConvNeXt([CNBlockConfig(16, 32, 1), CNBlockConfig(32, None, 1)],
                                                       stochastic_depth_prob=0.0, num_classes=CLASSES)),
    'vit-mini': ((1, 3, 32, 32), lambda: VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2,
                                                           hidden_dim=32, mlp_dim=64, num_classes=CLASSES)),
    'swin-mini': ((1, 3, 32, 32), lambda: SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2],
                                                          num_heads=[2, 4], window_size=[4, 4],
                                                          stochastic_depth_prob=0.0, num_classes=CLASSES)),
    'maxvit-mini': ((1, 3, 64, 64), lambda: MaxVit(input_size=(64, 64), stem_channels=8, partition_size=4,
                                                   block_channels=[16, 32], block_layers=[1, 1], head_dim=8,
                                                   stochastic_depth_prob=0.0, num_classes=CLASSES)),
    'mvit-mini': ((1, 3, 4, 32, 32), lambda: mvit_mini(v2=False)),
    'mvitv2-mini': ((1, 3, 4, 32, 32), lambda: mvit_mini(v2=True)),
}


def mvit_mini(v2: bool) -> MViT:
    """Three MViT blocks on 2x8x8 tokens: pooled keys / values (stride 2), a pooled query with a channel change, then
    an unpooled block; V1 as mvit_v1_b builds it (no query pooling where stride_q is empty), V2 as mvit_v2_s
    (residual pooling, relative-position embeddings, projection after attention)."""
    no_pool: list[int] = [1, 1, 1] if v2 else []
    blocks = [MSBlockConfig(1, 16, 16, no_pool and [3, 3, 3], [3, 3, 3], no_pool, [1, 2, 2]),
              MSBlockConfig(2, 16, 32, [3, 3, 3], [3, 3, 3], [1, 2, 2], [1, 1, 1]),
              MSBlockConfig(2, 32, 32, no_pool and [3, 3, 3], [3, 3, 3], no_pool, [1, 1, 1])]
    return MViT(spatial_size=(32, 32), temporal_size=4, block_setting=blocks, residual_pool=v2,
                residual_with_cls_embed=False, rel_pos_embed=v2, proj_after_attn=v2, stochastic_depth_prob=0.0,
                num_classes=CLASSES)


def seed_of(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def export(name: str, opsets: list[int]) -> None:
    shape, make = MODELS[name]
    seed = seed_of(name)
    torch.manual_seed(seed)
    model = make()
    randomize_modern(model, torch.Generator().manual_seed(seed + 1))
    model = common.randomize(model, seed, shape)
    x = common.seeded_input(shape, seed)
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy().astype(np.float32)
    std = float(y.std())
    if not np.isfinite(y).all() or std < 1e-2 or std > 1e3:
        raise RuntimeError(f'{name}: output std {std}: fix the randomization')
    for opset in opsets:
        folder = os.path.join(OUT, f'{name}-op{opset}')
        path = os.path.join(folder, 'model.onnx')
        common.export_onnx(model, torch.from_numpy(x), path, {
            'name': name, 'source': f'torchvision {torchvision.__version__} classes, tiny configuration, random '
                                    f'weights (seed {seed}); not trained',
            'exporter': f'tessera tools/export_tiny_modern.py (torch {torch.__version__})'}, opset=opset)
        size = os.path.getsize(path)
        if size > MAX_BYTES:
            raise RuntimeError(f'{name}: {size} bytes, over the {MAX_BYTES} fixture limit')
        np.save(os.path.join(folder, 'input.npy'), x)
        np.save(os.path.join(folder, 'output.npy'), y)
        import onnx
        ops = sorted({n.op_type for n in onnx.load(path).graph.node})
        with open(os.path.join(folder, 'meta.json'), 'w', encoding='utf-8') as f:
            json.dump({'name': f'{name}-op{opset}', 'family': name.split('-')[0], 'opset': opset, 'seed': seed,
                       'input_shape': list(shape), 'params': common.count_params(model), 'output_std': std,
                       'onnx_bytes': size, 'onnx_ops': ops, 'torch': torch.__version__}, f, indent=1)
            f.write('\n')
        print(f'{name} opset {opset}: {size / 1e3:.0f} kB, output std {std:.3g}, ops {", ".join(ops)}', flush=True)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--only', help='comma-separated names (default: all)')
    p.add_argument('--opsets', default='17,14')
    args = p.parse_args(argv)
    names = args.only.split(',') if args.only else list(MODELS)
    opsets = [int(o) for o in args.opsets.split(',')]
    torch.set_num_threads(1)
    failed = 0
    for name in names:
        try:
            export(name, opsets)
        except Exception as err:  # noqa: BLE001 - report each family
            failed += 1
            print(f'FAIL {name}: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ""}',
                  file=sys.stderr, flush=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
