"""load_teacher_checkpoint: layouts, safety and mismatch reports."""
import os.path as osp

import pytest
import torch
from distill_helpers import build, tiny_classifier

from vrm_mm.utils.checkpoint import load_teacher_checkpoint


class _CreatesFileWhenUnpickled:
    """Unpickling this object opens (creates) a file: code execution."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, 'w'))


@pytest.fixture
def teacher():
    return build(tiny_classifier())


@pytest.fixture
def weights():
    torch.manual_seed(1)
    return build(tiny_classifier()).state_dict()


def assert_loaded(model, weights) -> None:
    for key, value in model.state_dict().items():
        assert torch.equal(value, weights[key]), key


@pytest.mark.parametrize('layout', ['plain', 'state_dict', 'model', 'ddp'])
def test_accepted_layouts(layout, teacher, weights, tmp_path):
    stored = {
        'plain': weights,
        'state_dict': {'state_dict': weights, 'meta': {'epoch': 3}},
        'model': {'model': weights, 'epoch': 240},
        'ddp': {f'module.{key}': value for key, value in weights.items()},
    }[layout]
    path = str(tmp_path / 'teacher.pth')
    torch.save(stored, path)
    load_teacher_checkpoint(teacher, path)
    assert_loaded(teacher, weights)


def test_missing_num_batches_tracked_is_tolerated(teacher, weights,
                                                  tmp_path):
    path = str(tmp_path / 'old.pth')
    torch.save({key: value for key, value in weights.items()
                if not key.endswith('num_batches_tracked')}, path)
    load_teacher_checkpoint(teacher, path)
    assert torch.equal(teacher.head.fc.weight, weights['head.fc.weight'])


def test_missing_file_names_path_and_purpose(teacher, tmp_path):
    path = str(tmp_path / 'nowhere.pth')
    with pytest.raises(FileNotFoundError, match='nowhere.pth') as error:
        load_teacher_checkpoint(teacher, path)
    assert 'teacher_ckpt' in str(error.value)


def test_code_in_checkpoint_is_refused_and_not_run(teacher, weights,
                                                   tmp_path):
    marker = str(tmp_path / 'marker')
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': weights,
                'payload': _CreatesFileWhenUnpickled(marker)}, path)
    with pytest.raises(ValueError, match='execute code') as error:
        load_teacher_checkpoint(teacher, path)
    assert not osp.exists(marker)
    assert 'Unsupported global' in str(error.value)
    assert 'weights_only=False' in str(error.value)
    # the file really runs code when fully unpickled
    torch.load(path, weights_only=False)
    assert osp.exists(marker)


def test_garbage_file_is_a_clear_error(teacher, tmp_path):
    path = tmp_path / 'garbage.pth'
    path.write_bytes(b'not a checkpoint')
    with pytest.raises(ValueError, match='garbage.pth') as error:
        load_teacher_checkpoint(teacher, str(path))
    assert 'not a readable torch checkpoint' in str(error.value)


def test_mismatch_lists_keys_and_suggests_converter(teacher, weights,
                                                    tmp_path):
    broken = dict(weights)
    del broken['head.fc.bias']
    broken['fc.extra'] = torch.zeros(1)
    broken['head.fc.weight'] = torch.zeros(7, 16)
    path = str(tmp_path / 'broken.pth')
    torch.save(broken, path)
    with pytest.raises(ValueError) as error:
        load_teacher_checkpoint(teacher, path)
    message = str(error.value)
    assert 'missing keys (1): head.fc.bias' in message
    assert 'unexpected keys (1): fc.extra' in message
    assert 'head.fc.weight (7, 16) != (3, 16)' in message
    assert 'tools/convert_repdistiller.py' in message


def test_long_key_lists_are_shortened(teacher, weights, tmp_path):
    path = str(tmp_path / 'renamed.pth')
    torch.save({f'net.{key}': value for key, value in weights.items()}, path)
    with pytest.raises(ValueError, match=r'\(and \d+ more\)'):
        load_teacher_checkpoint(teacher, path)


def test_non_strict_warns_and_loads_matching(teacher, weights, tmp_path):
    partial = dict(weights)
    del partial['head.fc.bias']
    path = str(tmp_path / 'partial.pth')
    torch.save(partial, path)
    bias_before = teacher.head.fc.bias.clone()
    with pytest.warns(UserWarning, match='head.fc.bias'):
        load_teacher_checkpoint(teacher, path, strict=False)
    assert torch.equal(teacher.head.fc.weight, weights['head.fc.weight'])
    assert torch.equal(teacher.head.fc.bias, bias_before)


def test_nothing_matching_fails_even_non_strict(teacher, tmp_path):
    path = str(tmp_path / 'other.pth')
    torch.save({'fc.weight': torch.zeros(2, 2)}, path)
    with pytest.raises(ValueError, match='unexpected keys'):
        load_teacher_checkpoint(teacher, path, strict=False)


def test_unknown_layout_is_a_clear_error(teacher, tmp_path):
    path = str(tmp_path / 'list.pth')
    torch.save([torch.zeros(1)], path)
    with pytest.raises(ValueError, match='not a state dict'):
        load_teacher_checkpoint(teacher, path)
