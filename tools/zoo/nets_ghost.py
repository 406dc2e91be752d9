"""GhostNet (Han et al., CVPR 2020) and a G-Ghost RegNet (Han et al., "GhostNets on Heterogeneous Devices via Cheap
Operations", IJCV 2022, GPU variant), written from the papers' descriptions."""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def make_divisible(value: float, divisor: int = 4) -> int:
    """Round to a multiple of `divisor`, never more than 10 % below the requested value (MobileNet convention)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


# ------------------------------------------------------------------------------------------------------------------
# GhostNet. Ghost module: a primary 1x1 conv makes ceil(out/ratio) intrinsic maps, a depthwise 3x3 "cheap operation"
# makes the ghost maps from them, the two are concatenated and sliced to `out` channels.

class GhostModule(nn.Module):
    def __init__(self, cin: int, cout: int, relu: bool, ratio: int = 2, cheap_kernel: int = 3):
        super().__init__()
        self.cout = cout
        intrinsic = math.ceil(cout / ratio)
        ghosts = intrinsic * (ratio - 1)
        act = [nn.ReLU()] if relu else []
        self.primary = nn.Sequential(nn.Conv2d(cin, intrinsic, 1, bias=False), nn.BatchNorm2d(intrinsic), *act)
        self.cheap = nn.Sequential(nn.Conv2d(intrinsic, ghosts, cheap_kernel, padding=cheap_kernel // 2,
                                             groups=intrinsic, bias=False), nn.BatchNorm2d(ghosts), *act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        primary = self.primary(x)
        return torch.cat([primary, self.cheap(primary)], 1)[:, :self.cout]


class HardSigmoidSE(nn.Module):
    """GhostNet's SE: global pool -> 1x1 conv (reduce) -> ReLU -> 1x1 conv (expand) -> hard sigmoid -> scale."""

    def __init__(self, channels: int, ratio: float):
        super().__init__()
        reduced = make_divisible(channels * ratio, 4)
        self.reduce = nn.Conv2d(channels, reduced, 1)
        self.expand = nn.Conv2d(reduced, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = self.expand(F.relu(self.reduce(F.adaptive_avg_pool2d(x, 1))))
        return x * F.hardsigmoid(gate)


class GhostBottleneck(nn.Module):
    def __init__(self, cin: int, hidden: int, cout: int, kernel: int, stride: int, se_ratio: float):
        super().__init__()
        self.ghost1 = GhostModule(cin, hidden, relu=True)
        self.depthwise = (nn.Sequential(nn.Conv2d(hidden, hidden, kernel, stride=stride, padding=(kernel - 1) // 2,
                                                  groups=hidden, bias=False), nn.BatchNorm2d(hidden))
                          if stride > 1 else nn.Identity())
        self.se = HardSigmoidSE(hidden, se_ratio) if se_ratio > 0 else nn.Identity()
        self.ghost2 = GhostModule(hidden, cout, relu=False)
        if cin == cout and stride == 1:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cin, kernel, stride=stride, padding=(kernel - 1) // 2, groups=cin, bias=False),
                nn.BatchNorm2d(cin), nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.ghost2(self.se(self.depthwise(self.ghost1(x))))
        return out + self.shortcut(x)


# Table 1 of the paper: (kernel, expansion size, output channels, SE ratio, stride) per bottleneck.
GHOSTNET_CFG = [
    (3, 16, 16, 0, 1),
    (3, 48, 24, 0, 2), (3, 72, 24, 0, 1),
    (5, 72, 40, 0.25, 2), (5, 120, 40, 0.25, 1),
    (3, 240, 80, 0, 2), (3, 200, 80, 0, 1), (3, 184, 80, 0, 1), (3, 184, 80, 0, 1),
    (3, 480, 112, 0.25, 1), (3, 672, 112, 0.25, 1),
    (5, 672, 160, 0.25, 2), (5, 960, 160, 0, 1), (5, 960, 160, 0.25, 1), (5, 960, 160, 0, 1),
    (5, 960, 160, 0.25, 1),
]


class GhostNet(nn.Module):
    def __init__(self, width: float = 1.0, num_classes: int = 1000, dropout: float = 0.2, head: int = 1280,
                 stem_stride: int = 2, cfg=GHOSTNET_CFG):
        super().__init__()
        ch = make_divisible(16 * width)
        self.stem = nn.Sequential(nn.Conv2d(3, ch, 3, stride=stem_stride, padding=1, bias=False),
                                  nn.BatchNorm2d(ch), nn.ReLU())
        blocks = []
        for kernel, expansion, cout, se, stride in cfg:
            out = make_divisible(cout * width)
            blocks.append(GhostBottleneck(ch, make_divisible(expansion * width), out, kernel, stride, se))
            ch = out
        last = make_divisible(cfg[-1][1] * width)
        blocks.append(nn.Sequential(nn.Conv2d(ch, last, 1, bias=False), nn.BatchNorm2d(last), nn.ReLU()))
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Conv2d(last, head, 1)  # 1x1 conv with bias after global pooling, then ReLU
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(head, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.adaptive_avg_pool2d(self.blocks(self.stem(x)), 1)
        out = torch.flatten(F.relu(self.head(out)), 1)
        return self.classifier(self.dropout(out))


# ------------------------------------------------------------------------------------------------------------------
# G-Ghost RegNet (GPU variant). In a stage, the first block (which downsamples) makes all `width` channels; only a
# `raw` slice of them goes on through the stage's expensive middle blocks, the remaining `cheap` channels are
# "ghost" features made from the first block's output by a cheap 1x1 conv + BN. A mix branch pools the concatenation
# of all intermediate features and adds that (per channel) to the ghosts, which carry the stage-level information.
# The raw and ghost features are concatenated and a final block closes the stage.

class RegNetXBlock(nn.Module):
    """RegNetX residual bottleneck (bottleneck ratio 1): 1x1 -> grouped 3x3 (group width g) -> 1x1, + shortcut."""

    def __init__(self, cin: int, cout: int, stride: int, group_width: int):
        super().__init__()
        groups = cout // group_width
        self.conv1, self.bn1 = nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=stride, padding=1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv3, self.bn3 = nn.Conv2d(cout, cout, 1, bias=False), nn.BatchNorm2d(cout)
        self.shortcut = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))
                         if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        return F.relu(self.bn3(self.conv3(out)) + self.shortcut(x))


