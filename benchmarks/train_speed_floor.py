"""The floor of ``train_speed.py``: a hand-written PyTorch training step.

The very modules of a project step (its student, copied so that it trains
apart, and its frozen teacher) in the plainest loop: uint8 -> float
normalised with the data preprocessor's mean and std, per view the teacher
under ``no_grad`` then the student forward, cross-entropy on view 0 plus KD
on every view with the weights of ``configs/_base_/distillers/kd.py``
(cross-entropy alone, weight 1, for the student-alone step),
backward and a ``torch.optim.SGD`` step with the schedule's
hyper-parameters. A project step's ratio to this floor is the framework's
own overhead.
"""

import copy

import torch
import torch.nn.functional as F
from train_speed_steps import base_cfg

# floor -> (the project step it is the floor of, label)
FLOORS = {
    'floor_student': ('student', 'floor: hand-written loop, student alone'),
    'floor': ('kd', 'floor: hand-written loop, KD, one view'),
    'floor_2views': ('kd_2views', 'floor: hand-written loop, KD, two views'),
}
# project step -> its floor
FLOOR_OF = dict(student='floor_student', kd='floor', kd_2views='floor_2views',
                vrm='floor_2views')


class FloorStep:
    """The hand-written loop on the modules of ``step``.

    Args:
        step: A ``train_speed_steps.Step`` of a ``SingleTeacherDistiller``
            (KD) or of a classifier alone, whose batch has the views to
            train on.
    """

    def __init__(self, step):
        model = step.model
        self.student = copy.deepcopy(getattr(model, 'student', model))
        self.teacher = getattr(model, 'teacher', None)
        self.mean = model.data_preprocessor.mean
        self.std = model.data_preprocessor.std
        kd = base_cfg('distillers/kd.py').model
        self.ce_weight = kd.student_loss_weight if self.teacher else 1.0
        self.kd_weight = kd.distill_losses.loss_kd.loss_weight
        self.temperature = kd.distill_losses.loss_kd.temperature
        sgd = dict(base_cfg('schedules/cifar100_bs64_240e.py')
                   .optim_wrapper.optimizer)
        sgd.pop('type')
        self.optimizer = torch.optim.SGD(self.student.parameters(), **sgd)
        inputs = step.batch['inputs']
        self.views = [inputs] if torch.is_tensor(inputs) else list(inputs)
        self.labels = torch.tensor(
            [s.gt_label.item() for s in step.batch['data_samples']])
        self.device = step.device

    def kd(self, student, teacher):
        t = self.temperature
        return t * t * F.kl_div(F.log_softmax(student / t, dim=1),
                                F.log_softmax(teacher / t, dim=1),
                                reduction='batchmean', log_target=True)

    def __call__(self):
        labels = self.labels.to(self.device)
        loss = 0.0
        for i, view in enumerate(self.views):
            x = (view.to(self.device).float() - self.mean) / self.std
            if self.teacher is not None:
                with torch.no_grad():
                    teacher = self.teacher(x, mode='tensor')
            student = self.student(x, mode='tensor')
            if i == 0:
                loss = self.ce_weight * F.cross_entropy(student, labels)
            if self.teacher is not None:
                loss = loss + self.kd_weight * self.kd(student, teacher)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.detach()
