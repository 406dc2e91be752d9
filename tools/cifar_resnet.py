"""CIFAR-10 ResNet (He et al. 2016, section 4.2) with parameter-free "option A" shortcuts.

Written from the description in ../shared/data/pretrained/akamaster-resnet-cifar10/README.md so that the module
names match that checkpoint's keys once the `module.` prefix (nn.DataParallel) is stripped.
Also home of the CIFAR-10 test-file reader and the preprocessing constants the checkpoints were trained with.
"""
from __future__ import annotations

import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# The trainer normalised with ImageNet statistics (not CIFAR ones); see the checkpoint README.
CIFAR_MEAN = [0.485, 0.456, 0.406]
CIFAR_STD = [0.229, 0.224, 0.225]
SUPPORTED_DEPTHS = (20, 32, 44, 56, 110)
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.path.join(os.path.dirname(REPO_ROOT), 'shared', 'data')


class OptionAShortcut(nn.Module):
    """Keeps every second row/column and zero-pads channels (planes//4 before and after): no parameters."""

    def __init__(self, planes: int):
        super().__init__()
        self.pad = planes // 4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # F.pad's list runs from the last axis backwards: (W, W, H, H, C, C).
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))


class BasicBlock(nn.Module):
    def __init__(self, in_planes: int, planes: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        changes_shape = stride != 1 or in_planes != planes
        self.shortcut = OptionAShortcut(planes) if changes_shape else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class CifarResNet(nn.Module):
    def __init__(self, depth: int, num_classes: int = 10):
        super().__init__()
        if (depth - 2) % 6 != 0 or depth < 8:
            raise ValueError(f'CIFAR ResNet depth must be 6n+2 (got {depth})')
        blocks = (depth - 2) // 6
        self.depth = depth
        self.conv1 = nn.Conv2d(3, 16, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = self._stage(16, 16, blocks, 1)
        self.layer2 = self._stage(16, 32, blocks, 2)
        self.layer3 = self._stage(32, 64, blocks, 2)
        self.linear = nn.Linear(64, num_classes)

    @staticmethod
    def _stage(in_planes: int, planes: int, blocks: int, stride: int) -> nn.Sequential:
        layers = [BasicBlock(in_planes, planes, stride)]
        layers += [BasicBlock(planes, planes, 1) for _ in range(blocks - 1)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.linear(out)


def default_checkpoint(depth: int) -> str | None:
    folder = os.path.join(SHARED_DATA, 'pretrained', 'akamaster-resnet-cifar10')
    if not os.path.isdir(folder):
        return None
    for name in sorted(os.listdir(folder)):
        if name.startswith(f'resnet{depth}-') and name.endswith('.th'):
            return os.path.join(folder, name)
    return None


def load_checkpoint(model: CifarResNet, path: str) -> None:
    """Loads an akamaster checkpoint (legacy, pre-zip torch format); strict so a key mismatch is an error."""
    blob = torch.load(path, map_location='cpu')
    state = blob['state_dict'] if isinstance(blob, dict) and 'state_dict' in blob else blob
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    # The checkpoints carry no num_batches_tracked (only used in training); anything else missing is fatal.
    missing = [k for k in missing if not k.endswith('num_batches_tracked')]
    if missing or unexpected:
        raise ValueError(f'{path}: checkpoint does not fit a depth-{model.depth} CIFAR ResNet '
                         f'(missing {missing[:5]}, unexpected {unexpected[:5]})')


def randomize(model: nn.Module, seed: int, calibration_batches: int = 4) -> None:
    """Seeded random weights plus BN statistics measured on random inputs, then jittered.

    Calibrating the running statistics keeps activations at a sane scale even through 110 layers (pure random
    statistics blow up); the jitter makes sure mean/var are not exactly the batch statistics.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Conv1d, nn.Conv3d, nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
            elif isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.2)
                m.reset_running_stats()
                m.momentum = None  # cumulative average over the calibration batches
        model.train()
        for _ in range(calibration_batches):
            model(torch.randn((8, 3, 32, 32), generator=gen))
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.add_(torch.randn(m.running_mean.shape, generator=gen) * 0.05)
                m.running_var.mul_(torch.rand(m.running_var.shape, generator=gen) * 0.4 + 0.8)
                m.momentum = 0.1
    model.eval()


def read_labels(cifar_dir: str) -> list[str]:
    with open(os.path.join(cifar_dir, 'batches.meta.txt'), encoding='utf-8') as f:
        return [line.strip() for line in f if line.strip()]


def read_cifar_test(cifar_dir: str, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Official binary format: records of 1 label byte + 3072 bytes (R, G, B planes, 32x32 row-major)."""
    raw = np.fromfile(os.path.join(cifar_dir, 'test_batch.bin'), dtype=np.uint8)
    if raw.size % 3073 != 0:
        raise ValueError(f'{cifar_dir}/test_batch.bin: size {raw.size} is not a multiple of 3073')
    records = raw.reshape(-1, 3073)
    if limit is not None:
        records = records[:limit]
    return records[:, 1:].reshape(-1, 3, 32, 32), records[:, 0].astype(np.int64)


def normalize(images_u8: np.ndarray) -> np.ndarray:
    """uint8 NCHW -> float32, /255 then per-channel (x - mean) / std, as the checkpoints' trainer did."""
    x = images_u8.astype(np.float32) / np.float32(255)
    mean = np.array(CIFAR_MEAN, dtype=np.float32).reshape(1, 3, 1, 1)
    std = np.array(CIFAR_STD, dtype=np.float32).reshape(1, 3, 1, 1)
    return ((x - mean) / std).astype(np.float32)
