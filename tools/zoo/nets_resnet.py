"""Residual families written from their papers: pre-activation ResNet, stochastic depth, Wide ResNet, ResNeXt (CIFAR),
SE-ResNets, Min-Net ResNet and the multigrid-in-channels (MGIC) ResNet.

CIFAR nets follow He et al. 2016 sec. 4.2 layouts (3x3 stem, three stages 16/32/64 at 32/16/8 px) unless the paper
defines its own. Every module is plain PyTorch so torch.onnx exports standard ops.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.resnet import Bottleneck, ResNet

import common  # noqa: F401  (puts tools/ on sys.path)
from cifar_resnet import OptionAShortcut


def conv3x3(cin: int, cout: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, groups=groups, bias=False)


def conv1x1(cin: int, cout: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 1, stride=stride, groups=groups, bias=False)


class CifarHead(nn.Module):
    """Global average pool + linear classifier (optionally preceded by the final BN-ReLU of pre-activation nets)."""

    def __init__(self, channels: int, num_classes: int, preact: bool):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels) if preact else None
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.bn is not None:
            x = F.relu(self.bn(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


# ------------------------------------------------------------------------------------------------------------------
# Pre-activation ResNet (He et al., "Identity Mappings in Deep Residual Networks", ECCV 2016): BN -> ReLU -> conv.

class PreActBottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int):
        super().__init__()
        cout = planes * self.expansion
        self.bn1, self.conv1 = nn.BatchNorm2d(cin), conv1x1(cin, planes)
        self.bn2, self.conv2 = nn.BatchNorm2d(planes), conv3x3(planes, planes, stride)
        self.bn3, self.conv3 = nn.BatchNorm2d(planes), conv1x1(planes, cout)
        # Projection on the pre-activated input when the shape changes (the paper's CIFAR code does this).
        self.shortcut = conv1x1(cin, cout, stride) if stride != 1 or cin != cout else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pre = F.relu(self.bn1(x))
        shortcut = self.shortcut(pre) if self.shortcut is not None else x
        out = self.conv1(pre)
        out = self.conv2(F.relu(self.bn2(out)))
        out = self.conv3(F.relu(self.bn3(out)))
        return out + shortcut


class PreActResNetCifar(nn.Module):
    """Bottleneck pre-activation ResNet, depth 9n+2 (164: n=18), stages of 16/32/64 bottleneck widths."""

    def __init__(self, depth: int = 164, num_classes: int = 10, base: int = 16):
        super().__init__()
        if (depth - 2) % 9 != 0:
            raise ValueError(f'bottleneck pre-activation ResNet depth must be 9n+2, got {depth}')
        n = (depth - 2) // 9
        self.conv1 = conv3x3(3, base)
        layers, cin = [], base
        for planes, stride in ((base, 1), (2 * base, 2), (4 * base, 2)):
            for i in range(n):
                layers.append(PreActBottleneck(cin, planes, stride if i == 0 else 1))
                cin = planes * PreActBottleneck.expansion
        self.layers = nn.Sequential(*layers)
        self.head = CifarHead(cin, num_classes, preact=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layers(self.conv1(x)))


# ------------------------------------------------------------------------------------------------------------------
# Stochastic depth (Huang et al., "Deep Networks with Stochastic Depth", ECCV 2016). At test time every residual
# branch is kept and scaled by its survival probability p_l = 1 - l/L * (1 - p_L), linear decay to p_L = 0.5.

class StochasticDepthBlock(nn.Module):
    def __init__(self, cin: int, planes: int, stride: int, survival: float):
        super().__init__()
        self.survival = survival
        self.conv1, self.bn1 = conv3x3(cin, planes, stride), nn.BatchNorm2d(planes)
        self.conv2, self.bn2 = conv3x3(planes, planes), nn.BatchNorm2d(planes)
        self.shortcut = OptionAShortcut(planes) if stride != 1 or cin != planes else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.training and torch.rand(()) > self.survival:
            return F.relu(self.shortcut(x))
        scale = 1.0 if self.training else self.survival
        return F.relu(self.shortcut(x) + branch * scale)


class StochasticDepthResNet(nn.Module):
    def __init__(self, depth: int = 110, final_survival: float = 0.5, num_classes: int = 10):
        super().__init__()
        n = (depth - 2) // 6
        total = 3 * n
        self.conv1, self.bn1 = conv3x3(3, 16), nn.BatchNorm2d(16)
        layers, cin, index = [], 16, 0
        for planes, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(n):
                index += 1
                survival = 1.0 - index / total * (1.0 - final_survival)
                layers.append(StochasticDepthBlock(cin, planes, stride if i == 0 else 1, survival))
                cin = planes
        self.layers = nn.Sequential(*layers)
        self.head = CifarHead(64, num_classes, preact=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layers(F.relu(self.bn1(self.conv1(x)))))


# ------------------------------------------------------------------------------------------------------------------
# Wide ResNet (Zagoruyko & Komodakis, BMVC 2016): pre-activation basic blocks, widths 16k/32k/64k, dropout between
# the two 3x3 convs of a block, 1x1 projection when the shape changes.

class WideBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, dropout: float):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(cin), conv3x3(cin, cout, stride)
        self.bn2, self.conv2 = nn.BatchNorm2d(cout), conv3x3(cout, cout)
        self.dropout = nn.Dropout(dropout)
        self.shortcut = conv1x1(cin, cout, stride) if stride != 1 or cin != cout else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pre = F.relu(self.bn1(x))
        shortcut = self.shortcut(pre) if self.shortcut is not None else x
        out = self.dropout(F.relu(self.bn2(self.conv1(pre))))
        return self.conv2(out) + shortcut


class WideResNet(nn.Module):
    def __init__(self, depth: int, widen: int, dropout: float = 0.3, num_classes: int = 10, base: int = 16):
        super().__init__()
        if (depth - 4) % 6 != 0:
            raise ValueError(f'WRN depth must be 6n+4, got {depth}')
        n = (depth - 4) // 6
        self.conv1 = conv3x3(3, base)
        layers, cin = [], base
        for width, stride in ((base * widen, 1), (2 * base * widen, 2), (4 * base * widen, 2)):
            for i in range(n):
                layers.append(WideBlock(cin, width, stride if i == 0 else 1, dropout))
                cin = width
        self.layers = nn.Sequential(*layers)
        self.head = CifarHead(cin, num_classes, preact=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layers(self.conv1(x)))


# ------------------------------------------------------------------------------------------------------------------
# ResNeXt for CIFAR (Xie et al., CVPR 2017, sec. 5.3): 3x3 stem of 64, three stages of 3 bottleneck blocks with
# outputs 256/512/1024; the grouped 3x3 has cardinality C and C*d channels, d doubling per stage (29 = 9*3 + 2).

class ResNeXtBlock(nn.Module):
    def __init__(self, cin: int, cout: int, width: int, cardinality: int, stride: int):
        super().__init__()
        self.conv1, self.bn1 = conv1x1(cin, width), nn.BatchNorm2d(width)
        self.conv2, self.bn2 = conv3x3(width, width, stride, groups=cardinality), nn.BatchNorm2d(width)
        self.conv3, self.bn3 = conv1x1(width, cout), nn.BatchNorm2d(cout)
        self.shortcut = (nn.Sequential(conv1x1(cin, cout, stride), nn.BatchNorm2d(cout))
                         if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        return F.relu(self.bn3(self.conv3(out)) + self.shortcut(x))


class ResNeXtCifar(nn.Module):
    def __init__(self, depth: int = 29, cardinality: int = 8, base_width: int = 64, stem: int = 64,
                 outputs: tuple[int, int, int] = (256, 512, 1024), num_classes: int = 10):
        super().__init__()
        n = (depth - 2) // 9
        self.conv1, self.bn1 = conv3x3(3, stem), nn.BatchNorm2d(stem)
        layers, cin = [], stem
        for stage, (cout, stride) in enumerate(zip(outputs, (1, 2, 2))):
            width = cardinality * base_width * 2 ** stage
            for i in range(n):
                layers.append(ResNeXtBlock(cin, cout, width, cardinality, stride if i == 0 else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.head = CifarHead(cin, num_classes, preact=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layers(F.relu(self.bn1(self.conv1(x)))))


# ------------------------------------------------------------------------------------------------------------------
# Squeeze-and-Excitation (Hu et al., CVPR 2018): global pool -> FC (C/r) -> ReLU -> FC (C) -> sigmoid -> scale.

class SqueezeExcite(nn.Module):
    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        hidden = max(1, channels // reduction)
        self.fc1 = nn.Linear(channels, hidden)
        self.fc2 = nn.Linear(hidden, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c = x.shape[0], x.shape[1]
        s = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(s))))
        return x * s.view(n, c, 1, 1)


class SEBasicBlockCifar(nn.Module):
    """CIFAR ResNet basic block (option-A shortcut) with SE on the residual branch before the addition."""

    def __init__(self, cin: int, planes: int, stride: int, reduction: int):
        super().__init__()
        self.conv1, self.bn1 = conv3x3(cin, planes, stride), nn.BatchNorm2d(planes)
        self.conv2, self.bn2 = conv3x3(planes, planes), nn.BatchNorm2d(planes)
        self.se = SqueezeExcite(planes, reduction)
        self.shortcut = OptionAShortcut(planes) if stride != 1 or cin != planes else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.se(self.bn2(self.conv2(out)))
        return F.relu(out + self.shortcut(x))


class SEResNetCifar(nn.Module):
    def __init__(self, depth: int = 20, reduction: int = 16, num_classes: int = 10):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1, self.bn1 = conv3x3(3, 16), nn.BatchNorm2d(16)
        layers, cin = [], 16
        for planes, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(n):
                layers.append(SEBasicBlockCifar(cin, planes, stride if i == 0 else 1, reduction))
                cin = planes
        self.layers = nn.Sequential(*layers)
        self.head = CifarHead(64, num_classes, preact=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layers(F.relu(self.bn1(self.conv1(x)))))


class SEBottleneck(Bottleneck):
    """torchvision's ResNet bottleneck with SE (r=16) on the branch, after bn3 and before the residual add."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.se = SqueezeExcite(self.conv3.out_channels, 16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = self.downsample(x) if self.downsample is not None else x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.se(self.bn3(self.conv3(out)))
        return self.relu(out + identity)


