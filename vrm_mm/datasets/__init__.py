"""Importing this package registers vrm_mm's datasets and transforms."""
from .bad_sample_guard import BadSampleGuard
from .contrast_sample_dataset import ContrastSampleDataset
from .fashion_mnist_files import prepare_fashion_mnist
from .filename_labelled_images import FilenameLabelledImages
from .image_folder import ImageFolderDataset  # noqa: F401  (registers it)
from .local_cifar100 import LocalCIFAR100
from .transforms import VIRTUAL_VIEW_POLICIES, RealVirtualViews

__all__ = [
    'BadSampleGuard', 'ContrastSampleDataset', 'FilenameLabelledImages',
    'LocalCIFAR100', 'RealVirtualViews', 'VIRTUAL_VIEW_POLICIES',
    'prepare_fashion_mnist'
]
