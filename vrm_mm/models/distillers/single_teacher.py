"""Distillation from one frozen teacher into a student classifier."""
import inspect
from typing import Dict, List, Mapping, Optional, Sequence, Union

import torch
from mmengine.model import BaseModel
from mmpretrain.structures import DataSample
from torch import Tensor, nn

from vrm_mm.registry import MODELS
from vrm_mm.utils.checkpoint import load_teacher_checkpoint
from vrm_mm.utils.errors import DistillConfigError, DistillDataError
from vrm_mm.utils.suggest import did_you_mean

from .build import STUDENT_LOSS, build_connectors, build_losses, load_model_cfg
from .input_plan import InputPlan, data_field
from .model_outputs import (
    HEAD_INPUTS,
    classification_loss,
    run_classifier_on_views,
)
from .named_inputs import CONNECTOR_PREFIX, view_suffix
from .teacher_options import SpeedOptions, build_teacher_input_transform

Inputs = Union[Tensor, Sequence[Tensor]]


def _views(inputs: Inputs) -> List[Tensor]:
    return [inputs] if isinstance(inputs, Tensor) else list(inputs)


def _float32(value):
    """``value`` in float32 if floating; a list (a connector that returns
    one, e.g. ReviewKD's ABFConnector) item by item."""
    if isinstance(value, (list, tuple)):
        return [_float32(item) for item in value]
    return value.float() if value.is_floating_point() else value


