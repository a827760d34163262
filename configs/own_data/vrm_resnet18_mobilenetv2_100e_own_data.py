# VRM on your own images: the ResNet18 teacher of
# ce_resnet18_100e_own_data.py -> MobileNetV2 student, two views per image
# (configs/_base_/datasets/image_folder_bs64_vrm.py), same schedule as the
# teacher. docs/tutorials/own_data.md walks through the commands. The
# teacher checkpoint is its training run's, e.g.
#   --cfg-options model.teacher_ckpt=$(cat work_dirs/TEACHER/last_checkpoint)
_base_ = [
    '../_base_/distillers/vrm.py',
    '../_base_/datasets/image_folder_bs64_vrm.py',
    '../_base_/schedules/imagenet_bs256_100e.py',
    '../_base_/default_runtime.py',
]
# Set once (or by --cfg-options num_classes=N data_root=DIR): the student's
# and teacher's heads, the data preprocessor and the datasets follow them.
num_classes = 10  # the number of class subfolders of <data_root>/train
data_root = 'data/my_images'

model = dict(
    student=dict(cfg_path='mmpretrain::_base_/models/mobilenet_v2_1x.py',
                 head=dict(num_classes=num_classes)),
    # the teacher's own training config: the network it trained
    teacher=dict(cfg_path='configs/own_data/ce_resnet18_100e_own_data.py',
                 head=dict(num_classes=num_classes)),
    teacher_ckpt='work_dirs/own_data/teacher/epoch_100.pth')
data_preprocessor = dict(num_classes=num_classes)

# as the teacher: lr 0.1 at batch 256, scaled linearly to 64
optim_wrapper = dict(optimizer=dict(lr=0.025))
auto_scale_lr = dict(base_batch_size=64)
