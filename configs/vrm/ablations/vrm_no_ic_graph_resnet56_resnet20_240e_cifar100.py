# VRM ablation: without the inter-class graph (beta = 0).
_base_ = ['../vrm_resnet56_resnet20_240e_cifar100.py']
model = dict(distill_losses=dict(loss_vrm=dict(beta=0.0)))
