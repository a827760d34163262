"""vrm_mm's layers only point down (docs/architecture.md, "Layers").

Walks every module of the package with ``ast`` and checks each import made
when the module is imported (module level, including ``if``/``try``
blocks; imports inside functions are deferred and allowed): a module may
import its own room, and rooms of a lower layer, never a higher one or a
sibling of its own layer. Also: no ``sys.path`` edit in vrm_mm/, tools/ or
tests/ (benchmarks are importable through pytest's ``pythonpath``).
"""
import ast
import os
import os.path as osp
from typing import Dict, Iterator, List, Optional, Tuple

import pytest
from conftest import REPO_ROOT

PACKAGE = osp.join(REPO_ROOT, 'vrm_mm')

# room -> layer; a room imports rooms of lower layers only
LAYERS: Dict[str, int] = {
    'utils': 0,
    'version': 0,
    'registry': 1,
    'models': 2,
    'datasets': 2,
    'converters': 2,
    'engine': 3,
    'runtime': 4,
    'analysis': 5,
}


def modules() -> Iterator[Tuple[str, str]]:
    """``(dotted name, path)`` of every module of vrm_mm."""
    for root, dirs, files in os.walk(PACKAGE):
        dirs[:] = sorted(d for d in dirs if not d.startswith(('.', '__')))
        for file in sorted(files):
            if file.endswith('.py'):
                path = osp.join(root, file)
                rel = osp.relpath(path, REPO_ROOT)[:-3].split(os.sep)
                if rel[-1] == '__init__':
                    rel = rel[:-1]
                yield '.'.join(rel), path


def module_level_imports(tree: ast.Module) -> Iterator[ast.stmt]:
    """Import statements run at import time (not inside def / class)."""
    todo: List[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for field in ('body', 'orelse', 'finalbody', 'handlers'):
                for child in getattr(node, field, []):
                    todo.extend(child.body if isinstance(
                        child, ast.ExceptHandler) else [child])


def imported_names(module: str, is_package: bool,
                   node: ast.stmt) -> List[str]:
    """The dotted modules ``node`` imports, relative ones resolved."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = module if is_package else module.rpartition('.')[0]
    for _ in range(node.level - 1):
        base = base.rpartition('.')[0]
    target = node.module or ''
    if node.level:
        target = f'{base}.{target}' if target else base
    if node.module is None or node.level and not node.module:
        # `from . import x`: each name may be a module
        return [f'{target}.{alias.name}' for alias in node.names]
    return [target]


def room(module: str) -> Optional[str]:
    parts = module.split('.')
    return parts[1] if parts[0] == 'vrm_mm' and len(parts) > 1 else None


def upward_imports() -> List[str]:
    found = []
    for module, path in modules():
        own = room(module)
        if own is None:  # vrm_mm/__init__.py: see test below
            continue
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read(), path)
        is_package = path.endswith('__init__.py')
        for node in module_level_imports(tree):
            for name in imported_names(module, is_package, node):
                other = room(name)
                if other is None or other == own:
                    continue
                if other not in LAYERS or own not in LAYERS:
                    found.append(f'{path}:{node.lineno}: room {other or own}'
                                 ' has no layer in LAYERS')
                elif LAYERS[other] >= LAYERS[own]:
                    found.append(
                        f'{osp.relpath(path, REPO_ROOT)}:{node.lineno}: '
                        f'{own} (layer {LAYERS[own]}) imports {name} '
                        f'(layer {LAYERS[other]})')
    return found


def test_every_room_has_a_layer():
    rooms = {room(module) for module, _ in modules()} - {None}
    assert rooms == set(LAYERS), (
        f'rooms without a layer: {sorted(rooms - set(LAYERS))}; layers '
        f'without a room: {sorted(set(LAYERS) - rooms)}')


def test_layers_only_point_down():
    upward = upward_imports()
    assert not upward, 'imports against the layers:\n' + '\n'.join(upward)


def test_package_init_imports_utils_only():
    """``import vrm_mm`` changes globals through utils alone (see
    docs/architecture.md, "What `import vrm_mm` changes")."""
    path = osp.join(PACKAGE, '__init__.py')
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read())
    names = [
        name for node in module_level_imports(tree)
        for name in imported_names('vrm_mm', True, node)
    ]
    assert names and all(
        room(name) in ('utils', 'version') for name in names), names


def test_the_checker_finds_an_upward_import(tmp_path):
    """The walk sees module-level imports (also in ``try``), resolves
    relative ones, and skips imports inside functions."""
    source = ('try:\n    from ..runtime.cli import clear_errors\n'
              'except ImportError:\n    pass\n'
              'def f():\n    from vrm_mm.analysis import curves\n')
    tree = ast.parse(source)
    names = [
        name for node in module_level_imports(tree)
        for name in imported_names('vrm_mm.utils.x', False, node)
    ]
    assert names == ['vrm_mm.runtime.cli']
    assert LAYERS[room(names[0])] > LAYERS['utils']


def sys_path_edits(folder: str) -> Iterator[str]:
    for root, dirs, files in os.walk(osp.join(REPO_ROOT, folder)):
        dirs[:] = [d for d in dirs if d not in ('__pycache__', 'data')]
        for file in files:
            if not file.endswith('.py'):
                continue
            path = osp.join(root, file)
            with open(path, encoding='utf-8') as f:
                tree = ast.parse(f.read(), path)
            for node in ast.walk(tree):
                target = node.func.value if isinstance(
                    node, ast.Call) and isinstance(
                        node.func, ast.Attribute) else node.value if (
                            isinstance(node, ast.Subscript)) else None
                if (isinstance(target, ast.Attribute)
                        and target.attr == 'path'
                        and isinstance(target.value, ast.Name)
                        and target.value.id == 'sys'):
                    yield f'{osp.relpath(path, REPO_ROOT)}:{node.lineno}'


@pytest.mark.parametrize('folder', ['vrm_mm', 'tools', 'tests'])
def test_no_sys_path_edits(folder):
    edits = sorted(set(sys_path_edits(folder)))
    assert not edits, (
        'sys.path is edited here; import the normal way instead (tests: '
        'pytest `pythonpath` in pyproject.toml):\n' + '\n'.join(edits))


def test_the_checker_finds_sys_path_edits(tmp_path):
    (tmp_path / 'a.py').write_text(
        'import sys\nsys.path.insert(0, "x")\nsys.path[:0] = ["y"]\n'
        'print(sys.platform)\n')
    edits = sorted(set(sys_path_edits(str(tmp_path))))
    assert [edit.rsplit(':', 1)[1] for edit in edits] == ['2', '3']
