"""Register vrm_mm's components for use from Python, outside a Runner.

The OpenMMLab convention (``mmpretrain.utils.register_all_modules``); the
README's example, run from the repository root once the teacher checkpoint
exists (``tests/test_utils/test_setup_env.py`` runs it as written)::

    import torch
    from mmengine.config import Config
    from mmpretrain.structures import DataSample
    from vrm_mm.registry import MODELS
    from vrm_mm.utils import register_all_modules

    register_all_modules()  # default scope 'vrm_mm': ours and mmpretrain's
    cfg = Config.fromfile('configs/vrm/vrm_resnet56_resnet20_240e_cifar100.py')
    model = MODELS.build(cfg.model)  # loads cfg.model.teacher_ckpt
    views = [torch.rand(4, 3, 32, 32), torch.rand(4, 3, 32, 32)]  # real, virt.
    labels = [DataSample().set_gt_label(label) for label in range(4)]
    losses = model(views, labels, mode='loss')  # loss_cls, loss_vrm_is, ...
    loss, log_vars = model.parse_losses(losses)  # their sum, as the Runner
    loss.backward()

Without the default scope, a vrm_mm name built from mmpretrain's scope
raises :class:`~vrm_mm.utils.errors.WrongScopeError` naming these fixes
(see :mod:`vrm_mm.registry`).
"""
import datetime
import warnings

from mmengine.registry import DefaultScope

SCOPE = 'vrm_mm'


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every module that registers a vrm_mm or mmpretrain component.

    Args:
        init_default_scope: Also make ``'vrm_mm'`` the default scope, so
            that nested builds (an ``ImageClassifier``'s backbone, a
            distiller's student) find our components as well as
            mmpretrain's and mmengine's. Defaults to True.
    """
    from mmpretrain.utils import register_all_modules as register_mmpretrain
    register_mmpretrain(init_default_scope=False)
    import vrm_mm.analysis  # noqa: F401
    import vrm_mm.datasets  # noqa: F401
    import vrm_mm.engine  # noqa: F401
    import vrm_mm.models  # noqa: F401
    import vrm_mm.runtime.hooks  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance(SCOPE, scope_name=SCOPE)
    elif current.scope_name != SCOPE:
        warnings.warn(
            f'The default scope was {current.scope_name!r}; '
            "register_all_modules makes it 'vrm_mm' (pass "
            'init_default_scope=False to keep it).')
        # instance names are unique, as in mmpretrain
        DefaultScope.get_instance(f'{SCOPE}-{datetime.datetime.now()}',
                                  scope_name=SCOPE)


def our_names() -> set:
    """Every name registered in one of vrm_mm's own registries."""
    from vrm_mm import registry
    register_all_modules(init_default_scope=False)
    return {
        name
        for value in vars(registry).values()
        if isinstance(value, registry.Registry) and value.scope == SCOPE
        for name in value.module_dict
    }


def scope_qualified(node, names: set):
    """``node`` with every ``type`` in ``names`` written ``vrm_mm.<type>``.

    Such a config builds from any scope (mmpretrain's tools and APIs) once
    ``vrm_mm`` is importable; other types are left as they are.
    """
    if isinstance(node, (list, tuple)):
        return [scope_qualified(item, names) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: f'{SCOPE}.{value}' if key == 'type' and value in names else
        scope_qualified(value, names)
        for key, value in node.items()
    }


def register_config_scope() -> None:
    """Let mmengine resolve ``vrm_mm::<path>`` config names.

    mmengine's table of packages with configs (``MODULE2PACKAGE``) is fixed;
    with this entry ``_base_ = ['vrm_mm::vrm/<config>.py']`` and
    ``mmengine.hub.get_config('vrm_mm::...')`` find the configs a wheel
    carries in ``vrm_mm/.mim/configs`` (see setup.py).
    """
    from mmengine.config.utils import MODULE2PACKAGE
    MODULE2PACKAGE.setdefault(SCOPE, SCOPE)
