"""Put Fashion-MNIST files where mmpretrain's ``FashionMNIST`` reads them.

mmpretrain 1.2.0 reads the four IDX files uncompressed
(``train-images-idx3-ubyte``, ...) from ``data_root``, while the official
release and the Debian package ``dataset-fashion-mnist``
(``/usr/share/datasets/fashion-mnist/``) ship them gzipped. Usage::

    python -m vrm_mm.datasets.fashion_mnist_files \\
        /usr/share/datasets/fashion-mnist data/fashion_mnist
"""
import argparse
import gzip
import os
import shutil
import struct
import subprocess
from typing import Callable, List

DEBIAN_DIR = '/usr/share/datasets/fashion-mnist'

# IDX magic numbers: unsigned bytes, 3 dimensions (images) or 1 (labels).
_IMAGES_MAGIC = 0x0803
_LABELS_MAGIC = 0x0801
FILE_NAMES_AND_MAGIC = {
    'train-images-idx3-ubyte': _IMAGES_MAGIC,
    'train-labels-idx1-ubyte': _LABELS_MAGIC,
    't10k-images-idx3-ubyte': _IMAGES_MAGIC,
    't10k-labels-idx1-ubyte': _LABELS_MAGIC,
}


def _open_source(src_dir: str, name: str):
    for candidate, opener in ((name + '.gz', gzip.open), (name, open)):
        path = os.path.join(src_dir, candidate)
        if os.path.isfile(path):
            return opener(path, 'rb')
    raise FileNotFoundError(
        f'Neither {name}.gz nor {name} is in {src_dir}: get the official '
        'Fashion-MNIST files, e.g. `apt-get install dataset-fashion-mnist` '
        '(into /usr/share/datasets/fashion-mnist).')


def _read_count(path: str, magic: int) -> int:
    with open(path, 'rb') as f:
        found, count = struct.unpack('>II', f.read(8))
    if found != magic:
        raise ValueError(
            f'{path} is not an IDX file of the expected kind (magic number '
            f'{found:#06x}, expected {magic:#06x}).')
    return count


def prepare_fashion_mnist(src_dir: str, dst_dir: str) -> List[str]:
    """Decompress (or copy) the four Fashion-MNIST IDX files into dst_dir.

    Each source may be gzipped (``<name>.gz``) or raw (``<name>``). The
    written files are checked: IDX headers of the right kind, and as many
    labels as images in each split.

    Args:
        src_dir: folder with the official files.
        dst_dir: the ``data_root`` of the ``FashionMNIST`` dataset config.

    Returns:
        list[str]: the written paths.
    """
    os.makedirs(dst_dir, exist_ok=True)
    written = {}
    for name, magic in FILE_NAMES_AND_MAGIC.items():
        dst = os.path.join(dst_dir, name)
        with _open_source(src_dir, name) as src, open(dst, 'wb') as out:
            shutil.copyfileobj(src, out)
        written[name] = _read_count(dst, magic)
    for split in ('train', 't10k'):
        images = written[f'{split}-images-idx3-ubyte']
        labels = written[f'{split}-labels-idx1-ubyte']
        if images != labels:
            raise ValueError(
                f'{split} split: {images} images but {labels} labels in '
                f'{src_dir}; the files come from different releases.')
    return [os.path.join(dst_dir, name) for name in FILE_NAMES_AND_MAGIC]


def download_with_mmpretrain(data_root: str) -> None:
    """mmpretrain's own download (needs the internet)."""
    from mmpretrain.datasets import FashionMNIST
    FashionMNIST(data_root=data_root, split='train', download=True)
    FashionMNIST(data_root=data_root, test_mode=True, download=True)


def ensure_fashion_mnist(data_root: str, debian_dir: str = DEBIAN_DIR,
                         log: Callable[[str], None] = print) -> None:
    """Make the four uncompressed IDX files exist in ``data_root``.

    In order: already there; prepared from the Debian package (installed
    with apt-get first when running as root); mmpretrain's download.
    Raises FileNotFoundError saying how to get the data when none works.
    """
    if all(os.path.isfile(os.path.join(data_root, name))
           for name in FILE_NAMES_AND_MAGIC):
        log(f'Fashion-MNIST found in {data_root}')
        return
    if not os.path.isdir(debian_dir) and shutil.which('apt-get') and \
            os.geteuid() == 0:
        log('installing the Debian package dataset-fashion-mnist ...')
        subprocess.run(['apt-get', 'update', '-qq'], check=False)
        subprocess.run(
            ['apt-get', 'install', '-y', '-qq', 'dataset-fashion-mnist'],
            check=False)
    if os.path.isdir(debian_dir):
        log(f'preparing Fashion-MNIST from {debian_dir} into {data_root}')
        prepare_fashion_mnist(debian_dir, data_root)
        return
    log("trying mmpretrain's download of Fashion-MNIST ...")
    try:
        download_with_mmpretrain(data_root)
    except Exception as error:  # no internet, no package: say what to do
        raise FileNotFoundError(
            f'could not get Fashion-MNIST into {data_root} '
            f'({type(error).__name__}: {error}).\n'
            '  Either install the Debian package (sudo apt-get install '
            'dataset-fashion-mnist), or put the four IDX files '
            '(train-images-idx3-ubyte, ... , gzipped or not) in a folder '
            'and run\n  python -m vrm_mm.datasets.fashion_mnist_files '
            f'FOLDER {data_root}') from error


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src_dir', help='folder with the official files')
    parser.add_argument('dst_dir', help='data_root of the dataset config')
    args = parser.parse_args()
    for path in prepare_fashion_mnist(args.src_dir, args.dst_dir):
        print(path)


if __name__ == '__main__':
    main()
