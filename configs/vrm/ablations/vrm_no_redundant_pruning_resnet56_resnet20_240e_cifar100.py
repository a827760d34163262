# VRM ablation: without redundant-edge pruning (every pair of the 2B nodes).
_base_ = ['../vrm_resnet56_resnet20_240e_cifar100.py']
model = dict(distill_losses=dict(loss_vrm=dict(is_edges='upper')))
