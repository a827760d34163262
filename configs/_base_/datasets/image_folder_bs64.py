# Your own images in folders, ImageNet style, one view per image (a network
# alone, KD and the other single-view baselines):
#   <data_root>/train/<class>/**/*.jpg   training images, one folder a class
#   <data_root>/val/<class>/**/*.jpg     validation and test images
# (.jpg .jpeg .png .ppm .bmp .pgm .tif). Pipelines, mean/std and batch are
# imagenet_bs64.py's: torchvision's RandomResizedCrop 224 + flip for
# training, Resize 256 + CenterCrop 224 for testing, images of any size.
#
# The class list is train/'s subfolders, sorted by name; val/ and test
# images are labelled by *that* list (ImageFolderDataset, classes_from=
# 'train'), and a val/ folder missing one of train/'s classes, or holding
# one it lacks, stops the run naming them (mmpretrain's CustomDataset would
# number val/'s folders on its own and score the shifted labels ~0).
#
# Set once, at the top level of the experiment config (or --cfg-options):
#   num_classes = 10                # = the class subfolders of train/
#   data_root = 'data/my_images'
# tools/train.py and tools/test.py write them into every consumer: the
# heads (student and teacher), the data preprocessor and the datasets
# (vrm_mm.runtime.shared_variables.propagate_shared_variables).
#
# Channel order: LoadImageFromFile decodes BGR arrays (mmcv's order, also
# with the pillow backend used here); the data preprocessor's to_rgb=True
# turns them into RGB before mean/std, as for ImageNet, so networks see RGB
# and ImageNet-pretrained weights fit. Keep to_rgb=True for image files.
#
# Annotation files instead of folders (mmpretrain's "<path> <label>" lines,
# paths relative to <data_root>/train resp. <data_root>/val), in the
# experiment config:
#   train_dataloader = dict(dataset=dict(ann_file='meta/train.txt'))
#   val_dataloader = dict(dataset=dict(ann_file='meta/val.txt',
#                                      classes_from='meta/train.txt'))
#   test_dataloader = val_dataloader
# (optional class names: classes=['cat', 'dog', ...] or a file of one name
# a line, in each dataset). Both files' label sets are compared as above.
#
# Variables: dataset_type, data_root, data_preprocessor, load_image,
# train_pipeline, test_pipeline, train_dataloader, val_dataloader,
# test_dataloader, val_evaluator, test_evaluator.
_base_ = './imagenet_bs64.py'

dataset_type = 'ImageFolderDataset'
data_root = 'data/my_images'

# ImageNet's mean/std on RGB (to_rgb=True, see above); num_classes is the
# experiment config's top-level num_classes (None here: no stale 1000).
data_preprocessor = dict(num_classes=None, to_rgb=True)

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        data_prefix='train',
        pipeline=_base_.train_pipeline))

val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        data_prefix='val',
        # labels numbered by train/'s class list; val/ must hold the same
        # classes (allow_missing_classes=True accepts fewer)
        classes_from='train',
        pipeline=_base_.test_pipeline))
# top-5 needs at least 5 classes: topk=(1, 5) for larger class lists
val_evaluator = dict(type='Accuracy', topk=(1, ))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
