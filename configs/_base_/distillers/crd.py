# CRD (Tian et al., ICLR 2020) with the paper's CIFAR-100 setting, as its
# released code runs it (RepDistiller: `train_student.py --distill crd -a 0
# -b 0.8`, crd/criterion.py, crd/memory.py; mdistiller's CRD is the same):
# CE 1.0, no KD, CRD 0.8; 128-d linear + L2-normalised embeddings of both
# networks' pooled features (trained with the student), temperature 0.07,
# K = 16384 negatives of other classes than the sample's ("exact" mode),
# memory banks of every training image's embeddings with momentum 0.5, the
# NCE normalising constant Z estimated on the first batch. The banks and Z
# are buffers of CRDLoss: checkpointed, and --resume continues with them.
# An experiment config inherits this file, sets the pair (see kd.py), the
# two pre_logits widths, and wraps its train dataset in ContrastSampleDataset
# (`contrast_dataset` below: K lives there), e.g.
#   model = dict(distill_losses=dict(loss_crd=dict(in_channels_S=64,
#                                                  in_channels_T=64)))
#   train_dataloader = dict(dataset=dict(
#       _delete_=True, **_base_.contrast_dataset,
#       dataset=_base_.train_dataloader.dataset))
# num_data must be the train set's size (the banks' rows): 50000 for
# CIFAR-100; ImageNet configs set 1281167.
contrast_dataset = dict(type='ContrastSampleDataset', num_negatives=16384,
                        negatives='other_class')
model = dict(
    type='SingleTeacherDistiller',
    distill_losses=dict(
        loss_crd=dict(
            type='CRDLoss', num_data=50000, feat_dim=128, temperature=0.07,
            momentum=0.5, loss_weight=0.8,
            inputs=dict(feats_S='student.pre_logits',
                        feats_T='teacher.pre_logits',
                        sample_idx='sample_idx',
                        contrast_idx='contrast_idx'))),
    student_loss_weight=1.0)

custom_hooks = [dict(type='TeacherEvalHook', mode='once')]