class GGhostStage(nn.Module):
    def __init__(self, cin: int, width: int, depth: int, stride: int, group_width: int, cheap_ratio: float = 0.5):
        super().__init__()
        self.first = RegNetXBlock(cin, width, stride, group_width)
        self.ghosted = depth >= 2
        if not self.ghosted:
            return
        self.raw = max(group_width, int(width * (1 - cheap_ratio) / group_width) * group_width)
        cheap = width - self.raw
        self.middle = nn.ModuleList(RegNetXBlock(self.raw, self.raw, 1, group_width) for _ in range(depth - 2))
        self.cheap = nn.Sequential(nn.Conv2d(cheap, cheap, 1, bias=False), nn.BatchNorm2d(cheap))
        mixed = width + (depth - 2) * self.raw
        # No BN after the pooled 1x1 maps: BN statistics of globally pooled features are degenerate (near-zero
        # variance) with random weights and inputs and would blow activations up; a biased 1x1 conv does the job.
        self.mix = nn.Sequential(nn.Conv2d(mixed, cheap, 1), nn.ReLU())
        self.last = RegNetXBlock(width, width, 1, group_width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.first(x)
        if not self.ghosted:
            return x
        raw, intermediates = x[:, :self.raw], [x]
        for block in self.middle:
            raw = block(raw)
            intermediates.append(raw)
        mix = self.mix(F.adaptive_avg_pool2d(torch.cat(intermediates, 1), 1))
        ghosts = F.relu(self.cheap(x[:, self.raw:]) + mix)
        return self.last(torch.cat([raw, ghosts], 1))


class GGhostRegNet(nn.Module):
    """Defaults: RegNetX-1.6GF (depths 2/4/10/2, widths 72/168/408/912, group width 24, stem 32)."""

    def __init__(self, depths=(2, 4, 10, 2), widths=(72, 168, 408, 912), group_width: int = 24, stem: int = 32,
                 stem_stride: int = 2, strides=(2, 2, 2, 2), num_classes: int = 1000):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, stem, 3, stride=stem_stride, padding=1, bias=False),
                                  nn.BatchNorm2d(stem), nn.ReLU())
        stages, ch = [], stem
        for depth, width, stride in zip(depths, widths, strides):
            stages.append(GGhostStage(ch, width, depth, stride, group_width))
            ch = width
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(ch, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.stages(self.stem(x)), 1), 1))
