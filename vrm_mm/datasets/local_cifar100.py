"""CIFAR-100 read from local files only, with errors that say what to do."""
from mmengine.fileio import exists, join_path
from mmpretrain.datasets import CIFAR100
from mmpretrain.datasets.utils import check_md5

from vrm_mm.registry import DATASETS


@DATASETS.register_module()
class LocalCIFAR100(CIFAR100):
    """mmpretrain's ``CIFAR100`` without the download path.

    It reads the official python version: ``cifar-100-python.tar.gz``
    extracted into ``data_root``, i.e. ``<data_root>/cifar-100-python/train``
    and ``.../test``, pickles holding ``data`` (N x 3072 uint8, RGB planes)
    and ``fine_labels``. Unlike ``CIFAR100`` it needs only the requested
    split's file, never tries to download (these machines have no internet),
    and reports a missing or altered file with the fix instead of a download
    error.

    Args:
        data_root: the folder that holds ``cifar-100-python``.
        split: ``'train'`` or ``'test'``.
        verify_md5: compare the split's file with the official checksum;
            False for a deliberately reduced or rewritten copy.
        **kwargs: other arguments of ``CIFAR100`` except ``download``.
    """

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 verify_md5: bool = True,
                 **kwargs) -> None:
        if kwargs.pop('download', False):
            raise ValueError(
                'LocalCIFAR100 never downloads: extract '
                'cifar-100-python.tar.gz into data_root yourself, or use '
                "mmpretrain's CIFAR100 on a machine with internet access.")
        self.verify_md5 = verify_md5
        super().__init__(
            data_root=data_root, split=split, download=False, **kwargs)

    def _split_files(self) -> list:
        return self.train_list if self.split == 'train' else self.test_list

    def _check_integrity(self) -> bool:
        folder = join_path(self.data_prefix['root'], self.base_folder)
        for name, md5 in self._split_files():
            path = join_path(folder, name)
            if not exists(path):
                raise FileNotFoundError(
                    f'CIFAR-100 file {path} not found: extract '
                    'cifar-100-python.tar.gz (official python version) '
                    f"into {self.data_prefix['root']!r} so that "
                    f'{folder}/train and {folder}/test exist.')
            if self.verify_md5 and not check_md5(path, md5):
                raise ValueError(
                    f'{path} does not match the official CIFAR-100 '
                    'checksum: re-extract the official archive, or pass '
                    'verify_md5=False for a deliberately modified copy.')
        return True
