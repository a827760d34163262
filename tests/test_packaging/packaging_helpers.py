"""Build vrm_mm's wheel and install it, alone, in a fresh virtual env.

The fresh env sees the heavy dependencies (torch, mmengine, mmpretrain...)
of the interpreter running the tests through a ``.pth`` file naming its
site-packages folders. A ``.pth`` line only adds a folder to ``sys.path``:
the ``.pth`` files inside that folder, among them the editable install's
finder of this checkout, are not run, so ``import vrm_mm`` finds the wheel.
"""
import os
import os.path as osp
import shutil
import subprocess
import sys
import sysconfig
from typing import List

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# what a wheel does not need of the checkout (top-level names; the package,
# setup.py and what setup.py ships in vrm_mm/.mim are copied)
NOT_COPIED_TOP = {
    '.git', '.venv', 'work_dirs', 'data', 'build', 'dist', '.ruff_cache',
    '.pytest_cache', 'tests', 'docs', 'benchmarks'}
NOT_COPIED = shutil.ignore_patterns('__pycache__', '.mim', '*.egg-info')


def run(cmd: List[str], **kwargs) -> subprocess.CompletedProcess:
    """Run ``cmd``; on failure raise with its output."""
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise AssertionError(
            f'{" ".join(cmd)} exited {result.returncode}:\n'
            f'{result.stdout[-3000:]}\n{result.stderr[-3000:]}')
    return result


def build_wheel(folder: str, src_root: str = REPO_ROOT) -> str:
    """Build the wheel from a copy of ``src_root``; its path.

    A copy keeps the build's ``build/`` and ``*.egg-info`` out of the
    checkout, and concurrent runs apart.
    """
    def not_copied(path: str, names: List[str]) -> set:
        ignored = set(NOT_COPIED(path, names))
        if osp.samefile(path, src_root):
            ignored |= NOT_COPIED_TOP & set(names)
        return ignored

    src = osp.join(folder, 'src')
    shutil.copytree(src_root, src, ignore=not_copied)
    out = osp.join(folder, 'wheel')
    run([sys.executable, '-m', 'pip', 'wheel', '--no-deps',
         '--no-build-isolation', '--no-index', '-w', out, '.'], cwd=src)
    (name, ) = os.listdir(out)
    return osp.join(out, name)


def dependency_dirs() -> List[str]:
    """The site-packages folders the running interpreter imports from."""
    return [path for path in sys.path
            if osp.basename(path) in ('site-packages', 'dist-packages')
            and osp.isdir(path)]


def fresh_env_with(wheel: str, folder: str) -> str:
    """A new venv of the base interpreter with ``wheel`` installed (no
    dependencies) and this interpreter's packages visible; its python."""
    env_dir = osp.join(folder, 'venv')
    run([sys._base_executable, '-m', 'venv', '--without-pip', env_dir])
    python = osp.join(env_dir, 'bin', 'python')
    run([sys.executable, '-m', 'pip', '--python', python, 'install',
         '--no-deps', '--no-index', wheel])
    # after the install: with them visible, pip would take the checkout's
    # editable vrm_mm for an installed one
    purelib = run([python, '-c', 'import sysconfig; '
                   'print(sysconfig.get_paths()["purelib"])']).stdout.strip()
    assert purelib != sysconfig.get_paths()['purelib']
    with open(osp.join(purelib, 'vrm_mm_test_dependencies.pth'), 'w') as f:
        f.write('\n'.join(dependency_dirs()) + '\n')
    return python


_INSTALLED = {}


def installed_wheel(tmp_path_factory) -> str:
    """The python of a fresh env holding vrm_mm's wheel, built once per
    test session (pytest's ``tmp_path_factory``)."""
    if 'python' not in _INSTALLED:
        folder = str(tmp_path_factory.mktemp('wheel'))
        _INSTALLED['python'] = fresh_env_with(build_wheel(folder), folder)
    return _INSTALLED['python']
