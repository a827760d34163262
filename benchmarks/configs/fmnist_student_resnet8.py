# Accuracy benchmark student: CIFAR ResNet8 on a 5,000-image training subset
# of Fashion-MNIST (images 5000..9999), so that the teacher (trained on 55k)
# leads the student alone by several points. Every method in
# benchmarks/accuracy.py starts from this config; the distillation methods
# wrap it into a SingleTeacherDistiller.
_base_ = ['./fmnist_teacher_resnet20.py']
model = dict(backbone=dict(depth=8))
param_scheduler = dict(T_max=8)
train_cfg = dict(max_epochs=8)
train_dataloader = dict(dataset=dict(indices=range(5000, 10000)))
