# KD + logit standardisation (LSKD, Sun et al., CVPR 2024), ResNet32x4 ->
# ResNet8x4 on CIFAR-100, 240 epochs (reference: LSKD Table 1, "KD + Ours").
# The example of the option for every KD config: z-scored logits (the
# released n-1 std, vrm_mm/models/losses/utils.py), LSKD's base temperature
# 2 and KD weight 9, CE 0.1 (github.com/sunshangquan/logit-standardization-KD
# README.md, `--logit-stand --base-temp 2 --kd-weight 9`; tools/train.py
# lines 110-114). Teacher checkpoint: as kd_resnet32x4_resnet8x4_240e_cifar100.py.
_base_ = ['./kd_resnet32x4_resnet8x4_240e_cifar100.py']
model = dict(distill_losses=dict(loss_kd=dict(
    temperature=2.0, loss_weight=9.0, logit_standardization=True)))
