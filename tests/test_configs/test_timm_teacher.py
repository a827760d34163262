"""The timm-teacher VRM config: the teacher sees its own statistics and size.

``configs/vrm/vrm_timm_resnet50_resnet20_240e_cifar100.py`` (also trained
one iteration by ``test_all_configs.py``) is built with a fresh teacher
checkpoint; a batch of uniform-grey images goes through the data
preprocessor and the distiller's loss. The timm network must receive
224 px inputs normalised with timm's ImageNet statistics (computed by hand
here), the student 32 px inputs with the CIFAR-100 ones.
"""
import os.path as osp

import torch
from conftest import REPO_ROOT
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample
from tiny_config_helpers import save_teacher

from vrm_mm.registry import MODELS

CONFIG = 'configs/vrm/vrm_timm_resnet50_resnet20_240e_cifar100.py'
GREY = 100
IMAGENET = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])  # timm's, 0-1
CIFAR100 = ([0.5071, 0.4867, 0.4408], [0.2675, 0.2565, 0.2761])  # CRD's


def _expected(stats, size: int) -> torch.Tensor:
    mean, std = (torch.tensor(v).view(3, 1, 1) for v in stats)
    return ((GREY / 255 - mean) / std).expand(3, size, size)


def test_timm_teacher_input_is_renormalised_and_resized(tmp_path):
    cfg = Config.fromfile(osp.join(REPO_ROOT, CONFIG))
    teacher = cfg.model.teacher.to_dict()
    assert teacher['type'] == 'TimmClassifier'
    cfg.model.teacher_ckpt = save_teacher(teacher, str(tmp_path / 't.pth'))
    init_default_scope('vrm_mm')
    distiller = MODELS.build(
        dict(cfg.model.to_dict(), data_preprocessor=cfg.data_preprocessor))
    seen = {}
    distiller.teacher.model.register_forward_pre_hook(
        lambda _, args: seen.setdefault('teacher', []).append(args[0]))
    distiller.student.backbone.register_forward_pre_hook(
        lambda _, args: seen.setdefault('student', []).append(args[0]))

    image = torch.full((3, 32, 32), GREY, dtype=torch.uint8)
    batch = dict(inputs=[[image] * 2, [image] * 2],  # real and virtual
                 data_samples=[DataSample().set_gt_label(i) for i in (3, 7)])
    batch = distiller.data_preprocessor(batch, training=True)
    losses = distiller(**batch, mode='loss')
    assert {'loss_cls', 'loss_vrm_is', 'loss_vrm_ic'} <= set(losses)

    # both views, in one pass or one each: 4 images per network
    for name, stats, size in (('teacher', IMAGENET, 224),
                              ('student', CIFAR100, 32)):
        inputs = torch.cat(seen[name])
        assert inputs.shape == (4, 3, size, size), name
        for image in inputs:
            torch.testing.assert_close(image, _expected(stats, size),
                                       rtol=0, atol=1e-5)
