"""Child registries of mmpretrain's, scoped ``vrm_mm``.

With ``default_scope = 'vrm_mm'`` a config resolves our components and,
through the parent registries, every mmpretrain (and mmengine) component by
its plain name. ``locations`` make the lookup lazy: the modules that
register components are imported on the first ``get``/``build``.
mmpretrain's own modules are listed too, because a child registry reads its
parent's table without importing the parent's locations.

Built from a parent's scope (mmpretrain's, or none), one of our names
would be mmengine's bare ``KeyError``: each name registered here also puts a
stand-in into the parent registry (where the parent lacks the name) that
raises :class:`~vrm_mm.utils.errors.WrongScopeError` with the fix. Lookups
in our scope find the real component first, so only wrong-scope builds reach
a stand-in.

Note: mmengine's root registries do not search scoped grandchildren by
prefix, so things the Runner looks up at the root without switching scope
(model wrappers) are registered in mmengine's registry instead (see
``vrm_mm/models/wrappers``).
"""
from typing import Callable, List, Optional, Union

from mmengine.registry import Registry
from mmpretrain import registry as mmpretrain_registry

from vrm_mm.utils.errors import WrongScopeError

_MODEL_LOCATIONS = ['mmpretrain.models', 'vrm_mm.models']
_DATA_LOCATIONS = ['mmpretrain.datasets', 'vrm_mm.datasets']
_ENGINE_LOCATIONS = ['mmpretrain.engine', 'vrm_mm.engine']
# hooks by role: distillation (engine), runtime, analysis
_HOOK_LOCATIONS = [
    *_ENGINE_LOCATIONS, 'vrm_mm.runtime.hooks', 'vrm_mm.analysis'
]


def _wrong_scope(name: str, parent: Registry) -> Callable:
    """A stand-in for ``name`` in ``parent`` that says how to reach ours."""

    def build_from_another_scope(*args, **kwargs):
        raise WrongScopeError(
            f"{name} is a vrm_mm component, but it was built from the "
            f"'{parent.scope}' scope, which does not see vrm_mm's names. "
            'Call `vrm_mm.utils.register_all_modules(init_default_scope='
            "True)` first (or mmengine's `init_default_scope('vrm_mm')`), "
            "set `default_scope = 'vrm_mm'` in the config, or write "
            f"type='vrm_mm.{name}'.")

    return build_from_another_scope


class _ChildRegistry(Registry):
    """A child registry whose names fail clearly from the parent's scope."""

    def _register_module(self,
                         module: Callable,
                         module_name: Optional[Union[str, List[str]]] = None,
                         force: bool = False) -> None:
        super()._register_module(module, module_name, force)
        names = module_name or module.__name__
        for name in [names] if isinstance(names, str) else names:
            # get() imports the parent's locations first, so a stand-in
            # never blocks one of mmpretrain's own registrations
            if self.parent.get(name) is None:
                self.parent.register_module(
                    name=name, module=_wrong_scope(name, self.parent))


def _child(name: str, parent_attr: str, locations: list) -> Registry:
    return _ChildRegistry(
        name,
        parent=getattr(mmpretrain_registry, parent_attr),
        scope='vrm_mm',
        locations=locations)


RUNNERS = _child('runner', 'RUNNERS', _ENGINE_LOCATIONS)
RUNNER_CONSTRUCTORS = _child('runner constructor', 'RUNNER_CONSTRUCTORS',
                             _ENGINE_LOCATIONS)
LOOPS = _child('loop', 'LOOPS', _ENGINE_LOCATIONS)
HOOKS = _child('hook', 'HOOKS', _HOOK_LOCATIONS)
LOG_PROCESSORS = _child('log processor', 'LOG_PROCESSORS',
                        _ENGINE_LOCATIONS)
OPTIMIZERS = _child('optimizer', 'OPTIMIZERS', _ENGINE_LOCATIONS)
OPTIM_WRAPPERS = _child('optim_wrapper', 'OPTIM_WRAPPERS',
                        _ENGINE_LOCATIONS)
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    'OPTIM_WRAPPER_CONSTRUCTORS',
                                    _ENGINE_LOCATIONS)
PARAM_SCHEDULERS = _child('parameter scheduler', 'PARAM_SCHEDULERS',
                          _ENGINE_LOCATIONS)

DATASETS = _child('dataset', 'DATASETS', _DATA_LOCATIONS)
DATA_SAMPLERS = _child('data sampler', 'DATA_SAMPLERS', _DATA_LOCATIONS)
TRANSFORMS = _child('transform', 'TRANSFORMS', _DATA_LOCATIONS)

MODELS = _child('model', 'MODELS', _MODEL_LOCATIONS)
MODEL_WRAPPERS = _child('model_wrapper', 'MODEL_WRAPPERS',
                        _MODEL_LOCATIONS)
WEIGHT_INITIALIZERS = _child('weight initializer', 'WEIGHT_INITIALIZERS',
                             _MODEL_LOCATIONS)
BATCH_AUGMENTS = _child('batch augment', 'BATCH_AUGMENTS',
                        _MODEL_LOCATIONS)
TASK_UTILS = _child('task util', 'TASK_UTILS', _MODEL_LOCATIONS)

_EVALUATION_LOCATIONS = ['mmpretrain.evaluation']
METRICS = _child('metric', 'METRICS', _EVALUATION_LOCATIONS)
EVALUATORS = _child('evaluator', 'EVALUATORS', _EVALUATION_LOCATIONS)
_VISUALIZATION_LOCATIONS = ['mmpretrain.visualization']
VISUALIZERS = _child('visualizer', 'VISUALIZERS', _VISUALIZATION_LOCATIONS)
VISBACKENDS = _child('vis_backend', 'VISBACKENDS', _VISUALIZATION_LOCATIONS)
