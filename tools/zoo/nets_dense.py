"""Concatenation families: DenseNet-BC for CIFAR, HarDNet (harmonic dense blocks) and a threshold-connected dense
net (ThreshNet-style). DenseNet-121 itself comes from torchvision (see registry.py)."""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


# ------------------------------------------------------------------------------------------------------------------
# DenseNet-BC (Huang et al., CVPR 2017) for CIFAR: 3x3 stem of 2k channels, three dense blocks of (depth-4)/6
# bottleneck layers (BN-ReLU-1x1 conv to 4k, BN-ReLU-3x3 conv to k), transitions BN-ReLU-1x1 (compression 0.5) and
# 2x2 average pooling. Each layer appends its k maps to the running concatenation.

class DenseLayerBC(nn.Module):
    def __init__(self, cin: int, growth: int):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(cin), nn.Conv2d(cin, 4 * growth, 1, bias=False)
        self.bn2, self.conv2 = nn.BatchNorm2d(4 * growth), nn.Conv2d(4 * growth, growth, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        new = self.conv2(F.relu(self.bn2(self.conv1(F.relu(self.bn1(x))))))
        return torch.cat([x, new], 1)


class Transition(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.bn, self.conv = nn.BatchNorm2d(cin), nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(self.conv(F.relu(self.bn(x))), 2)


class DenseNetBCCifar(nn.Module):
    def __init__(self, depth: int = 100, growth: int = 12, compression: float = 0.5, num_classes: int = 10):
        super().__init__()
        n = (depth - 4) // 6
        channels = 2 * growth
        self.conv1 = nn.Conv2d(3, channels, 3, padding=1, bias=False)
        stages = []
        for block in range(3):
            for _ in range(n):
                stages.append(DenseLayerBC(channels, growth))
                channels += growth
            if block < 2:
                out = int(math.floor(channels * compression))
                stages.append(Transition(channels, out))
                channels = out
        self.features = nn.Sequential(*stages)
        self.bn = nn.BatchNorm2d(channels)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn(self.features(self.conv1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(out, 1), 1))


# ------------------------------------------------------------------------------------------------------------------
# HarDNet (Chao et al., "HarDNet: A Low Memory Traffic Network", ICCV 2019). In a harmonic dense block layer k reads
# the outputs of layers k - 2^n for every 2^n dividing k (layer 0 = block input); its width is growth * m^(links-1)
# rounded to even. The block outputs the concatenation of the last layer and every odd layer. Conv layers are
# conv-BN-ReLU6; the "DS" variants replace 3x3 convs by 1x1 conv + depthwise 3x3 (BN, no activation).

def harmonic_links(layer: int) -> list[int]:
    links, step = [], 1
    while layer > 0 and layer % step == 0:
        links.append(layer - step)
        step *= 2
    return links


def harmonic_width(layer: int, base: int, growth: int, multiplier: float) -> int:
    if layer == 0:
        return base
    width = growth * multiplier ** (len(harmonic_links(layer)) - 1)
    return int(int(width + 1) / 2) * 2


class ConvBNReLU6(nn.Sequential):
    def __init__(self, cin: int, cout: int, kernel: int = 3, stride: int = 1):
        super().__init__(nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU6())


class DepthwiseBN(nn.Sequential):
    def __init__(self, channels: int, stride: int = 1):
        super().__init__(nn.Conv2d(channels, channels, 3, stride=stride, padding=1, groups=channels, bias=False),
                         nn.BatchNorm2d(channels))


class HarmonicDenseBlock(nn.Module):
    def __init__(self, cin: int, layers: int, growth: int, multiplier: float, depthwise: bool):
        super().__init__()
        self.links = [harmonic_links(k) for k in range(layers + 1)]
        widths = [harmonic_width(k, cin, growth, multiplier) for k in range(layers + 1)]
        convs = []
        for k in range(1, layers + 1):
            width_in = sum(widths[j] for j in self.links[k])
            if depthwise:
                convs.append(nn.Sequential(ConvBNReLU6(width_in, widths[k], 1), DepthwiseBN(widths[k])))
            else:
                convs.append(ConvBNReLU6(width_in, widths[k], 3))
        self.convs = nn.ModuleList(convs)
        self.kept = [k for k in range(layers + 1) if k == layers or k % 2 == 1]
        self.out_channels = sum(widths[k] for k in self.kept)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [x]
        for k, conv in enumerate(self.convs, start=1):
            sources = [outputs[j] for j in self.links[k]]
            outputs.append(conv(torch.cat(sources, 1) if len(sources) > 1 else sources[0]))
        return torch.cat([outputs[k] for k in self.kept], 1)


class HarDNet(nn.Module):
    """HarDNet-39DS by default (Table 1 of the paper); pass the lists for other sizes."""

    def __init__(self, stem=(24, 48), channels=(96, 320, 640, 1024), growth=(16, 20, 64, 160),
                 layers=(4, 16, 8, 4), downsample=(1, 1, 1, 0), multiplier: float = 1.6, depthwise: bool = True,
                 dropout: float = 0.05, num_classes: int = 1000, stem_stride: int = 2):
        super().__init__()
        mods: list[nn.Module] = [ConvBNReLU6(3, stem[0], 3, stride=stem_stride),
                                 ConvBNReLU6(stem[0], stem[1], 1 if depthwise else 3)]
        # DS variants downsample with a strided depthwise conv instead of max pooling.
        mods.append(DepthwiseBN(stem[1], 2) if depthwise else nn.MaxPool2d(3, 2, 1))
        ch = stem[1]
        for i, (cout, g, n, down) in enumerate(zip(channels, growth, layers, downsample)):
            block = HarmonicDenseBlock(ch, n, g, multiplier, depthwise)
            mods += [block, ConvBNReLU6(block.out_channels, cout, 1)]
            ch = cout
            if down:
                mods.append(DepthwiseBN(ch, 2) if depthwise else nn.MaxPool2d(2, 2))
        self.features = nn.Sequential(*mods)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(ch, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1)
        return self.fc(self.dropout(out))


# ------------------------------------------------------------------------------------------------------------------
# Threshold-connected dense block (after ThreshNet, Ju et al. 2022): layers up to the threshold T are densely
# connected (each reads the concatenation of the block input and every earlier layer); past T a layer reads only the
# two previous layer outputs, cutting the quadratic concat traffic. The block outputs the concatenation of all layer
# outputs (without the block input). Layers are conv3x3-BN-ReLU, transitions 1x1 conv-BN-ReLU + 2x2 average pooling.

class ThresholdBlock(nn.Module):
    def __init__(self, cin: int, layers: int, growth: int, threshold: int):
        super().__init__()
        self.threshold = threshold
        convs = []
        for k in range(1, layers + 1):
            width_in = cin + (k - 1) * growth if k <= threshold else 2 * growth
            convs.append(nn.Sequential(nn.Conv2d(width_in, growth, 3, padding=1, bias=False),
                                       nn.BatchNorm2d(growth), nn.ReLU()))
        self.convs = nn.ModuleList(convs)
        self.out_channels = layers * growth

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [x]
        for k, conv in enumerate(self.convs, start=1):
            sources = outputs if k <= self.threshold else outputs[-2:]
            outputs.append(conv(torch.cat(sources, 1) if len(sources) > 1 else sources[0]))
        return torch.cat(outputs[1:], 1)


class ThreshNetCifar(nn.Module):
    def __init__(self, stem: int = 32, layers=(8, 8, 8), growth=(16, 24, 32), threshold: int = 4,
                 transitions=(64, 128, 192), num_classes: int = 10):
        super().__init__()
        mods: list[nn.Module] = [nn.Conv2d(3, stem, 3, padding=1, bias=False), nn.BatchNorm2d(stem), nn.ReLU()]
        ch = stem
        for i, (n, g, cout) in enumerate(zip(layers, growth, transitions)):
            block = ThresholdBlock(ch, n, g, threshold)
            mods += [block, nn.Conv2d(block.out_channels, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
            if i < len(layers) - 1:
                mods.append(nn.AvgPool2d(2))
            ch = cout
        self.features = nn.Sequential(*mods)
        self.fc = nn.Linear(ch, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1))
