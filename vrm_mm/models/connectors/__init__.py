"""Learnable adapters between student and teacher features."""
from .conv_bn_relu_connector import ConvBNReLUConnector
from .linear_connector import LinearConnector
from .mlp_connector import MLPConnector

__all__ = ['ConvBNReLUConnector', 'LinearConnector', 'MLPConnector']
