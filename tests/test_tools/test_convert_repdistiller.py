"""tools/convert_repdistiller.py on checkpoints in the public key layout.

The public checkpoints are produced from our model (random weights and BN
statistics) by the inverse key mapping, written here independently of
vrm_mm, and spot-checked against key names read in the public code
(HobbitLong/RepDistiller models/*.py, megvii-research/mdistiller).
"""

import importlib.util
import os.path as osp
import re
import subprocess
import sys
from collections import OrderedDict

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from vrm_mm.converters.repdistiller import (
    convert_repdistiller_state_dict,
    load_repdistiller_checkpoint,
)
from vrm_mm.registry import MODELS

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TOOL = osp.join(REPO_ROOT, 'tools', 'convert_repdistiller.py')
_SPEC = importlib.util.spec_from_file_location(
    'convert_repdistiller_tool', TOOL
)
tool = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(tool)

# ours -> public: (pattern, replacement) applied in order to our keys.
WRN_TO_PUBLIC = [
    (r'^backbone\.layer(\d)\.', r'backbone.block\1.layer.'),
    (r'\.shortcut\.', '.convShortcut.'),
    (r'^backbone\.final_bn\.', 'backbone.bn1.'),
]
RESNET_V2_TO_PUBLIC = [(r'\.downsample\.', '.shortcut.')]
# name -> (renames, public classifier prefix, public keys that must exist)
PUBLIC_LAYOUT = {
    'resnet20': (
        [],
        'fc.',
        [
            'conv1.weight',
            'bn1.running_mean',
            'layer1.0.conv1.weight',
            'layer2.0.downsample.0.weight',
            'layer3.2.bn2.num_batches_tracked',
        ],
    ),
    'resnet8x4': ([], 'fc.', ['layer1.0.downsample.1.running_var']),
    'wrn_40_2': (
        WRN_TO_PUBLIC,
        'fc.',
        [
            'conv1.weight',
            'block1.layer.0.convShortcut.weight',
            'block1.layer.1.bn1.weight',
            'block3.layer.5.conv2.weight',
            'bn1.running_var',
        ],
    ),
    'vgg8': (
        [],
        'classifier.',
        [
            'block0.0.weight',
            'block0.0.bias',
            'block0.1.running_mean',
            'block4.1.weight',
        ],
    ),
    'MobileNetV2': (
        [],
        'classifier.0.',
        [
            'conv1.0.weight',
            'blocks.0.0.conv.0.weight',
            'blocks.6.0.conv.7.running_var',
            'conv2.1.weight',
        ],
    ),
    'ShuffleV1': (
        [],
        'linear.',
        ['layer1.0.conv1.weight', 'layer3.3.bn3.bias'],
    ),
    'ShuffleV2': (
        [],
        'linear.',
        [
            'layer1.0.conv5.weight',
            'layer3.3.bn3.weight',
            'conv2.weight',
            'bn2.running_mean',
        ],
    ),
    'ResNet18': (
        RESNET_V2_TO_PUBLIC,
        'linear.',
        ['layer2.0.shortcut.0.weight', 'layer4.1.bn2.weight'],
    ),
}


def _build(name: str) -> torch.nn.Module:
    init_default_scope('vrm_mm')
    config = osp.join(
        REPO_ROOT,
        'configs',
        '_base_',
        'models',
        'cifar100',
        f'{name.lower()}.py',
    )
    model = MODELS.build(Config.fromfile(config).model)
    model.eval()
    return model


def _randomised(name: str) -> torch.nn.Module:
    model = _build(name)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for key, tensor in model.state_dict().items():
            if key.endswith('running_var'):
                tensor.uniform_(0.5, 2.0, generator=generator)
            elif key.endswith('num_batches_tracked'):
                tensor.fill_(123)
            else:
                tensor.normal_(0, 0.2, generator=generator)
    return model


def _public_state_dict(model: torch.nn.Module, name: str) -> OrderedDict:
    renames, classifier, _ = PUBLIC_LAYOUT[name]
    public = OrderedDict()
    for key, value in model.state_dict().items():
        if key.startswith('head.fc.'):
            public[classifier + key[len('head.fc.') :]] = value.clone()
            continue
        for pattern, replacement in renames:
            key = re.sub(pattern, replacement, key)
        public[key[len('backbone.') :]] = value.clone()
    return public


def _run_tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, TOOL, *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )


def _check_round_trip(name: str, tmp_path, run_in_subprocess: bool):
    original = _randomised(name)
    public = _public_state_dict(original, name)
    assert set(PUBLIC_LAYOUT[name][2]) <= set(public)
    src, dst = tmp_path / 'public.pth', tmp_path / 'out' / 'converted.pth'
    torch.save(
        {'model': public, 'epoch': 240, 'best_acc': torch.tensor(1.0)}, src
    )

    args = [str(src), str(dst), '--model', name]
    if run_in_subprocess:
        result = _run_tool(*args)
        assert result.returncode == 0, result.stderr
    else:
        tool.main(args)

    converted = torch.load(dst, weights_only=True)
    assert converted['meta']['repdistiller_model'] == name
    model = _build(name)
    model.load_state_dict(converted['state_dict'], strict=True)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(
            model(x, mode='tensor'), original(x, mode='tensor')
        )


