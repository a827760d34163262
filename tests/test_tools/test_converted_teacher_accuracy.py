"""tools/train.py on a converted teacher reports the original's accuracy.

The "original network" is a public-layout RepDistiller CIFAR ``resnet20``
checkpoint, evaluated here by a functional forward written from the public
architecture (HobbitLong/RepDistiller models/resnet.py), independent of
vrm_mm. Its weights are random, except the classifier, which is solved so
that the network classifies exactly ``NUM_CORRECT`` of the 20 real CIFAR-100
test images of the foolbox wheel correctly: a wrong key mapping or input
normalisation would give another accuracy.
"""

import importlib.util
import os
import os.path as osp
import re
import subprocess
import sys
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), "..", ".."))
# foolbox is located, not imported: its import needs packages absent here.
FOOLBOX_DATA = osp.join(
    list(importlib.util.find_spec("foolbox").submodule_search_locations)[0],
    "data",
)
KD_CONFIG = osp.join(
    REPO_ROOT,
    "configs",
    "baselines",
    "kd",
    "kd_resnet56_resnet20_240e_cifar100.py",
)
RESNET20_CONFIG = osp.join(
    REPO_ROOT, "configs", "_base_", "models", "cifar100", "resnet20.py"
)
# the public repository's transforms.Normalize for CIFAR-100
MEAN = (0.5071, 0.4867, 0.4408)
STD = (0.2675, 0.2565, 0.2761)
NUM_CORRECT = 7
# resnet20: 3 stages of 3 BasicBlocks, 16/32/64 channels, strides 1/2/2
STAGES = ((16, 1), (32, 2), (64, 2))
BLOCKS_PER_STAGE = 3


def _images() -> tuple:
    names = sorted(
        name
        for name in os.listdir(FOOLBOX_DATA)
        if name.startswith("cifar100_") and name.endswith(".png")
    )
    assert len(names) == 20
    pixels = np.stack(
        [
            np.asarray(Image.open(osp.join(FOOLBOX_DATA, name)).convert("RGB"))
            for name in names
        ]
    )
    x = torch.from_numpy(pixels).double().div(255).permute(0, 3, 1, 2)
    x = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(
        1, 3, 1, 1
    )
    labels = torch.tensor([int(name[:-4].split("_")[-1]) for name in names])
    return x, labels


def _random_backbone(generator: torch.Generator) -> OrderedDict:
    """Public-layout resnet20 weights without ``fc``: random, BN included."""
    state = OrderedDict()

    def conv(key, out_ch, in_ch, size):
        std = (2.0 / (in_ch * size * size)) ** 0.5
        state[key] = (
            torch.randn(out_ch, in_ch, size, size, generator=generator) * std
        )

    def bn(prefix, channels):
        def rand(low, high):
            return low + (high - low) * torch.rand(
                channels, generator=generator
            )

        state[prefix + "weight"] = rand(0.5, 1.5)
        state[prefix + "bias"] = rand(-0.2, 0.2)
        state[prefix + "running_mean"] = rand(-0.2, 0.2)
        state[prefix + "running_var"] = rand(0.5, 2.0)
        state[prefix + "num_batches_tracked"] = torch.tensor(100)

    conv("conv1.weight", 16, 3, 3)
    bn("bn1.", 16)
    in_ch = 16
    for stage, (channels, stride) in enumerate(STAGES, 1):
        for block in range(BLOCKS_PER_STAGE):
            prefix = f"layer{stage}.{block}."
            conv(prefix + "conv1.weight", channels, in_ch, 3)
            bn(prefix + "bn1.", channels)
            conv(prefix + "conv2.weight", channels, channels, 3)
            bn(prefix + "bn2.", channels)
            if block == 0 and (stride != 1 or in_ch != channels):
                conv(prefix + "downsample.0.weight", channels, in_ch, 1)
                bn(prefix + "downsample.1.", channels)
            in_ch = channels
    return state