def se_resnet50(num_classes: int = 1000) -> nn.Module:
    return ResNet(SEBottleneck, [3, 4, 6, 3], num_classes=num_classes)


# ------------------------------------------------------------------------------------------------------------------
# Min-Net ResNet-20: every conv-BN-ReLU unit becomes min(BN(W_a x), BN(W_b x)), the elementwise minimum of two
# filters' outputs (a concave piecewise-linear unit that replaces the ReLU); residual additions are unchanged.

class MinUnit(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv_a, self.bn_a = conv3x3(cin, cout, stride), nn.BatchNorm2d(cout)
        self.conv_b, self.bn_b = conv3x3(cin, cout, stride), nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.minimum(self.bn_a(self.conv_a(x)), self.bn_b(self.conv_b(x)))


class MinBlock(nn.Module):
    def __init__(self, cin: int, planes: int, stride: int):
        super().__init__()
        self.unit1 = MinUnit(cin, planes, stride)
        self.unit2 = MinUnit(planes, planes)
        self.shortcut = OptionAShortcut(planes) if stride != 1 or cin != planes else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.unit2(self.unit1(x)) + self.shortcut(x)


class MinNetResNet(nn.Module):
    def __init__(self, depth: int = 20, num_classes: int = 10, widths: tuple[int, int, int] = (16, 32, 64)):
        super().__init__()
        n = (depth - 2) // 6
        self.stem = MinUnit(3, widths[0])
        layers, cin = [], widths[0]
        for planes, stride in zip(widths, (1, 2, 2)):
            for i in range(n):
                layers.append(MinBlock(cin, planes, stride if i == 0 else 1))
                cin = planes
        self.layers = nn.Sequential(*layers)
        self.head = CifarHead(cin, num_classes, preact=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layers(self.stem(x)))


# ------------------------------------------------------------------------------------------------------------------
# Multigrid-in-channels (Eliasof, Ephrath, Ruthotto & Treister, 2020). A dense 3x3 conv on C channels is replaced by a
# V-cycle: restrict channels 2:1 with a grouped 1x1 conv, recurse on C/2 channels until C <= group size (where one
# dense conv couples all coarse channels), prolong back with a grouped 1x1 conv, add, then smooth with a grouped 3x3
# conv (groups of `group` channels). Parameters grow linearly with width instead of quadratically.

class MGICLayer(nn.Module):
    def __init__(self, channels: int, group: int, activate: bool = True):
        super().__init__()
        self.activate = activate
        if channels > group:
            groups = channels // group
            self.restrict = conv1x1(channels, channels // 2, groups=groups)
            self.coarse = MGICLayer(channels // 2, group)
            self.prolong = conv1x1(channels // 2, channels, groups=groups)
            self.smooth = conv3x3(channels, channels, groups=groups)
        else:
            self.coarse = None
            self.smooth = conv3x3(channels, channels)  # coarsest level: full channel coupling
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.coarse is not None:
            x = x + self.prolong(self.coarse(self.restrict(x)))
        out = self.bn(self.smooth(x))
        return F.relu(out) if self.activate else out


class MGICBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, group: int):
        super().__init__()
        if stride != 1 or cin != cout:
            # Entry: grouped strided conv widens each group; the projection shortcut matches the shape.
            self.entry = nn.Sequential(conv3x3(cin, cout, stride, groups=cin // group), nn.BatchNorm2d(cout),
                                       nn.ReLU())
            self.shortcut = nn.Sequential(conv1x1(cin, cout, stride), nn.BatchNorm2d(cout))
        else:
            self.entry = MGICLayer(cout, group)
            self.shortcut = nn.Identity()
        self.mgic = MGICLayer(cout, group, activate=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.mgic(self.entry(x)) + self.shortcut(x))


class MGICResNet(nn.Module):
    """ResNet-18 for CIFAR (64..512 widths, [2,2,2,2] basic blocks, 3x3 stem) with MGIC blocks."""

    def __init__(self, widths=(64, 128, 256, 512), blocks=(2, 2, 2, 2), group: int = 16, num_classes: int = 10):
        super().__init__()
        self.conv1, self.bn1 = conv3x3(3, widths[0]), nn.BatchNorm2d(widths[0])
        layers, cin = [], widths[0]
        for stage, (width, count) in enumerate(zip(widths, blocks)):
            for i in range(count):
                layers.append(MGICBlock(cin, width, 2 if stage > 0 and i == 0 else 1, group))
                cin = width
        self.layers = nn.Sequential(*layers)
        self.head = CifarHead(cin, num_classes, preact=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layers(F.relu(self.bn1(self.conv1(x)))))