@MODELS.register_module()
class SingleTeacherDistiller(BaseModel):
    """A student classifier trained with distillation losses on a teacher.

    Example config (KD with mdistiller's CIFAR weights)::

        model = dict(
            type='SingleTeacherDistiller',
            student=dict(type='ImageClassifier', ...),
            teacher=dict(
                cfg_path='configs/_base_/models/cifar100/resnet56.py'),
            teacher_ckpt='work_dirs/teachers/resnet56_cifar100.pth',
            distill_losses=dict(
                loss_kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9,
                             inputs=dict(preds_S='student.logits',
                                         preds_T='teacher.logits'))),
            student_loss_weight=0.1)

    **The teacher is not a submodule.** It is kept outside ``_modules``, so
    it is absent from ``parameters()`` (the optimizer), ``state_dict()``
    (checkpoints hold the student, connectors and loss parameters only:
    student-only checkpoints by default), ``init_weights`` and DDP (which
    wraps the student and connectors only). Resume stays exact because the
    teacher is reloaded from ``teacher_ckpt`` at construction. Device and
    dtype moves (``.to``, ``.cuda``, ``.half``) reach it, ``train()`` keeps
    it in eval mode, its parameters have ``requires_grad=False`` and it runs
    under ``no_grad``.

    **Views.** ``inputs`` is a Tensor (one view) or a list of Tensors (view
    0 the real view, view 1 the virtual one, ...). The teacher runs first,
    on every view a loss asks for in one batch (exact: it is in eval
    mode); the student then runs on each view in separate passes
    (BatchNorm statistics per view) or, with ``joint_view_forward=True``,
    in one pass over the concatenated views. Losses take named inputs (see
    :mod:`.named_inputs`): ``student.logits``, ``teacher.logits``,
    ``student.pre_logits``, ``student.feats``, any backbone stage
    ``student.feats.<i>`` (:mod:`.model_outputs`), their ``_virtual``
    variants, ``gt_label``, ``sample_idx``, ``contrast_idx`` and
    ``connectors.<name>``; an input may be a list of names.

    **Losses.** ``loss_cls`` is the student's own loss on view 0 times
    ``student_loss_weight`` (skipped at 0). Each distillation loss gets its
    floating inputs in float32 and runs with autocast disabled. A Tensor
    result is logged under its config key; a dict result is merged: keys
    starting with ``loss_`` are loss terms, other keys are statistics
    (detached; they must not contain ``loss``, which mmengine would sum).
    A ``ValueError`` from a loss (a batch it cannot use) is re-raised as
    :class:`~vrm_mm.utils.errors.DistillDataError` prefixed with the loss
    name, which ``tools/train.py`` prints as one message.
    ``predict`` and ``tensor`` modes run the student alone.

    Args:
        student: Student classifier config (any mmpretrain classifier), or
            ``dict(cfg_path='path/to/model_config.py', **overrides)``:
            the ``model`` of that file with ``overrides`` merged in (see
            :func:`~.model_cfg.load_model_cfg`).
        teacher: Teacher classifier config, as ``student``.
        teacher_ckpt: The trained teacher's checkpoint (required); see
            :func:`~vrm_mm.utils.checkpoint.load_teacher_checkpoint`.
        teacher_ckpt_strict: Raise when the checkpoint and the teacher
            differ in any key or shape. Defaults to True.
        teacher_norm: ``dict(mean=[...], std=[...])`` (0-255 scale) the
            teacher was trained with, if it differs from the data
            preprocessor's. Defaults to None.
        teacher_input_size: ``(H, W)`` the teacher's inputs are resized to
            (bilinear), e.g. ``(32, 32)`` for a CIFAR teacher with a 224 px
            student. Defaults to None.
        distill_losses: ``loss_<name>`` -> loss config with ``inputs``, a
            dict from ``forward`` arguments to input names.
        connectors: ``<name>`` -> connector config with ``input``, the name
            it reads; losses take its output as ``connectors.<name>``.
        student_loss_weight: Weight of ``loss_cls``. Defaults to 1.0.
        joint_view_forward: One student forward over all views instead of
            one per view. Defaults to False.
        channels_last, teacher_autocast, compile: GPU speed options, off
            by default; see :class:`~.teacher_options.SpeedOptions`.
        data_preprocessor: Data preprocessor config. Defaults to a
            ``ClsDataPreprocessor``; the Runner fills in a top-level one.
        init_cfg: Initialisation config of the distiller's submodules.
    """

    def __init__(self,
                 student: dict,
                 teacher: dict,
                 teacher_ckpt: Optional[str] = None,
                 teacher_ckpt_strict: bool = True,
                 teacher_norm: Optional[dict] = None,
                 teacher_input_size: Optional[Sequence[int]] = None,
                 distill_losses: Optional[dict] = None,
                 connectors: Optional[dict] = None,
                 student_loss_weight: float = 1.0,
                 joint_view_forward: bool = False,
                 channels_last: bool = False,
                 teacher_autocast: Optional[str] = None,
                 compile: Union[bool, dict] = False,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None,
                 **unknown) -> None:
        _check_config_keys(unknown)
        if teacher_ckpt is None:
            raise ValueError(
                'SingleTeacherDistiller needs `teacher_ckpt`, the trained '
                "teacher's weights: a randomly initialised teacher teaches "
                'noise. Train a teacher (configs/teachers/) or convert a '
                'public CIFAR teacher (tools/convert_repdistiller.py), then '
                "set teacher_ckpt='path/to/teacher.pth'.")
        if not isinstance(data_preprocessor, nn.Module):
            data_preprocessor = MODELS.build(
                {'type': 'ClsDataPreprocessor', **(data_preprocessor or {})})
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.connectors, self.connector_inputs = build_connectors(connectors)
        self.distill_losses, self.loss_inputs = build_losses(
            distill_losses, list(self.connectors))
        self.student = MODELS.build(load_model_cfg(student, 'student'))
        teacher_model = MODELS.build(load_model_cfg(teacher, 'teacher'))
        self.plan = InputPlan(self.loss_inputs, self.connector_inputs,
                              dict(student=self.student,
                                   teacher=teacher_model))
        load_teacher_checkpoint(teacher_model, teacher_ckpt,
                                teacher_ckpt_strict)
        teacher_model.requires_grad_(False)
        # Outside _modules on purpose, see the class docstring.
        self.__dict__['teacher'] = teacher_model.eval()
        self.teacher_ckpt = teacher_ckpt
        self.teacher_input_transform = build_teacher_input_transform(
            teacher_norm, teacher_input_size, self.data_preprocessor)
        self.student_loss_weight = student_loss_weight
        self.joint_view_forward = joint_view_forward
        self.speed = SpeedOptions(channels_last, teacher_autocast, compile)
        self.speed.apply(self.student, teacher_model)

    # -- nn.Module behaviour for the unregistered teacher --------------

    def _apply(self, fn, recurse: bool = True):
        super()._apply(fn, recurse)
        if 'teacher' in self.__dict__:
            self.teacher._apply(fn, recurse)
        return self

    def train(self, mode: bool = True) -> 'SingleTeacherDistiller':
        """Set the student's mode; the teacher stays in eval mode."""
        super().train(mode)
        self.teacher.eval()
        return self

    def extra_repr(self) -> str:
        return (f'(teacher): {type(self.teacher).__name__}, frozen, not a '
                f'submodule, loaded from {self.teacher_ckpt!r}')

    # -- forward --------------------------------------------------------

    def forward(self,
                inputs: Inputs,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        """``loss``: the loss dict; ``predict``/``tensor``: the student's."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode in ('predict', 'tensor'):
            return self.student(self.speed.prepare(_views(inputs)[0]),
                                data_samples, mode=mode)
        raise RuntimeError(f'Invalid mode {mode!r}: use loss, predict or '
                           'tensor.')

    @torch.no_grad()
    def predict_teacher(
            self,
            inputs: Inputs,
            data_samples: Optional[List[DataSample]] = None
    ) -> List[DataSample]:
        """The teacher's predictions on view 0 (e.g. to evaluate it)."""
        teacher_inputs = self.teacher_input_transform(
            self.speed.prepare(_views(inputs)[0]))
        return self.teacher(teacher_inputs, data_samples, mode='predict')

    def loss(self, inputs: Inputs,
             data_samples: List[DataSample]) -> Dict[str, Tensor]:
        """Student loss and every distillation term, keyed for logging."""
        views = [self.speed.prepare(view) for view in _views(inputs)]
        self.plan.check_num_views(len(views))
        # The teacher first, all views in one batch: it holds nothing for
        # backward, and the student's activations are then the freshest
        # memory when backward starts (teacher after student: 1.2x slower
        # steps on CPU, benchmarks/results/train_speed.md).
        named = self._teacher_outputs(views)
        student = run_classifier_on_views(
            self.student, views[:self.plan.num_views['student']],
            self.plan.outputs['student'], self.joint_view_forward)
        named.update(self._name_outputs('student', student))
        for field in self.plan.fields:
            named[field] = data_field(data_samples, field, views[0].device)
        for name, connector in self.connectors.items():
            named[CONNECTOR_PREFIX + name] = connector(
                _lookup(named, self.connector_inputs[name]))

        losses = {}
        if self.student_loss_weight:
            own = classification_loss(self.student, student[0], data_samples)
            own[STUDENT_LOSS] = self.student_loss_weight * own.pop('loss')
            _merge_terms(losses, own, 'the student')
        for name, loss in self.distill_losses.items():
            kwargs = {
                arg: _lookup(named, source, _float32)
                for arg, source in self.loss_inputs[name].items()
            }
            with torch.autocast(views[0].device.type, enabled=False):
                try:
                    result = loss(**kwargs)
                except ValueError as error:
                    # a loss refusing this batch (e.g. VRM with B < 2):
                    # say which loss, and let tools/train.py print it
                    raise DistillDataError(
                        f'{name} ({type(loss).__name__}): {error}'
                    ) from error
            _merge_terms(losses, {name: result} if isinstance(
                result, Tensor) else result, name)
        return losses

    @torch.no_grad()
    def _teacher_outputs(self, views: List[Tensor]) -> Dict[str, Tensor]:
        """The teacher's named outputs on the views its losses read.

        Views of one shape run as one batch: in eval mode every sample's
        output is independent of the others (BatchNorm uses its running
        statistics), so this equals one forward per view.
        """
        count = self.plan.num_views['teacher']
        if not count:
            return {}
        teacher_views = [
            self.teacher_input_transform(view) for view in views[:count]
        ]
        joint = len({view.shape for view in teacher_views}) == 1
        with self.speed.teacher_context(views[0].device.type):
            teacher = run_classifier_on_views(
                self.teacher, teacher_views, self.plan.outputs['teacher'],
                joint)
        # float32 from here on, whatever teacher_autocast ran in
        return {
            name: _float32(value)
            for name, value in self._name_outputs('teacher', teacher).items()
        }

    @staticmethod
    def _name_outputs(model: str, results: List[dict]) -> Dict[str, Tensor]:
        return {
            f'{model}.{key}{view_suffix(view)}': value
            for view, result in enumerate(results)
            for key, value in result.items()
            if key != HEAD_INPUTS
        }


def _lookup(named: Mapping[str, Tensor], source: Union[str, Sequence[str]],
            convert=lambda value: value):
    """The value of an input name, or the list of values of a list."""
    if isinstance(source, str):
        return convert(named[source])
    return [convert(named[name]) for name in source]


def _merge_terms(losses: Dict[str, Tensor], terms: Mapping,
                 source: str) -> None:
    """Add loss terms and detached statistics; refuse ambiguous keys."""
    if not isinstance(terms, Mapping):
        raise TypeError(f'{source} returned a {type(terms).__name__}; a '
                        'loss returns a Tensor or a dict of Tensors.')
    for key, value in terms.items():
        if key in losses:
            raise DistillConfigError(
                f'{source} returned {key!r}, which another loss already '
                'returned; rename one of them.')
        if key.startswith('loss_'):
            losses[key] = value
        elif 'loss' in key:
            raise DistillConfigError(
                f'{source} returned the statistic {key!r}: mmengine adds '
                'every key containing "loss" to the total loss. Loss terms '
                'start with "loss_"; rename statistics without "loss".')
        else:
            value = torch.as_tensor(value).detach()
            losses[key] = value if value.is_floating_point() else value.float()


def _check_config_keys(unknown: Mapping) -> None:
    if not unknown:
        return
    valid = [
        name for name in inspect.signature(
            SingleTeacherDistiller.__init__).parameters
        if name not in ('self', 'unknown')
    ]
    hints = ''.join(did_you_mean(key, valid) for key in unknown)
    raise TypeError(
        f'SingleTeacherDistiller: unknown config key(s) {sorted(unknown)}.'
        f'{hints} Valid keys: {", ".join(valid)}.')
