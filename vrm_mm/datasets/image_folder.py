"""Your own images, ImageNet style, with one class list for every split.

mmpretrain's ``CustomDataset`` numbers the class folders of each split on
its own: a ``val/`` that lacks one of ``train/``'s classes shifts every
later label by one and scores next to nothing, silently.
:class:`ImageFolderDataset` gives every split the training split's class
list (``classes_from``) and stops when the lists differ, naming the
classes and the fix. :func:`check_class_lists` is the comparison itself,
:func:`check_same_classes` the same for two built datasets of any type.
A config's top-level ``num_classes`` and ``data_root`` reach every
consumer through :mod:`vrm_mm.runtime.shared_variables`.
"""
import os.path as osp
from typing import List, Optional, Sequence, Set, Tuple

from mmengine.fileio import list_dir_or_file, list_from_file
from mmpretrain.datasets import CustomDataset
from mmpretrain.datasets.custom import find_folders

from vrm_mm.registry import DATASETS
from vrm_mm.utils.errors import VrmMmError

__all__ = [
    'ClassListError', 'ImageFolderDataset', 'check_class_lists',
    'check_same_classes'
]


class ClassListError(VrmMmError, ValueError):
    """Splits whose class lists differ, or a class count that does not fit.
    """


def _quoted(names) -> str:
    return ', '.join(repr(name) for name in names)


def check_class_lists(reference: Sequence, found: Sequence, *,
                      reference_name: str, found_name: str,
                      allow_missing: bool = False,
                      missing_fix: str = '') -> None:
    """Raise unless ``found`` holds exactly the classes of ``reference``.

    Args:
        reference: the class list the labels are numbered by (the train
            split's).
        found: the classes another split (val, test) holds images of.
        reference_name: where ``reference`` comes from, for the message.
        found_name: where ``found`` comes from, for the message.
        allow_missing: accept classes of ``reference`` absent from
            ``found``; a class of ``found`` outside ``reference`` is always
            an error (the model has no output for it).
        missing_fix: the option that accepts missing classes, named in
            the message.

    Raises:
        ClassListError: naming the extra and the missing classes.
    """
    known = set(reference)
    extra = [name for name in found if name not in known]
    present = set(found)
    missing = [name for name in reference if name not in present]
    problems = []
    if extra:
        problems.append(
            f'{found_name} holds class(es) {_quoted(extra)} that are not in '
            f'the class list of {reference_name} ({len(reference)} classes): '
            'the model has no output for them. Remove them from '
            f'{found_name}, or add them to {reference_name} and retrain.')
    if missing and not allow_missing:
        how = f' (or set {missing_fix} if that is intended)' \
            if missing_fix else ''
        problems.append(
            f'{found_name} has no image of class(es) {_quoted(missing)} of '
            f'{reference_name} ({len(reference)} classes): its accuracy '
            f'would not measure them. Add images of them to {found_name}'
            f'{how}.')
    if problems:
        raise ClassListError(' '.join(problems))


def check_same_classes(train_dataset, other_dataset,
                       split: str = 'val') -> None:
    """Raise when two built datasets name different class lists.

    For a pre-flight check of any mmpretrain datasets: both lists come
    from ``metainfo['classes']``; a dataset without one is not checked.
    The same names in another order number the classes differently, and
    are an error as well.
    """
    train = tuple((getattr(train_dataset, 'metainfo', None) or {}).get(
        'classes') or ())
    other = tuple((getattr(other_dataset, 'metainfo', None) or {}).get(
        'classes') or ())
    if not train or not other or train == other:
        return
    check_class_lists(
        train, other, reference_name='the train set',
        found_name=f'the {split} set',
        missing_fix=f"{split}_dataloader.dataset=dict(type="
        "'ImageFolderDataset', classes_from='train', "
        'allow_missing_classes=True)')
    raise ClassListError(
        f'The {split} set numbers the classes of the train set in another '
        f'order ({_quoted(other[:5])}... against {_quoted(train[:5])}...): '
        f"its labels mean other classes. Give the {split} dataset the train "
        "set's list (type='ImageFolderDataset', classes_from='train', or "
        "the same metainfo=dict(classes=...)).")


