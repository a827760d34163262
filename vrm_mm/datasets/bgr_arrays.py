"""A dataset of decoded RGB arrays (CIFAR pickles) handed over in BGR order,
the order in which mmcv and mmpretrain's inferencer read image files."""
import numpy as np
from mmengine.dataset import Compose

from vrm_mm.registry import DATASETS

from .dataset_wrapper import DatasetWrapper


def rgb_to_bgr(img: np.ndarray) -> np.ndarray:
    """Reverse the channels of an H x W x 3 array; others are returned."""
    if img.ndim == 3 and img.shape[2] == 3:
        return np.ascontiguousarray(img[..., ::-1])
    return img


@DATASETS.register_module()
class BGRArrays(DatasetWrapper):
    """Hand a dataset's ``img`` arrays over in BGR order, then ``pipeline``.

    ``tools/export_student.py`` wraps the test set of a student trained on
    datasets that decode RGB themselves (``CIFAR100``, ``LocalCIFAR100``,
    ``FilenameLabelledImages``) in it, and sets the student's
    ``data_preprocessor.to_rgb`` to turn BGR back into RGB. The exported
    config then takes images in one order, BGR, whether they come from its
    test set, from a file path given to mmpretrain's
    ``ImageClassificationInferencer`` (read by ``mmcv.imread``) or from an
    array read with ``mmcv.imread(path)``.

    Example (``student.py``)::

        test_dataloader = dict(dataset=dict(
            type='vrm_mm.BGRArrays', pipeline=[dict(type='PackInputs')],
            dataset=dict(type='vrm_mm.LocalCIFAR100', split='test',
                         data_root='data/cifar100', pipeline=[])))

    Args:
        dataset: the dataset (or its config); its own pipeline should be
            empty.
        pipeline: the transforms after the channel swap.
    """

    def __init__(self, dataset, pipeline=()) -> None:
        super().__init__(dataset)
        self.pipeline = Compose(list(pipeline))

    def __getitem__(self, index: int) -> dict:
        info = self.dataset.get_data_info(index)
        info['img'] = rgb_to_bgr(info['img'])
        return self.pipeline(info)
