"""Plain and special-purpose CIFAR nets (All-CNN-C, NIN, RKCNN, a relay-backprop net with auxiliary heads and
DropBlock, a network-slimming pruned VGG-19) and a small 3D ResNet."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import calibrate_bn, he_init


# ------------------------------------------------------------------------------------------------------------------
# All-CNN-C (Springenberg et al., "Striving for Simplicity", ICLR 2015 workshop, Table 2 model C with strided convs
# replacing max pooling). No BN; ReLU after every conv including the 10-way 1x1; global average over 6x6.

class AllCNNC(nn.Module):
    def __init__(self, widths: tuple[int, int] = (96, 192), num_classes: int = 10):
        super().__init__()
        a, b = widths

        def conv(cin: int, cout: int, k: int, stride: int = 1, pad: int = 1) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, k, stride=stride, padding=pad), nn.ReLU()]

        self.net = nn.Sequential(
            nn.Dropout(0.2),
            *conv(3, a, 3), *conv(a, a, 3), *conv(a, a, 3, stride=2), nn.Dropout(0.5),
            *conv(a, b, 3), *conv(b, b, 3), *conv(b, b, 3, stride=2), nn.Dropout(0.5),
            *conv(b, b, 3, pad=0), *conv(b, b, 1, pad=0), *conv(b, num_classes, 1, pad=0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(F.adaptive_avg_pool2d(self.net(x), 1), 1)


# ------------------------------------------------------------------------------------------------------------------
# Network in Network (Lin, Chen & Yan, ICLR 2014), CIFAR-10 model: three mlpconv layers (a spatial conv followed by two
# 1x1 convs, ReLU after each), 3x3/2 pooling with Caffe's ceil rounding (max, then average), dropout after the first
# two, and a global-average-pooling classifier on the 10 maps of the last mlpconv.

class NIN(nn.Module):
    def __init__(self, widths: tuple[int, int, int] = (192, 160, 96), num_classes: int = 10):
        super().__init__()
        w1, w2, w3 = widths

        def mlpconv(cin: int, k: int, outs: Sequence[int]) -> list[nn.Module]:
            mods: list[nn.Module] = [nn.Conv2d(cin, outs[0], k, padding=k // 2), nn.ReLU()]
            for a, b in zip(outs, outs[1:]):
                mods += [nn.Conv2d(a, b, 1), nn.ReLU()]
            return mods

        self.net = nn.Sequential(
            *mlpconv(3, 5, (w1, w2, w3)), nn.MaxPool2d(3, 2, ceil_mode=True), nn.Dropout(0.5),
            *mlpconv(w3, 5, (w1, w1, w1)), nn.AvgPool2d(3, 2, ceil_mode=True), nn.Dropout(0.5),
            *mlpconv(w1, 3, (w1, w1, num_classes)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(F.adaptive_avg_pool2d(self.net(x), 1), 1)


# ------------------------------------------------------------------------------------------------------------------
# RKCNN (Zhu, Chang & Fu, "Convolutional neural networks combined with Runge-Kutta methods"): each stage integrates
# y' = f(y) with explicit Runge-Kutta steps; every RK stage i has its own f_i (BN-ReLU-conv3x3-BN-ReLU-conv3x3), its
# input is y + h * sum_j a_ij k_j and the step output is y + h * sum_i b_i k_i, i.e. fixed weighted sums of the
# stage outputs. Stages are joined by BN-ReLU-1x1 conv + 2x2 average pooling transitions.

BUTCHER = {
    'rk2': ([[], [1.0]], [0.5, 0.5]),  # Heun
    'rk4': ([[], [0.5], [0.0, 0.5], [0.0, 0.0, 1.0]], [1 / 6, 1 / 3, 1 / 3, 1 / 6]),  # classical
}


class RKStage(nn.Module):
    def __init__(self, channels: int, method: str, steps: int = 1, h: float = 1.0):
        super().__init__()
        self.a, self.b = BUTCHER[method]
        self.steps, self.h = steps, h

        def f() -> nn.Module:
            return nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(), nn.Conv2d(channels, channels, 3, padding=1, bias=False),
                                 nn.BatchNorm2d(channels), nn.ReLU(), nn.Conv2d(channels, channels, 3, padding=1, bias=False))

        self.fs = nn.ModuleList(f() for _ in range(steps * len(self.b)))

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        fs = iter(self.fs)
        for _ in range(self.steps):
            ks: list[torch.Tensor] = []
            for row in self.a:
                inp = y
                for coeff, k in zip(row, ks):
                    if coeff != 0.0:
                        inp = inp + (self.h * coeff) * k
                ks.append(next(fs)(inp))
            update = sum((self.h * w) * k for w, k in zip(self.b, ks))
            y = y + update
        return y


class RKCNN(nn.Module):
    def __init__(self, widths=(32, 64, 128), methods=('rk4', 'rk2', 'rk4'), steps=(1, 2, 1), num_classes: int = 10):
        super().__init__()
        mods: list[nn.Module] = [nn.Conv2d(3, widths[0], 3, padding=1, bias=False)]
        for i, (w, m, s) in enumerate(zip(widths, methods, steps)):
            mods.append(RKStage(w, m, s))
            if i + 1 < len(widths):
                mods += [nn.BatchNorm2d(w), nn.ReLU(), nn.Conv2d(w, widths[i + 1], 1, bias=False), nn.AvgPool2d(2)]
        mods += [nn.BatchNorm2d(widths[-1]), nn.ReLU()]
        self.features = nn.Sequential(*mods)
        self.fc = nn.Linear(widths[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1))


# ------------------------------------------------------------------------------------------------------------------
# Relay backpropagation (Shen, Lin & Huang, ECCV 2016) style net with regularizers: auxiliary classifier heads after
# stages 1 and 2 (their losses are relayed to earlier segments in training), DropBlock (Ghiasi et al., NeurIPS 2018)
# in stages 2-3, dropout before the classifier. In eval mode only the main path exists: forward returns one tensor.

class DropBlock2d(nn.Module):
    def __init__(self, drop_prob: float, block_size: int):
        super().__init__()
        self.drop_prob, self.block_size = drop_prob, block_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.drop_prob == 0:
            return x
        h, w = x.shape[-2:]
        gamma = self.drop_prob / self.block_size ** 2 * (h * w) / ((h - self.block_size + 1) * (w - self.block_size + 1))
        seeds = (torch.rand_like(x) < gamma).float()
        mask = 1 - F.max_pool2d(seeds, self.block_size, stride=1, padding=self.block_size // 2)[..., :h, :w]
        return x * mask * (mask.numel() / mask.sum().clamp(min=1))


def conv_bn_relu(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


class RelayNet(nn.Module):
    def __init__(self, widths=(64, 128, 256), num_classes: int = 10, drop_block: float = 0.1, dropout: float = 0.5):
        super().__init__()
        a, b, c = widths
        self.stage1 = nn.Sequential(*conv_bn_relu(3, a), *conv_bn_relu(a, a), nn.MaxPool2d(2))
        self.stage2 = nn.Sequential(*conv_bn_relu(a, b), DropBlock2d(drop_block, 5), *conv_bn_relu(b, b),
                                    nn.MaxPool2d(2))
        self.stage3 = nn.Sequential(*conv_bn_relu(b, c), DropBlock2d(drop_block, 3), *conv_bn_relu(c, c))
        self.aux1 = nn.Sequential(nn.Conv2d(a, a, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(a, num_classes))
        self.aux2 = nn.Sequential(nn.Conv2d(b, b, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(b, num_classes))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor):
        s1 = self.stage1(x)
        s2 = self.stage2(s1)
        main = self.fc(self.dropout(torch.flatten(F.adaptive_avg_pool2d(self.stage3(s2), 1), 1)))
        if self.training:
            return main, self.aux1(s1), self.aux2(s2)
        return main


# ------------------------------------------------------------------------------------------------------------------
# Network slimming (Liu et al., ICCV 2017): channels whose BN scale |gamma| falls under a global percentile threshold
# are removed, with the matching input channels of the next conv. The CIFAR VGG of that paper ends with 2x2 average
# pooling and a single linear layer.

VGG19_CFG = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512]


class SlimVGG(nn.Module):
    def __init__(self, cfg: Sequence, num_classes: int = 10):
        super().__init__()
        self.cfg = list(cfg)
        mods: list[nn.Module] = []
        cin = 3
        for v in cfg:
            if v == 'M':
                mods.append(nn.MaxPool2d(2, 2))
            else:
                mods += [nn.Conv2d(cin, v, 3, padding=1, bias=False), nn.BatchNorm2d(v), nn.ReLU()]
                cin = v
        self.features = nn.Sequential(*mods)
        self.classifier = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.avg_pool2d(self.features(x), 2)
        return self.classifier(torch.flatten(out, 1))


def slimmed_vgg(seed: int, cfg: Sequence = VGG19_CFG, prune: float = 0.6, input_shape=(1, 3, 32, 32)) -> SlimVGG:
    """Random VGG whose BN scales look like after sparsity training (per-layer spread), pruned at the global
    `prune` percentile of |gamma|, weights of the kept channels copied, BN statistics re-measured."""
    gen = torch.Generator().manual_seed(seed)
    full = SlimVGG(cfg)
    he_init(full, gen)
    bns = [m for m in full.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in bns:
            spread = float(torch.exp(torch.empty(()).uniform_(-1.4, 0.7, generator=gen)))
            bn.weight.copy_(torch.randn(bn.weight.shape, generator=gen).abs() * spread + 1e-3)
    gammas = torch.cat([bn.weight.abs() for bn in bns])
    threshold = torch.sort(gammas).values[int(len(gammas) * prune)]
    masks = []
    for bn in bns:
        keep = bn.weight.abs() >= threshold
        if not keep.any():
            keep[bn.weight.abs().argmax()] = True
        masks.append(keep)
    pruned_cfg, it = [], iter(masks)
    for v in cfg:
        pruned_cfg.append('M' if v == 'M' else int(next(it).sum()))
    slim = SlimVGG(pruned_cfg)
    convs_full = [m for m in full.modules() if isinstance(m, nn.Conv2d)]
    convs_slim = [m for m in slim.modules() if isinstance(m, nn.Conv2d)]
    bns_slim = [m for m in slim.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        prev = torch.ones(3, dtype=torch.bool)
        for cf, cs, bf, bs, keep in zip(convs_full, convs_slim, bns, bns_slim, masks):
            cs.weight.copy_(cf.weight[keep][:, prev])
            bs.weight.copy_(bf.weight[keep])
            bs.bias.copy_(bf.bias[keep])
            prev = keep
        slim.classifier.weight.copy_(full.classifier.weight[:, prev])
        slim.classifier.bias.copy_(full.classifier.bias)
    slim.pruned_fraction = 1 - sum(int(k.sum()) for k in masks) / len(gammas)  # type: ignore[attr-defined]
    calibrate_bn(slim, gen, input_shape)
    return slim


# ------------------------------------------------------------------------------------------------------------------
# A small 3D ResNet (Hara et al. / Tran et al. style R3D): 3x3x3 basic blocks, 3D max pooling after the stem,
# stride-2 (time and space) downsampling with 1x1x1 projections, 3D global average pooling.

class BasicBlock3d(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv3d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm3d(cout)
        self.conv2 = nn.Conv3d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm3d(cout)
        self.shortcut = (nn.Sequential(nn.Conv3d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm3d(cout))
                         if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class SmallResNet3d(nn.Module):
    def __init__(self, widths=(16, 32, 64), num_classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv3d(3, widths[0], (3, 5, 5), stride=(1, 2, 2), padding=(1, 2, 2), bias=False),
                                  nn.BatchNorm3d(widths[0]), nn.ReLU(), nn.MaxPool3d(3, stride=(1, 2, 2), padding=1))
        blocks, cin = [], widths[0]
        for i, w in enumerate(widths):
            blocks.append(BasicBlock3d(cin, w, 1 if i == 0 else 2))
            cin = w
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(F.adaptive_avg_pool3d(self.blocks(self.stem(x)), 1), 1))
