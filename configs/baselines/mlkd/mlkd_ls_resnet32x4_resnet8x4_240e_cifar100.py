# MLKD + logit standardisation (LSKD, Sun et al., CVPR 2024), ResNet32x4 ->
# ResNet8x4 on CIFAR-100, 240 epochs, two views per image (reference 78.28
# top-1, LSKD Table 1). The example of the option for every MLKD config:
# z-scored logits in the instance term and LSKD's KD weight 9
# (--logit-stand --kd-weight 9 in its README). Its base temperature 2 is
# already the smallest of MLKD's temperatures. Teacher checkpoint: as
# mlkd_resnet32x4_resnet8x4_240e_cifar100.py.
_base_ = ['./mlkd_resnet32x4_resnet8x4_240e_cifar100.py']
model = dict(distill_losses=dict(loss_mlkd=dict(
    logit_standardization=True, loss_weight=9.0)))
