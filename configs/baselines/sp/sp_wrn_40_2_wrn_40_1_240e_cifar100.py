# SP, WRN-40-2 -> WRN-40-1 on CIFAR-100, 240 epochs. Teacher checkpoint: train
# configs/teachers/ce_wrn_40_2_240e_cifar100.py, or convert the public one with
# tools/convert_repdistiller.py (configs/README.md).
_base_ = [
    '../../_base_/distillers/sp.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    student=dict(cfg_path='configs/_base_/models/cifar100/wrn_40_1.py'),
    teacher=dict(cfg_path='configs/_base_/models/cifar100/wrn_40_2.py'),
    # RepDistiller's feat[-2] (helper/loops.py line 145): for its WRNs the
    # last stage before the final BN + ReLU (models/wrn.py lines 110-112),
    # prenorm_feats.2 here; feats.2 is after them
    distill_losses=dict(loss_sp=dict(
        inputs=dict(feats_S='student.prenorm_feats.2',
                    feats_T='teacher.prenorm_feats.2'))),
    teacher_ckpt='work_dirs/teachers/wrn_40_2_cifar100.pth')
