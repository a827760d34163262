# MLKD + logit standardisation (LSKD, Sun et al., CVPR 2024), ResNet32x4 ->
# ResNet8x4 on CIFAR-100, two views per image (reference 78.28 top-1, best
# epoch, LSKD Table 1), the released recipe (github.com/sunshangquan/logit-
# standardization-KD, configs/cifar100/mlkd/resnet32x4_resnet8x4.yaml lines
# 10-17: batch 64, lr 0.025, x0.1 at 150/180/210, wd 5e-4, 480 epochs;
# README.md line 74: --logit-stand --base-temp 2 --kd-weight 9). Its base
# temperature 2 replaces MLKD's 4 before the hard-coded 3, 5, 2, 6
# (mdistiller/distillers/MLKD.py lines 123-180), so 2 counts twice; z-scored
# logits in the instance terms only. The example of the option for every MLKD
# config. mlkd_ls_resnet32x4_resnet8x4_240e_cifar100.py is the same on the
# shared 240-epoch schedule. Teacher checkpoint: as
# mlkd_resnet32x4_resnet8x4_240e_cifar100.py.
_base_ = ['./mlkd_resnet32x4_resnet8x4_240e_cifar100.py']
model = dict(distill_losses=dict(loss_mlkd=dict(
    temperatures=(2.0, 3.0, 5.0, 2.0, 6.0), logit_standardization=True,
    loss_weight=9.0)))
# resnet32x4_resnet8x4.yaml line 11 (SOLVER.EPOCHS); lr 0.025 (line 12) as
# MLKD's
train_cfg = dict(max_epochs=480)