def _subfolders(folder: str) -> List[str]:
    return find_folders(folder)[0]


@DATASETS.register_module()
class ImageFolderDataset(CustomDataset):
    """``CustomDataset`` whose labels follow the train split's class list.

    Two layouts, as ``CustomDataset``:

    * folders: ``<data_root>/<data_prefix>/<class>/**/<image>``; a label is
      the class folder's index in the class list;
    * an annotation file ``ann_file`` of ``<path> <label>`` lines, paths
      relative to ``<data_root>/<data_prefix>``.

    The class list is ``classes`` when given (names, or a text file of one
    name a line); else the subfolders of ``classes_from`` (sorted by name),
    a path relative to ``data_root`` like ``data_prefix``: the train
    folder, so that validation and test images are labelled by the
    training split's numbering whatever folders they have; else this
    split's own subfolders. Every class folder of this split must be in the
    list and every class of the list must have an image here (else
    :class:`ClassListError`, naming the classes; ``allow_missing_classes``
    accepts absent ones). With an annotation file, ``classes_from`` may
    name the train split's annotation file: both files' label sets are
    compared the same way.

    Example (``configs/_base_/datasets/image_folder_bs64.py``)::

        val_dataloader = dict(dataset=dict(
            type='ImageFolderDataset', data_root='data/my_images',
            data_prefix='val', classes_from='train', pipeline=[...]))

    Args:
        classes_from: the split whose class list this one uses: a folder
            of class subfolders or an annotation file, relative to
            ``data_root``. None: this split's own folders.
        classes: the class names (or a file of them); overrides the
            folders' names, as ``metainfo=dict(classes=...)`` would.
        num_classes: when given, the class list must be this long (the
            config's top-level ``num_classes``, see
            :func:`~vrm_mm.runtime.shared_variables.propagate_shared_variables`).
        allow_missing_classes: accept classes without an image here.
        **kwargs: ``data_root``, ``data_prefix``, ``ann_file``,
            ``pipeline``, ... of mmpretrain's ``CustomDataset``.
    """

    def __init__(self,
                 classes_from: Optional[str] = None,
                 classes=None,
                 num_classes: Optional[int] = None,
                 allow_missing_classes: bool = False,
                 **kwargs) -> None:
        self.classes_from = classes_from
        self.num_classes = num_classes
        self.allow_missing_classes = allow_missing_classes
        if classes is not None:
            metainfo = dict(kwargs.pop('metainfo', None) or {})
            metainfo['classes'] = classes
            kwargs['metainfo'] = metainfo
        super().__init__(**kwargs)

    # -- where things are -------------------------------------------------

    def _root_path(self, path: str) -> str:
        root = self.data_root or ''
        return path if osp.isabs(path) or not root else osp.join(root, path)

    def _reference_path(self) -> Optional[str]:
        return (None if self.classes_from is None else self._root_path(
            self.classes_from))

    def _named_classes(self) -> Optional[Tuple[str, ...]]:
        classes = self._metainfo.get('classes')
        return None if classes is None else tuple(classes)

    def _check_count(self, count: int, where: str) -> None:
        if self.num_classes is not None and count != self.num_classes:
            raise ClassListError(
                f'{where} gives {count} classes but num_classes='
                f'{self.num_classes}: set num_classes={count} (the '
                "config's top-level num_classes, read by the heads, the "
                'data preprocessor and the datasets).')

    # -- folders ----------------------------------------------------------

    def _folder_class_list(self) -> Tuple[List[str], str]:
        named = self._named_classes()
        if named is not None:
            return list(named), 'the classes option'
        folder = self._reference_path() or self.img_prefix
        if not osp.isdir(folder):
            raise ClassListError(
                f'classes_from={self.classes_from!r}: {folder} is not a '
                'folder of class subfolders: point it to the train images '
                "(data_prefix of train_dataloader.dataset, e.g. 'train').")
        return _subfolders(folder), folder

    def _load_folders(self) -> List[dict]:
        folder = self.img_prefix
        if not osp.isdir(folder):
            raise ClassListError(
                f'The image folder {folder} does not exist: set data_root '
                '(and data_prefix) so that it holds one subfolder of images '
                'per class.')
        classes, source = self._folder_class_list()
        if not classes:
            raise ClassListError(
                f'{source} holds no class subfolder: put the images of '
                'each class in a folder of its own (train/<class>/*.jpg).')
        self._check_count(len(classes), source)
        index = {name: i for i, name in enumerate(classes)}
        folders = _subfolders(folder)
        extra = [name for name in folders if name not in index]
        samples = []
        for name in folders:
            if name not in index:
                continue
            files = self._files_under(osp.join(folder, name))
            samples += [(osp.join(folder, name, file), index[name])
                        for file in files]
        with_images = sorted({classes[label] for _, label in samples})
        check_class_lists(
            classes, with_images + extra, reference_name=source,
            found_name=folder, allow_missing=self.allow_missing_classes,
            missing_fix='allow_missing_classes=True in this dataset')
        self._metainfo['classes'] = tuple(classes)
        return [dict(img_path=path, gt_label=label)
                for path, label in samples]

    def _files_under(self, folder: str) -> List[str]:
        return sorted(
            file for file in list_dir_or_file(
                folder, list_dir=False, list_file=True, recursive=True)
            if self.is_valid_file(file))

    # -- annotation files -------------------------------------------------

    def _ann_labels(self, path: str) -> Set[int]:
        labels = set()
        for number, line in enumerate(list_from_file(path), 1):
            parts = line.strip().rsplit(' ', 1)
            if not line.strip():
                continue
            if len(parts) != 2 or not parts[1].lstrip('-').isdigit():
                raise ClassListError(
                    f'{path} line {number}: expected "<path> <label>", '
                    f'got {line.strip()!r}.')
            labels.add(int(parts[1]))
        return labels

    def _load_annotations(self) -> List[dict]:
        data_list = super().load_data_list()
        if not self.with_label:
            return data_list
        named = self._named_classes()
        own = sorted({item['gt_label'] for item in data_list})
        reference = self._reference_path()
        if reference is None:
            labels = own
            source = self.ann_file
        elif osp.isdir(reference):
            folders = _subfolders(reference)
            labels = list(range(len(folders)))
            named = tuple(folders) if named is None else named
            source = reference
        else:
            if not osp.isfile(reference):
                raise ClassListError(
                    f'classes_from={self.classes_from!r}: {reference} is '
                    'neither the train annotation file nor the train '
                    'folder: point it to the one the train split reads.')
            labels = sorted(self._ann_labels(reference))
            source = reference
        if named is not None:
            self._check_count(len(named), 'the classes option')
            outside = [label for label in own if not 0 <= label < len(named)]
            if outside:
                raise ClassListError(
                    f'{self.ann_file} has labels {outside[:5]} outside the '
                    f'{len(named)} classes of the classes option: fix the '
                    'labels or the class list.')
        elif labels:
            self._check_count(max(labels) + 1, source)

        def name(label: int) -> str:
            return (named[label] if named is not None
                    and 0 <= label < len(named) else f'label {label}')

        check_class_lists(
            [name(label) for label in labels],
            [name(label) for label in own], reference_name=source,
            found_name=self.ann_file,
            allow_missing=self.allow_missing_classes,
            missing_fix='allow_missing_classes=True in this dataset')
        if named is not None:
            self._metainfo['classes'] = tuple(named)
        return data_list

    def load_data_list(self) -> List[dict]:
        """Image paths and labels numbered by the class list."""
        if self.ann_file:
            return self._load_annotations()
        if not self.with_label:
            return super().load_data_list()
        data_list = self._load_folders()
        if not data_list:
            raise ClassListError(
                f'No image ({", ".join(sorted(self.extensions))}) in the '
                f'class subfolders of {self.img_prefix}: check data_root and '
                'data_prefix.')
        return data_list
