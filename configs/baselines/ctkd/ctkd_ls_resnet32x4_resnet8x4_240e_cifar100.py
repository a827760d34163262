# CTKD + logit standardisation (LSKD, Sun et al., CVPR 2024), ResNet32x4 ->
# ResNet8x4 on CIFAR-100, 240 epochs (reference 76.67 top-1, LSKD Table 1).
# The example of the option for every CTKD config: z-scored logits and
# LSKD's KD weight 9 (its CTKD logs: ctkd,resnet32x4,resnet8x4,2,9). Teacher
# checkpoint: as ctkd_resnet32x4_resnet8x4_240e_cifar100.py.
_base_ = ['./ctkd_resnet32x4_resnet8x4_240e_cifar100.py']
model = dict(distill_losses=dict(loss_ctkd=dict(
    logit_standardization=True, loss_weight=9.0)))
