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
from typing import List

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src_dir', help='folder with the official files')
    parser.add_argument('dst_dir', help='data_root of the dataset config')
    args = parser.parse_args()
    for path in prepare_fashion_mnist(args.src_dir, args.dst_dir):
        print(path)


if __name__ == '__main__':
    main()