def _public_features(state: dict, x: torch.Tensor) -> torch.Tensor:
    """The public resnet20 up to the pooled 64-d features, in float64."""

    def bn(h, prefix):
        return F.batch_norm(
            h,
            state[prefix + "running_mean"].double(),
            state[prefix + "running_var"].double(),
            state[prefix + "weight"].double(),
            state[prefix + "bias"].double(),
            training=False,
            eps=1e-5,
        )

    def conv(h, key, stride=1):
        weight = state[key].double()
        return F.conv2d(
            h, weight, stride=stride, padding=weight.shape[-1] // 2
        )

    h = F.relu(bn(conv(x, "conv1.weight"), "bn1."))
    for stage, (_, stride) in enumerate(STAGES, 1):
        for block in range(BLOCKS_PER_STAGE):
            prefix = f"layer{stage}.{block}."
            step = stride if block == 0 else 1
            out = F.relu(
                bn(conv(h, prefix + "conv1.weight", step), prefix + "bn1.")
            )
            out = bn(conv(out, prefix + "conv2.weight"), prefix + "bn2.")
            if prefix + "downsample.0.weight" in state:
                h = bn(
                    conv(h, prefix + "downsample.0.weight", step),
                    prefix + "downsample.1.",
                )
            h = F.relu(out + h)
    return F.avg_pool2d(h, 8).flatten(1)


def _solved_classifier(features: torch.Tensor, targets: torch.Tensor) -> tuple:
    """fc weight and bias whose logits are 10 at ``targets``, 0 elsewhere."""
    wanted = F.one_hot(targets, 100).double() * 10
    design = torch.cat([features, torch.ones(len(features), 1)], dim=1)
    solution = torch.linalg.lstsq(design, wanted, driver="gelsd").solution
    return solution[:-1].T.float().contiguous(), solution[-1].float()


def _original_network(tmp_path) -> tuple:
    """Write the public checkpoint; return its path and its top-1 (%)."""
    x, labels = _images()
    state = _random_backbone(torch.Generator().manual_seed(0))
    # the first NUM_CORRECT images get their label, the rest a wrong one
    targets = labels.clone()
    targets[NUM_CORRECT:] = (labels[NUM_CORRECT:] + 1) % 100
    weight, bias = _solved_classifier(_public_features(state, x), targets)
    state["fc.weight"], state["fc.bias"] = weight, bias

    with torch.no_grad():
        float_state = {key: value.float() for key, value in state.items()}
        logits = F.linear(
            _public_features(float_state, x).float(), weight, bias
        )
    predictions = logits.argmax(dim=1)
    assert torch.equal(predictions, targets)
    top1 = 100.0 * (predictions == labels).double().mean().item()
    path = tmp_path / "public_resnet20.pth"
    torch.save({"model": state, "epoch": 240, "best_acc": top1}, path)
    return path, top1


def _config(tmp_path, teacher_ckpt) -> str:
    dataset = dict(
        type="FilenameLabelledImages",
        data_root=FOOLBOX_DATA,
        prefix="cifar100_",
        pipeline=[dict(type="PackInputs")],
    )
    loader = dict(batch_size=4, num_workers=0, persistent_workers=False)
    text = f"""
_base_ = [{KD_CONFIG!r}]
model = dict(
    teacher=dict(cfg_path={RESNET20_CONFIG!r}),
    teacher_ckpt={str(teacher_ckpt)!r})
train_dataloader = dict(
    **{loader!r}, dataset=dict(_delete_=True, indices=4, **{dataset!r}))
val_dataloader = dict(
    **{loader!r}, dataset=dict(_delete_=True, **{dataset!r}))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1)
"""
    path = tmp_path / "kd_converted_resnet20.py"
    path.write_text(text)
    return str(path)


def _run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    result = subprocess.run(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return result


@pytest.mark.slow
def test_train_logs_the_original_teacher_top1(tmp_path):
    public, top1 = _original_network(tmp_path)
    assert top1 == 100.0 * NUM_CORRECT / 20

    converted = tmp_path / "resnet20_converted.pth"
    _run(
        "tools/convert_repdistiller.py",
        str(public),
        str(converted),
        "--model",
        "resnet20",
    )
    result = _run(
        "tools/train.py",
        _config(tmp_path, converted),
        "--work-dir",
        str(tmp_path / "work"),
    )

    logged = re.findall(
        r"teacher/accuracy/top1: ([0-9.]+)", result.stdout + result.stderr
    )
    assert len(logged) == 1, (result.stdout + result.stderr)[-3000:]
    assert float(logged[0]) == top1
