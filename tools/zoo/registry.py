"""The model zoo: one entry per shipped configuration (paper, configuration, input shape, how to build it).

`scale` is 'cifar' (32x32 inputs), 'imagenet' (224x224) or 'video' (clips). Entries with `fixture=True` are the
small (often reduced) CIFAR-scale members committed under tests/fixtures/zoo/ so CI checks every family without
torch; `reduced` says how they differ from the paper configuration, which has its own full-size entry.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Callable, Optional

import torch.nn as nn
import torchvision

import common
from cifar_resnet import CifarResNet, default_checkpoint, load_checkpoint
import nets_dense as dense
import nets_ghost as ghost
import nets_misc as misc
import nets_resnet as res

CIFAR = (1, 3, 32, 32)
IMAGENET = (1, 3, 224, 224)


@dataclass
class ZooEntry:
    name: str
    family: str
    paper: str
    configuration: str
    input_shape: tuple[int, ...]
    constructor: Callable[[], nn.Module]
    scale: str
    handles: str = ''
    pretrained: Optional[str] = None
    fixture: bool = False
    reduced: str = ''
    # Builds the ready-to-run model itself (pruning, checkpoints); default: constructor + seeded randomize.
    custom_build: Optional[Callable[[int], nn.Module]] = None
    calibration_batch: int = 4
    extra: dict = field(default_factory=dict)

    @property
    def seed(self) -> int:
        return zlib.crc32(self.name.encode()) & 0x7FFFFFFF

    def build(self) -> nn.Module:
        if self.custom_build is not None:
            return self.custom_build(self.seed).eval()
        model = self.constructor()
        if self.pretrained:
            load_checkpoint(model, self.pretrained)
            return model.eval()
        return common.randomize(model, self.seed, self.input_shape, batch_size=self.calibration_batch)


P = {
    'resnet': 'He, Zhang, Ren & Sun, Deep Residual Learning for Image Recognition, CVPR 2016',
    'preact': 'He, Zhang, Ren & Sun, Identity Mappings in Deep Residual Networks, ECCV 2016',
    'sd': 'Huang, Sun, Liu, Sedra & Weinberger, Deep Networks with Stochastic Depth, ECCV 2016',
    'wrn': 'Zagoruyko & Komodakis, Wide Residual Networks, BMVC 2016',
    'resnext': 'Xie, Girshick, Dollar, Tu & He, Aggregated Residual Transformations for Deep Neural Networks, CVPR 2017',
    'densenet': 'Huang, Liu, van der Maaten & Weinberger, Densely Connected Convolutional Networks, CVPR 2017',
    'se': 'Hu, Shen & Sun, Squeeze-and-Excitation Networks, CVPR 2018',
    'ghost': 'Han, Wang, Tian, Guo, Xu & Xu, GhostNet: More Features from Cheap Operations, CVPR 2020',
    'gghost': 'Han, Guo, Wang, Wu, Xu & Xu, GhostNets on Heterogeneous Devices via Cheap Operations, IJCV 2022',
    'hardnet': 'Chao, Kao, Ruan, Huang & Lin, HarDNet: A Low Memory Traffic Network, ICCV 2019',
    'thresh': 'Ju, Wang & Hsu, ThreshNet: An Efficient DenseNet Using Threshold Mechanism to Reduce Connections, 2022',
    'slim': 'Liu, Li, Shen, Huang, Yan & Zhang, Learning Efficient Convolutional Networks through Network Slimming, '
            'ICCV 2017',
    'mgic': 'Eliasof, Ephrath, Ruthotto & Treister, Multigrid-in-Channels Architectures for Wide Convolutional '
            'Neural Networks, 2020',
    '3d': 'Hara, Kataoka & Satoh, Can Spatiotemporal 3D CNNs Retrace the History of 2D CNNs and ImageNet?, CVPR 2018; '
          'Tran et al., A Closer Look at Spatiotemporal Convolutions for Action Recognition, CVPR 2018',
    'allcnn': 'Springenberg, Dosovitskiy, Brox & Riedmiller, Striving for Simplicity: The All Convolutional Net, '
              'ICLR 2015 (workshop)',
    'nin': 'Lin, Chen & Yan, Network In Network, ICLR 2014',
    'min': 'Min-Nets: ResNets whose units output the elementwise minimum of two filters (seed paper of the issue)',
    'rk': 'Zhu, Chang & Fu, Convolutional Neural Networks combined with Runge-Kutta Methods, 2018/2023',
    'relay': 'Shen, Lin & Huang, Relay Backpropagation for Effective Learning of Deep CNNs, ECCV 2016; '
             'Ghiasi, Lin & Le, DropBlock, NeurIPS 2018',
}
AKAMASTER = 'akamaster/pytorch_resnet_cifar10 checkpoint'


def _cifar_resnet(depth: int) -> ZooEntry:
    ckpt = default_checkpoint(depth) if depth in (20, 56) else None
    return ZooEntry(f'resnet{depth}-cifar', 'ResNet', P['resnet'], f'CIFAR ResNet-{depth}, option A shortcuts, 16/32/64',
                    CIFAR, lambda: CifarResNet(depth), 'cifar', 'basic blocks, option-A (slice + channel pad) shortcuts',
                    pretrained=ckpt)


def _slim(cfg, prune: float) -> Callable[[int], nn.Module]:
    return lambda seed: misc.slimmed_vgg(seed, cfg, prune)


VGG11_QUARTER = [16, 'M', 32, 'M', 64, 64, 'M', 128, 128, 'M', 128, 128]

ENTRIES: list[ZooEntry] = [
    # --- ResNet -------------------------------------------------------------------------------------------------
    _cifar_resnet(20), _cifar_resnet(56), _cifar_resnet(110),
    ZooEntry('resnet18', 'ResNet', P['resnet'], 'ResNet-18 (torchvision), ImageNet', IMAGENET,
             lambda: torchvision.models.resnet18(), 'imagenet', 'basic blocks, strided 1x1 projections, 7x7/2 stem, max pool'),
    ZooEntry('resnet50', 'ResNet', P['resnet'], 'ResNet-50 (torchvision), ImageNet', IMAGENET,
             lambda: torchvision.models.resnet50(), 'imagenet', 'bottleneck blocks, strided projections'),
    # --- Pre-activation ResNet ------------------------------------------------------------------------------------
    ZooEntry('preact-resnet164-cifar', 'PreAct-ResNet', P['preact'], 'PreAct-ResNet-164, bottleneck, n=18', CIFAR,
             lambda: res.PreActResNetCifar(164), 'cifar', 'BN->ReLU->conv order, BN that cannot fold backwards'),
    ZooEntry('preact-resnet11-cifar', 'PreAct-ResNet', P['preact'], 'PreAct-ResNet-11, bottleneck, n=1, widths 8/16/32',
             CIFAR, lambda: res.PreActResNetCifar(11, base=8), 'cifar', 'BN->ReLU->conv', fixture=True,
             reduced='depth 11 and half widths instead of 164'),
    # --- Stochastic depth -----------------------------------------------------------------------------------------
    ZooEntry('stochastic-depth-resnet110-cifar', 'Stochastic depth', P['sd'],
             'ResNet-110, survival linear decay 1 -> 0.5, inference scaling', CIFAR,
             lambda: res.StochasticDepthResNet(110), 'cifar', 'residual branches scaled by constants'),
    ZooEntry('stochastic-depth-resnet8-cifar', 'Stochastic depth', P['sd'], 'ResNet-8, survival 1 -> 0.5', CIFAR,
             lambda: res.StochasticDepthResNet(8), 'cifar', 'scaled residual branches', fixture=True,
             reduced='depth 8 instead of 110'),
    # --- Wide ResNet ------------------------------------------------------------------------------------------------
    ZooEntry('wrn-16-8-cifar', 'Wide ResNet', P['wrn'], 'WRN-16-8, dropout 0.3', CIFAR, lambda: res.WideResNet(16, 8),
             'cifar', 'wide 3x3 convs, dropout in blocks (removed at export)'),
    ZooEntry('wrn-28-10-cifar', 'Wide ResNet', P['wrn'], 'WRN-28-10, dropout 0.3', CIFAR,
             lambda: res.WideResNet(28, 10), 'cifar', 'wide 3x3 convs (640 channels), dropout'),
    ZooEntry('wrn-10-2-half-cifar', 'Wide ResNet', P['wrn'], 'WRN-10-2 on an 8-channel base (widths 16/32/64), dropout 0.3',
             CIFAR, lambda: res.WideResNet(10, 2, base=8), 'cifar', 'pre-activation wide blocks', fixture=True,
             reduced='WRN-10-2 with half base width instead of 16-8 / 28-10'),
    # --- ResNeXt ----------------------------------------------------------------------------------------------------
    ZooEntry('resnext29-8x64d-cifar', 'ResNeXt', P['resnext'], 'ResNeXt-29, cardinality 8, 64d', CIFAR,
             lambda: res.ResNeXtCifar(29, 8, 64), 'cifar', 'grouped 3x3 conv, cardinality 8, 512-2048 channels'),
    ZooEntry('resnext50-32x4d', 'ResNeXt', P['resnext'], 'ResNeXt-50 32x4d (torchvision), ImageNet', IMAGENET,
             lambda: torchvision.models.resnext50_32x4d(), 'imagenet', 'grouped conv, cardinality 32'),
    ZooEntry('resnext11-4x4d-cifar', 'ResNeXt', P['resnext'], 'ResNeXt-11, cardinality 4, 4d, stem 16, out 32/64/128',
             CIFAR, lambda: res.ResNeXtCifar(11, 4, 4, stem=16, outputs=(32, 64, 128)), 'cifar', 'grouped conv',
             fixture=True, reduced='depth 11, 4x4d, narrow (instead of 29, 8x64d)'),
    # --- DenseNet ---------------------------------------------------------------------------------------------------
    ZooEntry('densenet-bc-100-k12-cifar', 'DenseNet', P['densenet'], 'DenseNet-BC-100, k=12, compression 0.5', CIFAR,
             lambda: dense.DenseNetBCCifar(100, 12), 'cifar', 'concat per layer (progressive), transitions'),
    ZooEntry('densenet121', 'DenseNet', P['densenet'], 'DenseNet-121 (torchvision), k=32, ImageNet', IMAGENET,
             lambda: torchvision.models.densenet121(), 'imagenet', 'concat of all previous maps per layer, transitions'),
    ZooEntry('densenet-bc-40-k12-cifar', 'DenseNet', P['densenet'], 'DenseNet-BC-40, k=12', CIFAR,
             lambda: dense.DenseNetBCCifar(40, 12), 'cifar', 'concat, transitions', fixture=True,
             reduced='depth 40 instead of 100'),
    # --- SENet ------------------------------------------------------------------------------------------------------
    ZooEntry('se-resnet50', 'SENet', P['se'], 'SE-ResNet-50, r=16, ImageNet', IMAGENET, res.se_resnet50, 'imagenet',
             'global pool -> FC -> ReLU -> FC -> sigmoid -> channel scale'),
    ZooEntry('se-resnet20-cifar', 'SENet', P['se'], 'SE-ResNet-20, r=16, option A', CIFAR,
             lambda: res.SEResNetCifar(20), 'cifar', 'SE channel scale on basic blocks'),
    ZooEntry('se-resnet8-cifar', 'SENet', P['se'], 'SE-ResNet-8, r=16', CIFAR, lambda: res.SEResNetCifar(8), 'cifar',
             'SE channel scale', fixture=True, reduced='depth 8 instead of 20'),
    # --- GhostNet / G-GhostNet ----------------------------------------------------------------------------------------
    ZooEntry('ghostnet-1.0x', 'GhostNet', P['ghost'], 'GhostNet 1.0x, ImageNet', IMAGENET, lambda: ghost.GhostNet(1.0),
             'imagenet', 'Ghost module (1x1 + depthwise cheap op + concat + slice), hard-sigmoid SE, depthwise strides'),
    ZooEntry('ghostnet-0.2x-cifar', 'GhostNet', P['ghost'], 'GhostNet 0.2x, stem stride 1, head 128, 32x32 input',
             CIFAR, lambda: ghost.GhostNet(0.2, num_classes=10, head=128, stem_stride=1), 'cifar',
             'Ghost modules, SE', fixture=True, reduced='width 0.2, CIFAR input, 128-wide head'),
    ZooEntry('g-ghost-regnetx-1.6gf', 'G-GhostNet', P['gghost'], 'G-Ghost RegNetX-1.6GF (GPU variant), cheap ratio 0.5',
             IMAGENET, lambda: ghost.GGhostRegNet(), 'imagenet', 'stage-level cheap 1x1 ops, slices, mix (pool) add, concat',
             calibration_batch=16),  # the mix BN sees 1x1 maps: 4 samples give a poor variance estimate
    ZooEntry('g-ghost-regnet-cifar', 'G-GhostNet', P['gghost'], 'G-Ghost RegNetX-style, widths 16/32/64, depths 1/3/4, gw 8',
             CIFAR, lambda: ghost.GGhostRegNet((1, 3, 4), (16, 32, 64), 8, 16, 1, (1, 2, 2), 10), 'cifar',
             'stage-level cheap ops', fixture=True, reduced='three narrow stages instead of RegNetX-1.6GF',
             calibration_batch=32),
    # --- HarDNet / ThreshNet ------------------------------------------------------------------------------------------
    ZooEntry('hardnet39ds', 'HarDNet', P['hardnet'], 'HarDNet-39DS, m=1.6, ImageNet', IMAGENET, lambda: dense.HarDNet(),
             'imagenet', 'harmonic (sparse) concat patterns, depthwise separable'),
    ZooEntry('hardnet-mini-cifar', 'HarDNet', P['hardnet'], 'HarDNet-DS, blocks 4/8/4, growth 8/12/16, m=1.6',
             CIFAR, lambda: dense.HarDNet((16, 24), (48, 96, 160), (8, 12, 16), (4, 8, 4), (1, 1, 0), 1.6, True, 0.05, 10, 1),
             'cifar', 'harmonic concat', fixture=True, reduced='three small harmonic blocks instead of HarDNet-39DS'),
    ZooEntry('threshnet-cifar', 'ThresholdNet', P['thresh'], 'threshold dense blocks 8/8/8, k=16/24/32, T=4', CIFAR,
             lambda: dense.ThreshNetCifar(), 'cifar', 'dense concat up to T, then two-input concat'),
    ZooEntry('threshnet-mini-cifar', 'ThresholdNet', P['thresh'], 'threshold dense blocks 4/4/4, k=8/12/16, T=2', CIFAR,
             lambda: dense.ThreshNetCifar(16, (4, 4, 4), (8, 12, 16), 2, (32, 48, 64)), 'cifar', 'threshold concat',
             fixture=True, reduced='4 layers per block, narrow'),
    # --- Network slimming ---------------------------------------------------------------------------------------------
    ZooEntry('slim-vgg19-cifar', 'Network slimming', P['slim'], 'VGG-19 (BN), 60 % channels pruned by |gamma|', CIFAR,
             lambda: misc.SlimVGG(misc.VGG19_CFG), 'cifar', 'irregular channel counts',
             custom_build=_slim(misc.VGG19_CFG, 0.6)),
    ZooEntry('slim-vgg11-quarter-cifar', 'Network slimming', P['slim'], 'VGG-11 (BN) at 1/4 width, 60 % pruned', CIFAR,
             lambda: misc.SlimVGG(VGG11_QUARTER), 'cifar', 'irregular channel counts', fixture=True,
             custom_build=_slim(VGG11_QUARTER, 0.6), reduced='VGG-11 at quarter width instead of VGG-19'),
    # --- MGIC ---------------------------------------------------------------------------------------------------------
    ZooEntry('mgic-resnet18-cifar', 'MGIC', P['mgic'], 'ResNet-18/CIFAR with MGIC blocks, group size 16', CIFAR,
             lambda: res.MGICResNet(), 'cifar', 'nested grouped convs (5 levels), grouped 1x1 restriction/prolongation'),
    ZooEntry('mgic-resnet10-cifar', 'MGIC', P['mgic'], 'ResNet-10 widths 16-128 with MGIC blocks, group size 8', CIFAR,
             lambda: res.MGICResNet((16, 32, 64, 128), (1, 1, 1, 1), 8), 'cifar', 'nested grouped convs',
             fixture=True, reduced='one block per stage, widths 16-128, group size 8'),
    # --- 3D ResNets ---------------------------------------------------------------------------------------------------
    ZooEntry('r3d-18', '3D ResNet', P['3d'], 'R3D-18 (torchvision r3d_18), 16x112x112 clip', (1, 3, 16, 112, 112),
             lambda: torchvision.models.video.r3d_18(), 'video', 'Conv3D, 3D pooling', calibration_batch=2),
    ZooEntry('resnet3d-small', '3D ResNet', P['3d'], 'small 3D ResNet, widths 8/16/32, 8x32x32 clip', (1, 3, 8, 32, 32),
             lambda: misc.SmallResNet3d((8, 16, 32)), 'video', 'Conv3D, MaxPool3d, 3D global pool', fixture=True),
    # --- All-CNN / NIN --------------------------------------------------------------------------------------------------
    ZooEntry('allcnn-c-cifar', 'All-CNN', P['allcnn'], 'All-CNN-C (96/192)', CIFAR, lambda: misc.AllCNNC(), 'cifar',
             'strided convs instead of pooling, valid 3x3, global average pooling'),
    ZooEntry('allcnn-c-sixth-cifar', 'All-CNN', P['allcnn'], 'All-CNN-C at 1/6 width (16/32)', CIFAR,
             lambda: misc.AllCNNC((16, 32)), 'cifar', 'strided convs, GAP', fixture=True, reduced='1/6 width'),
    ZooEntry('nin-cifar', 'NIN', P['nin'], 'NIN CIFAR-10 (192/160/96)', CIFAR, lambda: misc.NIN(), 'cifar',
             'mlpconv (1x1 stacks), ceil-mode pooling, GAP classifier'),
    ZooEntry('nin-quarter-cifar', 'NIN', P['nin'], 'NIN at 1/4 width (48/40/24)', CIFAR, lambda: misc.NIN((48, 40, 24)),
             'cifar', 'mlpconv, ceil-mode pooling', fixture=True, reduced='quarter width'),
    # --- Min-Nets -------------------------------------------------------------------------------------------------------
    ZooEntry('minnet-resnet20-cifar', 'Min-Net', P['min'], 'ResNet-20, every unit min of two conv+BN filters', CIFAR,
             lambda: res.MinNetResNet(20), 'cifar', 'elementwise Min of conv pairs'),
    ZooEntry('minnet-resnet8-cifar', 'Min-Net', P['min'], 'ResNet-8 min units, widths 8/16/32', CIFAR,
             lambda: res.MinNetResNet(8, widths=(8, 16, 32)),
             'cifar', 'elementwise Min', fixture=True, reduced='depth 8 instead of 20'),
    # --- RKCNN ----------------------------------------------------------------------------------------------------------
    ZooEntry('rkcnn-cifar', 'RKCNN', P['rk'], 'RK4 / RK2 (2 steps) / RK4 stages, widths 32/64/128', CIFAR,
             lambda: misc.RKCNN(), 'cifar', 'weighted sums of stage outputs (Mul by constants + Add)'),
    ZooEntry('rkcnn-mini-cifar', 'RKCNN', P['rk'], 'RK4 / RK2 / RK4, one step each, widths 8/16/24', CIFAR,
             lambda: misc.RKCNN((8, 16, 24), steps=(1, 1, 1)), 'cifar', 'weighted stage sums', fixture=True,
             reduced='narrow, one step per stage'),
    # --- Relay backprop / regularizers --------------------------------------------------------------------------------
    ZooEntry('relaynet-cifar', 'Relay backprop', P['relay'], 'VGG-style 64/128/256, aux heads after stages 1-2, '
             'DropBlock 0.1, dropout 0.5', CIFAR, lambda: misc.RelayNet(), 'cifar',
             'aux heads, DropBlock and dropout removed (eval export: main path only)'),
    ZooEntry('relaynet-mini-cifar', 'Relay backprop', P['relay'], 'widths 16/24/48, aux heads, DropBlock', CIFAR,
             lambda: misc.RelayNet((16, 24, 48)), 'cifar', 'training-only parts removed', fixture=True,
             reduced='widths 16/24/48 instead of 64/128/256'),
]

BY_NAME = {e.name: e for e in ENTRIES}
assert len(BY_NAME) == len(ENTRIES), 'duplicate zoo names'
