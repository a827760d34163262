"""``--resume`` continues the experiment its checkpoint belongs to, or stops.

Without a check, a config of another method pointed at a work_dir (a DKD
config at a VRM run's folder) silently continues the VRM run's weights and
optimizer under the DKD loss, and another student or class count fails deep
in the optimizer's ``load_state_dict``.
"""
import hashlib
from typing import Dict, List, Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from vrm_mm.registry import HOOKS
from vrm_mm.utils.errors import VrmMmError

META_KEY = 'experiment'
# the fields that must agree for a resume, and how each is named
COMPARED = {
    'model': 'model type',
    'distill_losses': 'distillation losses',
    'student_shapes': 'student architecture',
    'num_classes': 'number of classes',
}
# backbone options shown in the student's name, when the config sets them
_ARCH_KEYS = ('arch', 'depth', 'widen_factor', 'stem_channels',
              'base_channels', 'in_channels')


class ExperimentMismatchError(VrmMmError, ValueError):
    """``--resume`` given a checkpoint of another experiment."""


def _type_name(kind) -> str:
    name = kind if isinstance(kind, str) else getattr(kind, '__name__', '')
    return str(name).split('.')[-1]


def _student_cfg(model_cfg: dict) -> dict:
    if 'student' not in model_cfg:
        return model_cfg
    from vrm_mm.models.distillers.build import load_model_cfg
    return load_model_cfg(model_cfg['student'], 'student')


def experiment_identity(runner: Runner) -> Dict[str, object]:
    """What identifies the experiment ``runner`` trains.

    Returns:
        ``model`` (the model's class), ``distill_losses`` (``{name:
        type}`` of ``model.distill_losses``), ``student`` (a readable name:
        backbone type, architecture options, parameter count),
        ``student_shapes`` (a digest of the student's state dict keys and
        shapes: the architecture the optimizer state belongs to) and
        ``num_classes`` (the student head's, or None). For a plain
        classifier the classifier is the student.
    """
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    model_cfg = dict(runner.cfg.get('model') or {})
    losses = model_cfg.get('distill_losses') or {}
    student = getattr(model, 'student', model)
    shapes = [(key, tuple(value.shape))
              for key, value in student.state_dict().items()]
    digest = hashlib.sha1(repr(shapes).encode()).hexdigest()[:12]
    backbone_cfg = dict(_student_cfg(model_cfg).get('backbone') or {})
    backbone = getattr(student, 'backbone', None)
    arch = type(backbone if backbone is not None else student).__name__
    options = ', '.join(f'{key}={backbone_cfg[key]}' for key in _ARCH_KEYS
                        if key in backbone_cfg)
    params = sum(p.numel() for p in student.parameters())
    head = getattr(student, 'head', None)
    num_classes = getattr(head, 'num_classes', None)
    return dict(
        model=type(model).__name__,
        distill_losses={
            str(name): _type_name((loss or {}).get('type'))
            for name, loss in sorted(losses.items())
        },
        student=f'{arch}({options}; {params} parameters)',
        student_shapes=digest,
        num_classes=None if num_classes is None else int(num_classes))


def describe(identity: Dict[str, object]) -> str:
    """``VRM: SingleTeacherDistiller, losses loss_vrm=VRMLoss, student ...,
    2 classes`` in one line."""
    losses = ', '.join(f'{name}={kind}' for name, kind in (
        identity.get('distill_losses') or {}).items()) or 'none'
    return (f"{identity.get('model')} (distillation losses: {losses}; "
            f"student {identity.get('student')}; "
            f"{identity.get('num_classes')} classes)")


def differences(saved: Dict[str, object],
                current: Dict[str, object]) -> List[str]:
    """The names of the compared fields in which the two differ."""
    return [name for key, name in COMPARED.items()
            if saved.get(key) != current.get(key)]


@HOOKS.register_module()
class ExperimentIdentityHook(Hook):
    """Record the experiment in every checkpoint; refuse to resume another.

    Each saved checkpoint's ``meta['experiment']`` holds
    :func:`experiment_identity`. When a run resumes, the checkpoint's record
    is compared with the run's (before any weight is loaded): a different
    model type, distillation losses (names and types), student architecture
    or number of classes stops the run with one line naming both
    experiments and the ways out: a new work_dir, or ``load_from`` (without
    ``--resume``) to start from the weights only. A checkpoint saved before
    these records existed is resumed unchecked, with a line saying so.
    ``load_from`` without ``--resume`` is never checked.

    ``tools/train.py`` adds this hook to every run. No options.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._identity: Optional[Dict[str, object]] = None

    def _current(self, runner: Runner) -> Dict[str, object]:
        if self._identity is None:
            self._identity = experiment_identity(runner)
        return self._identity

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})[META_KEY] = dict(
            self._current(runner))

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        if not getattr(runner, '_resume', False):
            return  # load_from: weights only, any experiment may use them
        path = getattr(runner, '_load_from', None) or 'the checkpoint'
        saved = (checkpoint.get('meta') or {}).get(META_KEY)
        if not isinstance(saved, dict):
            runner.logger.info(
                f'vrm_mm: {path} has no experiment record (saved before '
                'vrm_mm recorded one): resuming without checking that it is '
                'the same experiment.')
            return
        current = self._current(runner)
        differ = differences(saved, current)
        if differ:
            raise ExperimentMismatchError(
                f'--resume: {path} belongs to another experiment '
                f'(different: {", ".join(differ)}): it was saved by '
                f'{describe(saved)}, this config trains {describe(current)}. '
                'To run this config, give it a new work_dir (--work-dir '
                'DIR); to start it from those weights only, set '
                f'load_from={path} without --resume.')
