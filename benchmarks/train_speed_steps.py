"""The four training steps of ``train_speed.py`` and their phase breakdown.

Each method is built through the registry from the project's configs and
trained with ``model.train_step(batch, optim_wrapper)``, the Runner's call.
"""

import statistics
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmpretrain.structures import DataSample

from vrm_mm.models.distillers.build import load_model_cfg
from vrm_mm.registry import MODELS

BASE = Path(__file__).resolve().parent.parent / 'configs' / '_base_'
METHODS = {
    'student': 'student alone (ResNet20, CE)',
    'kd': 'KD, one view',
    'kd_2views': 'KD on two views (real + virtual)',
    'vrm': 'VRM (two views)',
}
# pair -> (student, teacher) model configs, image size, classes
PAIRS = dict(
    cifar=('configs/_base_/models/cifar100/resnet20.py',
           'configs/_base_/models/cifar100/resnet56.py', 32, 100),
    imagenet=('mmpretrain::_base_/models/resnet18.py',
              'mmpretrain::_base_/models/resnet34.py', 224, 1000),
)
PHASES = ('preprocess', 'student forward', 'teacher forward', 'loss forward',
          'loss backward', 'student backward', 'optimizer step', 'other')


def base_cfg(path):
    """A config under ``configs/_base_/``."""
    return Config.fromfile(str(BASE / path))


def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def network(path):
    """The ``model`` of a model config (a repository path or
    ``mmpretrain::...``)."""
    return load_model_cfg(dict(cfg_path=path), 'benchmark')


def model_cfg(method, teacher_ckpt, pair='cifar'):
    """The model config of ``method`` (a key of ``METHODS``) on ``pair``
    (a key of ``PAIRS``)."""
    preprocessor = base_cfg('datasets/cifar100_bs64.py' if method in (
        'student', 'kd') else 'datasets/cifar100_bs64_vrm.py').to_dict()[
            'data_preprocessor']
    student = network(PAIRS[pair][0])
    if method == 'student':
        return dict(student, data_preprocessor=preprocessor)
    base = 'distillers/vrm.py' if method == 'vrm' else 'distillers/kd.py'
    model = base_cfg(base).to_dict()['model']
    model.update(student=student,
                 teacher=network(PAIRS[pair][1]),
                 teacher_ckpt=teacher_ckpt, data_preprocessor=preprocessor)
    if method == 'kd_2views':
        kd = model['distill_losses']['loss_kd']
        model['distill_losses']['loss_kd_virtual'] = dict(
            kd, inputs=dict(preds_S='student.logits_virtual',
                            preds_T='teacher.logits_virtual'))
    return model


def teacher_checkpoint(folder, pair='cifar'):
    """A freshly built teacher's weights (ResNet56 for ``'cifar'``), saved
    under ``folder``."""
    path = Path(folder) / f'{pair}_teacher.pth'
    if not path.exists():
        torch.manual_seed(1)
        teacher = MODELS.build(network(PAIRS[pair][1]))
        torch.save(dict(state_dict=teacher.state_dict()), path)
    return str(path)


def fake_batch(batch_size, num_views, seed=0, pair='cifar'):
    """A collated batch as the data loader yields it: uint8 images."""
    gen = torch.Generator().manual_seed(seed)
    size, classes = PAIRS[pair][2:]
    views = [
        torch.randint(0, 256, (batch_size, 3, size, size), dtype=torch.uint8,
                      generator=gen) for _ in range(num_views)
    ]
    labels = torch.randint(0, classes, (batch_size, ), generator=gen).tolist()
    return dict(inputs=views[0] if num_views == 1 else views,
                data_samples=[DataSample().set_gt_label(y) for y in labels])


class Step:
    """One model's ``train_step`` on an in-memory batch.

    Args:
        model: The model config (built through the registry).
        optim_wrapper: An mmengine ``optim_wrapper`` config.
        batch_size: Images per batch.
        device: Where the model and batch live.
        num_views: Views per image in the batch (1 or 2).
    """

    def __init__(self, model, optim_wrapper, batch_size, device, num_views,
                 pair='cifar'):
        torch.manual_seed(0)
        self.model = MODELS.build(model).to(device)
        self.model.train()
        self.optim_wrapper = build_optim_wrapper(self.model, optim_wrapper)
        self.batch = fake_batch(batch_size, num_views, pair=pair)
        self.num_views = num_views
        self.device = device

    @classmethod
    def of_method(cls, method, folder, batch_size, device, pair='cifar',
                  **options):
        """The step of ``method``, a key of ``METHODS``, on ``pair``;
        ``options`` go into the distiller's config."""
        schedule = base_cfg('schedules/cifar100_bs64_240e.py')
        model = model_cfg(method, teacher_checkpoint(folder, pair), pair)
        return cls(dict(model, **options), schedule.optim_wrapper,
                   batch_size, device, 1 if method in ('student', 'kd') else 2,
                   pair)

    def __call__(self, batch=None, optim_wrapper=None):
        return self.model.train_step(batch or self.batch, optim_wrapper
                                     or self.optim_wrapper)


