# CC (Peng et al., ICCV 2019) as RepDistiller ran it for CRD's CIFAR-100
# tables (github.com/HobbitLong/RepDistiller):
# * loss: distiller_zoo/CC.py lines 14-17, the CC authors' kernel-free form
#   (CCLoss form='released');
# * embeddings: train_student.py lines 211-218, a LinearEmbed (one
#   nn.Linear, models/util.py lines 185-194) of each network's feat[-1] (the
#   pooled features, our pre_logits) to --feat_dim 128 (line 81), both
#   trained with the student (trainable_list), read in helper/loops.py
#   lines 162-165;
# * weights: scripts/run_cifar_distill.sh line 13, `--distill correlation
#   -a 0 -b 0.02` with CE -r 1 (train_student.py line 73): CE 1.0, CC 0.02,
#   no KD term.
# The paper's Gaussian-RBF form: loss_cc=dict(form='rbf_taylor', gamma=0.4,
# order=2) (torchdistill's CCKD values; no published CIFAR weight exists).
# An experiment config inherits this file, sets the pair (see kd.py) and the
# connectors' in_channels, the two networks' pre_logits widths:
#   model = dict(connectors=dict(embed_S=dict(in_channels=64),
#                                embed_T=dict(in_channels=256)), ...)
model = dict(
    type='SingleTeacherDistiller',
    connectors=dict(
        embed_S=dict(type='LinearConnector', out_channels=128,
                     input='student.pre_logits'),
        embed_T=dict(type='LinearConnector', out_channels=128,
                     input='teacher.pre_logits')),
    distill_losses=dict(
        loss_cc=dict(
            type='CCLoss', form='released', loss_weight=0.02,
            inputs=dict(emb_S='connectors.embed_S',
                        emb_T='connectors.embed_T'))),
    student_loss_weight=1.0)

custom_hooks = [dict(type='TeacherEvalHook', mode='once')]
