"""2 gloo ranks x batch 2 train a distiller like 1 process x batch 4.

Equal within float tolerance, not bit for bit: the kernels round batches
of 2 and of 4 differently, DDP averages the two ranks' gradients (a sum in
another order than the single process's batch mean), and VRM's gathered
graph holds the samples in rank order (batch positions 0, 2, 1, 3). See
data/tiny_distiller_ddp.py for what makes the two runs comparable at all.

VRM is compared after one step: its edges are unit vectors of logit
differences, which amplify rounding, and the tiny student's trajectory
is chaotic under it (here, relative differences of 1e-6 after one step
reach 1e-4 after 8 steps at lr 0.001 and 0.3 at lr 0.05). One step shows
that the update over 2 ranks is the single process's; over a run the two
trajectories stay statistically alike, not numerically. The KD run is
compared after 8 steps.
"""
import os.path as osp
import re

import pytest
from distill_helpers import save_teacher, tiny_classifier
from reliability_helpers import (
    REPO_ROOT,
    data_options,
    free_port,
    prepare_data,
    run_tool,
    train_in_process,
    weights,
)

pytestmark = pytest.mark.slow

CONFIG = osp.join(REPO_ROOT, 'tests', 'test_reliability', 'data',
                  'tiny_distiller_ddp.py')
VRM = 'model.distill_losses.loss_vrm'
WITH_VRM = (
    f'{VRM}.type=VRMLoss', f'{VRM}.gather=all',
    f'{VRM}.inputs.s_real=student.logits',
    f'{VRM}.inputs.s_virtual=student.logits_virtual',
    f'{VRM}.inputs.t_real=teacher.logits',
    f'{VRM}.inputs.t_virtual=teacher.logits_virtual',
    # one epoch of one step: 4 samples in both runs (a warm-up of 1 epoch:
    # the pre-flight refuses one longer than the schedule)
    'train_cfg.max_epochs=1', 'train_dataloader.num_batch_per_epoch=1',
    'custom_hooks.0.warmup=1')


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    data = prepare_data(str(tmp_path_factory.mktemp('ddp_data')))
    save_teacher(data['teacher'], tiny_classifier(num_classes=5,
                                                  in_channels=1))
    return data


def one_and_two_ranks(tmp_path, data, *options: str):
    """Final weights of 1 process x batch 4 and of 2 ranks x batch 2, the
    single process's after its first step, and the 2 ranks' log."""
    single = str(tmp_path / 'single')
    train_in_process(CONFIG, single, *data_options(data), *options,
                     'train_dataloader.batch_size=4',
                     'default_hooks.checkpoint.by_epoch=False')
    ranks = str(tmp_path / 'ranks')
    result = run_tool([
        'bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', ranks,
        '--cfg-options', *data_options(data), *options,
        'train_dataloader.batch_size=2',
        'default_hooks.checkpoint.by_epoch=False'
    ], PORT=str(free_port()))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert 'Distributed training: True' in log
    with open(osp.join(single, 'last_checkpoint')) as f:
        last = osp.basename(f.read().strip())
    return (weights(osp.join(single, last)),
            weights(osp.join(ranks, last)),
            weights(osp.join(single, 'iter_1.pth')), log)


def assert_close_weights(expected, actual) -> None:
    """Equal up to float32 summation order: 2 ranks add their gradients
    in another order than one process, and 8 steps carry the rounding on
    (largest difference seen: 4e-6, VRM on an Intel Xeon; an AMD EPYC
    stayed within rtol 1e-5 / atol 1e-6); a sharding bug moves weights by
    ~1e-2."""
    assert sorted(expected) == sorted(actual)
    for key, value in expected.items():
        diff = (actual[key] - value).abs().max().item()
        assert diff <= 1e-5, f'{key}: largest difference {diff:.3g}'


def test_kd_run_of_two_ranks_equals_one_process(tmp_path, data):
    expected, actual, after_1, _ = one_and_two_ranks(tmp_path, data)
    assert_close_weights(expected, actual)
    # not vacuous: 8 steps moved the weights well beyond the tolerance
    assert max((expected[key] - after_1[key]).abs().max()
               for key in expected) > 1e-3


def test_vrm_step_over_two_ranks_equals_one_process(tmp_path, data):
    expected, actual, _, log = one_and_two_ranks(tmp_path, data,
                                                 *WITH_VRM)
    assert_close_weights(expected, actual)
    # not vacuous: VRM took part, with graphs over both ranks' samples
    # (4 x 4 cross edges, 2 pruned; a rank's own 2 samples give 2 x 2)
    assert float(re.search(r'loss_vrm_is: (\S+)', log).group(1)) > 0.1
    assert 'vrm_edges_kept: 14.0000' in log
