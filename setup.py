"""vrm_mm: knowledge distillation by Virtual Relation Matching.

install_requires holds honest ranges for users (install your CUDA torch
first); the pinned, reproducible CPU/CI environment is
requirements/runtime.txt.

Like every OpenMMLab codebase, the package carries its configs, tools and
model index in ``vrm_mm/.mim`` for openmim (``mim train vrm_mm CONFIG``)
and mmengine (``vrm_mm::vrm/...py``): a wheel or a non-editable install
gets copies of ``configs/``, ``tools/`` and ``model-index.yml``; an editable
install (``pip install -e .``) gets relative symlinks to them in the
source tree (git-ignored), so edits show at once.
"""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = osp.dirname(osp.abspath(__file__))
# what openmim and mmengine look for in <package>/.mim
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def _version() -> str:
    scope: dict = {}
    with open('vrm_mm/version.py') as f:
        exec(f.read(), scope)
    return scope['__version__']


def _remove(path: str) -> None:
    if osp.islink(path) or osp.isfile(path):
        os.remove(path)
    elif osp.isdir(path):
        shutil.rmtree(path)


def add_mim_files(mim_dir: str, mode: str) -> None:
    """Put ``MIM_FILES`` into ``mim_dir``: copies or relative symlinks.

    ``mode`` is ``'copy'`` (wheels, sdists, ``pip install .``) or
    ``'symlink'`` (editable installs).
    """
    os.makedirs(mim_dir, exist_ok=True)
    for name in MIM_FILES:
        src = osp.join(HERE, name)
        if not osp.exists(src):
            raise FileNotFoundError(
                f'{src} is missing: the vrm_mm package ships it in '
                'vrm_mm/.mim; build from a full checkout or sdist.')
        dst = osp.join(mim_dir, name)
        _remove(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_dir), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns(
                '__pycache__', '*.pyc'))
        else:
            shutil.copyfile(src, dst)


class BuildPyWithMim(build_py):
    """build_py that adds ``vrm_mm/.mim`` (copied into the build, or linked
    in the source tree for an editable install)."""

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):
            add_mim_files(osp.join(HERE, 'vrm_mm', '.mim'), 'symlink')
        else:
            add_mim_files(osp.join(self.build_lib, 'vrm_mm', '.mim'), 'copy')


# setuptools < 64 installs `-e` with `setup.py develop`, without build_py
if 'develop' in sys.argv:
    add_mim_files(osp.join(HERE, 'vrm_mm', '.mim'), 'symlink')

setup(
    name='vrm_mm',
    version=_version(),
    description=('Knowledge distillation by Virtual Relation Matching, '
                 'built on mmengine and mmpretrain'),
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    packages=find_packages(include=['vrm_mm', 'vrm_mm.*']),
    cmdclass={'build_py': BuildPyWithMim},
    python_requires='>=3.9',
    install_requires=[
        'torch>=2.1',
        'torchvision>=0.16',
        'mmengine>=0.10.4,<0.11',
        'mmcv-lite>=2.0.0,<2.4',
        'mmpretrain>=1.2.0,<1.3',
        'numpy<2.4',
        'setuptools<81',
        'matplotlib',
    ],
    extras_require={
        'tests': ['pytest>=8.0', 'pytest-xdist>=3.5', 'ruff==0.8.6',
                  'timm>=0.9', 'tensorboard>=2.14', 'scikit-learn>=1.3'],
        # t-SNE and silhouettes of tools/analysis/tsne.py
        'analysis': ['scikit-learn>=1.3'],
        # timm networks (and timm's Hugging Face Hub models, 'hf-hub:...')
        # as teachers or students through mmpretrain's TimmClassifier; no
        # [hf] extra: transformers is a heavy install for image classifiers
        'timm': ['timm>=0.9'],
        # TensorboardVisBackend (configs/README.md, "Looking at runs")
        'tensorboard': ['tensorboard>=2.14'],
    },
)
