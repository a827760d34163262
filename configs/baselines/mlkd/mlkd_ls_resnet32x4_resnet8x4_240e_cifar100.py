# MLKD + logit standardisation (LSKD, Sun et al., CVPR 2024), ResNet32x4 ->
# ResNet8x4 on CIFAR-100, 240 epochs, two views per image (reference 78.28
# top-1, LSKD Table 1). The example of the option for every MLKD config:
# z-scored logits in the instance term and LSKD's KD weight 9 (its train.py
# --logit-stand --base-temp 2 --kd-weight 9). Its base temperature 2
# replaces MLKD's 4 among the hard-coded 2, 3, 5, 6, so 2 counts twice.
# Teacher checkpoint: as mlkd_resnet32x4_resnet8x4_240e_cifar100.py.
_base_ = ['./mlkd_resnet32x4_resnet8x4_240e_cifar100.py']
model = dict(distill_losses=dict(loss_mlkd=dict(
    temperatures=(2.0, 3.0, 5.0, 2.0, 6.0), logit_standardization=True,
    loss_weight=9.0)))