@pytest.mark.slow
def test_command_line_round_trip_gives_identical_logits(tmp_path):
    _check_round_trip('wrn_40_2', tmp_path, run_in_subprocess=True)


# In-process main() for the other networks: a fresh interpreter per network
# costs several seconds on a shared CPU.
@pytest.mark.parametrize('name', sorted(set(PUBLIC_LAYOUT) - {'wrn_40_2'}))
def test_round_trip_gives_identical_logits(name, tmp_path):
    _check_round_trip(name, tmp_path, run_in_subprocess=False)


def test_mmengine_load_checkpoint_reads_the_result_strictly(tmp_path):
    public = _public_state_dict(_randomised('resnet20'), 'resnet20')
    torch.save(public, tmp_path / 'plain.pth')  # plain state-dict layout
    tool.main(
        [
            str(tmp_path / 'plain.pth'),
            str(tmp_path / 'out.pth'),
            '--model',
            'resnet20',
        ]
    )
    model = _build('resnet20')
    load_checkpoint(model, str(tmp_path / 'out.pth'), strict=True)
    torch.testing.assert_close(
        model.state_dict()['head.fc.weight'], public['fc.weight']
    )


@pytest.mark.slow
def test_cli_unknown_model_lists_valid_names(tmp_path):
    result = _run_tool('a.pth', str(tmp_path / 'b.pth'), '--model', 'resnet9')
    assert result.returncode == 1
    assert "unknown --model 'resnet9'" in result.stderr
    assert 'resnet20' in result.stderr and 'ShuffleV2' in result.stderr


@pytest.mark.slow
def test_cli_help():
    result = _run_tool('--help')
    assert result.returncode == 0
    assert '--model' in result.stdout and 'wrn_40_2' in result.stdout


def _resnet20_public() -> OrderedDict:
    return _public_state_dict(_build('resnet20'), 'resnet20')


def test_unmapped_keys_are_listed():
    public = _resnet20_public()
    public['layer4.0.conv1.weight'] = torch.zeros(1)
    with pytest.raises(ValueError, match=r'1 key\(s\).*layer4\.0\.conv1'):
        convert_repdistiller_state_dict(
            public, 'resnet20', _build('resnet20').state_dict()
        )


def test_missing_keys_are_listed():
    public = _resnet20_public()
    del public['layer1.0.bn1.weight']
    with pytest.raises(ValueError, match='lacks 1 key.*layer1.0.bn1.weight'):
        convert_repdistiller_state_dict(
            public, 'resnet20', _build('resnet20').state_dict()
        )


def test_wrong_number_of_classes_is_a_shape_error():
    public = _resnet20_public()
    public['fc.weight'] = torch.zeros(10, 64)  # a CIFAR-10 checkpoint
    with pytest.raises(
        ValueError, match=r'head\.fc\.weight \(10, 64\) != \(100, 64\)'
    ):
        convert_repdistiller_state_dict(
            public, 'resnet20', _build('resnet20').state_dict()
        )


def test_missing_bn_counters_are_filled_with_zeros():
    public = _resnet20_public()
    public = OrderedDict(
        (key, value)
        for key, value in public.items()
        if not key.endswith('num_batches_tracked')
    )
    reference = _build('resnet20').state_dict()
    converted = convert_repdistiller_state_dict(public, 'resnet20', reference)
    assert list(converted) == list(reference)
    assert converted['backbone.bn1.num_batches_tracked'].item() == 0


def test_data_parallel_prefix_is_dropped():
    public = OrderedDict(
        ('module.' + key, value) for key, value in _resnet20_public().items()
    )
    reference = _build('resnet20').state_dict()
    assert list(
        convert_repdistiller_state_dict(public, 'resnet20', reference)
    ) == list(reference)


def test_pickled_objects_are_refused(tmp_path):
    path = tmp_path / 'unsafe.pth'
    torch.save({'model': {'w': torch.zeros(1)}, 'cfg': Config({})}, path)
    with pytest.raises(ValueError, match='not a weights-only'):
        load_repdistiller_checkpoint(str(path))


@pytest.mark.parametrize(
    'content, message',
    [
        ([torch.zeros(1)], 'holds a list'),
        ({'optimizer': {'lr': 0.1}}, 'top-level keys are optimizer'),
        ({'model': {}}, 'neither'),
    ],
)
def test_other_layouts_are_refused(tmp_path, content, message):
    path = tmp_path / 'ckpt.pth'
    torch.save(content, path)
    with pytest.raises(ValueError, match=message):
        load_repdistiller_checkpoint(str(path))
