"""Registered backbones; each module registers itself on import."""

from .cifar_mobilenetv2 import CIFARMobileNetV2
from .cifar_resnet import CIFARResNet
from .cifar_shufflenet_v1 import CIFARShuffleNetV1
from .cifar_shufflenet_v2 import CIFARShuffleNetV2
from .cifar_vgg import CIFARVGG
from .cifar_wrn import CIFARWideResNet
from .mobilenet_v1 import MobileNetV1

__all__ = [
    'CIFARMobileNetV2',
    'CIFARResNet',
    'CIFARShuffleNetV1',
    'CIFARShuffleNetV2',
    'CIFARVGG',
    'CIFARWideResNet',
    'MobileNetV1',
]