class PhaseTimer:
    """Wall time per phase of a training step, from hooks.

    Forward phases are timed by forward pre/post hooks on the networks'
    parts and on the loss modules. Backward is split at the moment autograd
    first reaches the output of the student's head (a tensor hook, which
    runs as that tensor's grad_fn starts): autograd runs ready nodes
    created later first, so every loss node runs before that moment
    (``loss backward``) and the networks after it (``student backward``).

    Args:
        device: The step's device (CUDA is synchronised at each mark).
        cpu_clock: Read the calling thread's CPU time instead of the wall
            clock (for 1-thread CPU steps, whose work all runs on the
            calling thread: immune to the time the thread waits for a core).
    """

    def __init__(self, device, cpu_clock=False):
        self.device = device
        self.cpu_clock = cpu_clock
        self.seconds = defaultdict(float)
        self._starts = {}
        self.first_grad = None

    def now(self):
        sync(self.device)
        return time.thread_time() if self.cpu_clock else time.perf_counter()

    def start(self, phase):
        self._starts[phase] = self.now()

    def stop(self, phase):
        self.seconds[phase] += self.now() - self._starts.pop(phase)

    def _mark_grad(self, grad):
        if self.first_grad is None:
            self.first_grad = self.now()

    def _watch_logits(self, module, args, output):
        if output.requires_grad:
            output.register_hook(self._mark_grad)

    @contextmanager
    def watch(self, model):
        """Hooks on ``model``'s preprocessor, networks and loss modules."""
        student = getattr(model, 'student', model)
        teacher = getattr(model, 'teacher', None)
        parts = [(model.data_preprocessor, 'preprocess'),
                 (student.head.loss_module, 'loss forward')]
        for net, phase in ((student, 'student forward'),
                           (teacher, 'teacher forward')):
            if net is not None:
                parts += [(getattr(net, name), phase)
                          for name in ('backbone', 'neck', 'head')]
        parts += [(loss, 'loss forward')
                  for loss in getattr(model, 'distill_losses', {}).values()]
        handles = [student.head.register_forward_hook(self._watch_logits)]
        for module, phase in parts:
            handles.append(module.register_forward_pre_hook(
                lambda *_, p=phase: self.start(p)))
            handles.append(module.register_forward_hook(
                lambda *_, p=phase: self.stop(p)))
        try:
            yield
        finally:
            for handle in handles:
                handle.remove()


class TimedOptimWrapper(OptimWrapper):
    """An ``OptimWrapper`` (over an existing optimizer) timing its calls."""

    def __init__(self, optimizer, timer):
        super().__init__(optimizer)
        self.timer = timer

    def backward(self, loss, **kwargs):
        start = self.timer.now()
        self.timer.first_grad = None
        super().backward(loss, **kwargs)
        end = self.timer.now()
        split = self.timer.first_grad or start
        self.timer.seconds['loss backward'] += split - start
        self.timer.seconds['student backward'] += end - split

    def step(self, **kwargs):
        self.timer.start('optimizer step')
        super().step(**kwargs)
        self.timer.stop('optimizer step')

    def zero_grad(self, **kwargs):
        self.timer.start('optimizer step')
        super().zero_grad(**kwargs)
        self.timer.stop('optimizer step')


def step_breakdown(steps, device, rounds, cpu_clock=False):
    """Median milliseconds per phase of each method over hooked rounds
    (see :class:`PhaseTimer` for ``cpu_clock``)."""
    samples = {name: defaultdict(list) for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            timer = PhaseTimer(device, cpu_clock)
            wrapper = TimedOptimWrapper(step.optim_wrapper.optimizer, timer)
            with timer.watch(step.model):
                start = timer.now()
                step(optim_wrapper=wrapper)
                total = timer.now() - start
            timer.seconds['other'] = total - sum(timer.seconds.values())
            timer.seconds['total'] = total
            for phase, seconds in timer.seconds.items():
                samples[name][phase].append(seconds)
    return {
        name: {
            phase: 1e3 * statistics.median(per_phase.get(phase, [0.0]))
            for phase in (*PHASES, 'total')
        }
        for name, per_phase in samples.items()
    }
