# CC (Peng et al., ICCV 2019): CE 1.0 plus the correlation congruence of
# 128-d linear embeddings of both networks' pooled features (RepDistiller's
# and torchdistill's embedding width; both connectors train with the
# student), Gaussian RBF through its Taylor expansion with torchdistill's
# gamma 0.4 and order 2. Weight 1.0: no published CIFAR weight exists for this
# kernel form (RepDistiller's 0.02 weights the authors' kernel-free variant).
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
            type='CCLoss', gamma=0.4, order=2, loss_weight=1.0,
            inputs=dict(emb_S='connectors.embed_S',
                        emb_T='connectors.embed_T'))),
    student_loss_weight=1.0)

custom_hooks = [dict(type='TeacherEvalHook', mode='once')]
