# VRM ablation: unreliable edges scored by H(p_m) + H(p_n) (confidence)
# instead of the default cross-entropy disagreement.
_base_ = ['../vrm_resnet56_resnet20_240e_cifar100.py']
model = dict(distill_losses=dict(loss_vrm=dict(uep='entropy_sum')))
