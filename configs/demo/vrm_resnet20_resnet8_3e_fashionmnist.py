# Demo VRM: ResNet20 teacher -> ResNet8 student on Fashion-MNIST, two views
# per image (real + virtual), same schedule as the student alone.
# tools/demo.py passes the teacher checkpoint it trained; by hand:
#   --cfg-options model.teacher_ckpt=work_dirs/demo/teacher/epoch_3.pth
_base_ = [
    '../_base_/datasets/fashion_mnist_bs64_vrm.py',
    '../_base_/schedules/fashion_mnist_demo_3e.py',
    '../_base_/default_runtime.py',
]
_fmnist = dict(backbone=dict(in_channels=1),
               head=dict(num_classes=10, topk=(1, )))
model = dict(
    type='SingleTeacherDistiller',
    student=dict(
        cfg_path='configs/_base_/models/cifar100/resnet8.py', **_fmnist),
    teacher=dict(
        cfg_path='configs/_base_/models/cifar100/resnet20.py', **_fmnist),
    teacher_ckpt='work_dirs/demo/teacher/epoch_3.pth',
    distill_losses=dict(
        loss_vrm=dict(
            type='VRMLoss',
            inputs=dict(
                s_real='student.logits',
                s_virtual='student.logits_virtual',
                t_real='teacher.logits',
                t_virtual='teacher.logits_virtual',
                gt_label='gt_label'))))

# the first 10k training images keep the demo within minutes on 2 cores
train_dataloader = dict(num_workers=2, dataset=dict(indices=10000))
val_dataloader = dict(num_workers=2)
test_dataloader = dict(num_workers=2)
val_evaluator = dict(topk=(1, ))
test_evaluator = dict(topk=(1, ))
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(max_keep_ckpts=1, save_best=None))
custom_hooks = [dict(type='TeacherEvalHook', mode='once')]
