"""Child registries of mmpretrain's, scoped ``vrm_mm``.

With ``default_scope = 'vrm_mm'`` a config resolves our components and,
through the parent registries, every mmpretrain (and mmengine) component by
its plain name. ``locations`` make the lookup lazy: the modules that
register components are imported on the first ``get``/``build``.
mmpretrain's own modules are listed too, because a child registry reads its
parent's table without importing the parent's locations.

Note: mmengine's root registries do not search scoped grandchildren by
prefix, so things the Runner looks up at the root without switching scope
(model wrappers) are registered in mmengine's registry instead (see
``vrm_mm/models/wrappers``).
"""
from mmengine.registry import Registry
from mmpretrain import registry as mmpretrain_registry

_MODEL_LOCATIONS = ['mmpretrain.models', 'vrm_mm.models']
_DATA_LOCATIONS = ['mmpretrain.datasets', 'vrm_mm.datasets']
_ENGINE_LOCATIONS = ['mmpretrain.engine', 'vrm_mm.engine']


def _child(name: str, parent_attr: str, locations: list) -> Registry:
    return Registry(
        name,
        parent=getattr(mmpretrain_registry, parent_attr),
        scope='vrm_mm',
        locations=locations)


RUNNERS = _child('runner', 'RUNNERS', _ENGINE_LOCATIONS)
RUNNER_CONSTRUCTORS = _child('runner constructor', 'RUNNER_CONSTRUCTORS',
                             _ENGINE_LOCATIONS)
LOOPS = _child('loop', 'LOOPS', _ENGINE_LOCATIONS)
HOOKS = _child('hook', 'HOOKS', _ENGINE_LOCATIONS)
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
