# DKD + logit standardisation (LSKD, Sun et al., CVPR 2024), ResNet32x4 ->
# ResNet8x4 on CIFAR-100, 240 epochs (reference 77.01 top-1, LSKD Table 1).
# The example of the option for every DKD config: z-scored logits, LSKD's
# base temperature 2 and both weights times its KD weight 9 (its train.py
# --logit-stand --base-temp 2 --kd-weight 9). Teacher checkpoint: as
# dkd_resnet32x4_resnet8x4_240e_cifar100.py.
_base_ = ['./dkd_resnet32x4_resnet8x4_240e_cifar100.py']
model = dict(distill_losses=dict(loss_dkd=dict(
    alpha=9.0, beta=72.0, temperature=2.0, logit_standardization=True)))
