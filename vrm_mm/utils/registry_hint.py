"""Explain an unregistered ``type``: the closest registered names, and how
to register one's own class from outside vrm_mm (``custom_imports``)."""
import re
from typing import Iterator, List, Optional

import mmengine.registry
from mmengine.registry import Registry

from vrm_mm.utils.suggest import did_you_mean

TUTORIAL = 'docs/tutorials/add_a_loss.md'
# mmengine's build_from_cfg: "X is not in the <scope>::<name> registry."
_UNREGISTERED = re.compile(
    r'(?P<type>\S+) is not in the (?P<scope>[^\s:]+)::(?P<name>.+?) '
    r'registry\. .*', re.DOTALL)


def own_class_hint(kind: str, registry_name: str = 'MODELS') -> str:
    """How to register ``kind`` if it is the user's own class.

    Args:
        kind: The unregistered ``type``, e.g. ``'MyCosineLoss'``.
        registry_name: The ``vrm_mm.registry`` variable to register it in.
    """
    return (
        f' If {kind!r} is your own class, register it with '
        f'@{registry_name}.register_module() (vrm_mm.registry) and import '
        "its module from the config: custom_imports = dict(imports=["
        "'my_package'], allow_failed_imports=False), with my_package's "
        f'folder on PYTHONPATH (see {TUTORIAL}).')


def _walk(registry: Registry) -> Iterator[Registry]:
    yield registry
    for child in registry.children.values():
        yield from _walk(child)


def _find(scope: str, name: str) -> Optional[Registry]:
    """The registry ``scope::name`` under mmengine's root registries."""
    for root in vars(mmengine.registry).values():
        if isinstance(root, Registry) and root.name == name:
            for registry in _walk(root):
                if registry.scope == scope:
                    return registry
    return None


def _registry_variable(name: str) -> str:
    """``'MODELS'`` for ``'model'``: the variable of the registry in
    mmengine.registry, which vrm_mm.registry repeats (but ``EVALUATORS``).
    """
    for variable, registry in vars(mmengine.registry).items():
        if isinstance(registry, Registry) and registry.name == name:
            return 'EVALUATORS' if variable == 'EVALUATOR' else variable
    return 'MODELS'


def registered_names(registry: Optional[Registry]) -> List[str]:
    """The names ``registry.get`` finds: its own and its parents'."""
    names = set()
    while registry is not None:
        names.update(registry.module_dict)
        registry = registry.parent
    return sorted(names)


def unregistered_type_message(error: BaseException) -> Optional[str]:
    """mmengine's unregistered-``type`` ``KeyError``, explained.

    Args:
        error: Any exception.

    Returns:
        For ``KeyError('X is not in the vrm_mm::model registry. ...')``:
        ``"'X' is not in the vrm_mm::model registry."`` with the closest
        registered names and :func:`own_class_hint`; ``None`` for any other
        error.
    """
    if not isinstance(error, KeyError) or not error.args:
        return None
    match = _UNREGISTERED.search(str(error.args[0]))
    if match is None:
        return None
    kind, scope, name = match.group('type', 'scope', 'name')
    prefix = str(error.args[0])[:match.start()]  # e.g. a wrapper's context
    return (f'{prefix}{kind!r} is not in the {scope}::{name} registry.'
            f'{did_you_mean(kind, registered_names(_find(scope, name)))}'
            f'{own_class_hint(kind, _registry_variable(name))}')
