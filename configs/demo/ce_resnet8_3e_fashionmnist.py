# Demo student alone: CIFAR ResNet8 on Fashion-MNIST, same recipe as the
# teacher (configs/demo/ce_resnet20_3e_fashionmnist.py).
_base_ = ['./ce_resnet20_3e_fashionmnist.py']
model = dict(backbone=dict(depth=8))
