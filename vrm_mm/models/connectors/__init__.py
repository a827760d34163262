"""Learnable adapters between student and teacher features."""
from .abf_connector import ABFConnector
from .conv_bn_relu_connector import ConvBNReLUConnector
from .linear_connector import LinearConnector
from .mlp_connector import MLPConnector

__all__ = [
    'ABFConnector', 'ConvBNReLUConnector', 'LinearConnector', 'MLPConnector'
]
