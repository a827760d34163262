"""Initialisation configs shared by the CIFAR backbones."""

#: The public CIFAR zoo's init: Kaiming-normal fan-out convolutions with zero
#: bias, BatchNorm weight 1 and bias 0 (``init_cfg`` is deep-copied by
#: mmengine's ``BaseModule``, so sharing this list is safe).
CONV_KAIMING_BN_ONE_INIT = [
    dict(type='Kaiming', layer='Conv2d'),
    dict(type='Constant', val=1, bias=0, layer='_BatchNorm'),
]
