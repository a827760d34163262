"""vrm_mm: knowledge distillation by Virtual Relation Matching.

install_requires holds honest ranges for users (install your CUDA torch
first); the pinned, reproducible CPU/CI environment is
requirements/runtime.txt.
"""
from setuptools import find_packages, setup


def _version() -> str:
    scope: dict = {}
    with open('vrm_mm/version.py') as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='vrm_mm',
    version=_version(),
    description=('Knowledge distillation by Virtual Relation Matching, '
                 'built on mmengine and mmpretrain'),
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    packages=find_packages(include=['vrm_mm', 'vrm_mm.*']),
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
        'tests': ['pytest>=8.0', 'ruff==0.8.6', 'timm>=0.9',
                  'tensorboard>=2.14', 'scikit-learn>=1.3'],
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
