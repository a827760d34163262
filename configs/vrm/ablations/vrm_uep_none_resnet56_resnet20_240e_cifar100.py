# VRM ablation: without unreliable-edge pruning.
_base_ = ['../vrm_resnet56_resnet20_240e_cifar100.py']
model = dict(distill_losses=dict(loss_vrm=dict(uep='none')))
