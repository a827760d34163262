"""The runtime: the front door of ``tools/train.py`` and ``tools/test.py``.

Everything that makes a run exact, resumable and safe, whatever config a
user writes, is reached from here:

* :mod:`.train_run` / :mod:`.test_run`: what the tools do to a config
  (:func:`prepare_train_config`, :func:`run_train`,
  :func:`prepare_test_config`,
  :func:`run_test`);
* :mod:`.tool_config`, :mod:`.config_check`, :mod:`.cli`: the shared
  options, misspelt keys, one clear line instead of a traceback;
  :mod:`.shared_variables`: a top-level ``num_classes`` / ``data_root``
  set once reaches every consumer;
  :mod:`.test_options`: ``tools/test.py``'s mmpretrain options (``--tta``,
  ``--show-dir``, ``--out-item``);
* :mod:`.resume`: exact ``--resume`` (own work_dir, same experiment, the
  hooks that make it exact); :mod:`.run_guards`: pre-flight, preemption
  checkpoint, bad samples, last/best accuracy; :mod:`.launch`: CPU ranks
  over gloo, slurm; :mod:`.default_hooks`;
* :mod:`.hooks`: the runtime hooks those add (preemption, pre-flight,
  epoch seeds, NaN guard, bad-sample log, own work_dir, experiment
  identity, last/best accuracy; the ``--show-dir`` visualisation).

The pieces registered elsewhere, because a config names them by type:
``vrm_mm/engine/loops.py`` (``MidEpochResumeTrainLoop``, the mid-epoch
resume), ``vrm_mm/datasets/seeded_pipeline.py`` (per-sample seeds: any
``num_workers``, exact resume) and ``vrm_mm/datasets/bad_sample_guard.py``.
"""
from .cli import clear_errors
from .test_run import prepare_test_config, read_checkpoint, run_test
from .tool_config import (
    add_common_args,
    add_dataloader_args,
    parse_common,
    read_config,
)
from .train_run import build_runner, prepare_train_config, run_train

__all__ = [
    'add_common_args', 'add_dataloader_args', 'build_runner',
    'clear_errors', 'parse_common',
    'prepare_test_config', 'prepare_train_config', 'read_checkpoint',
    'read_config', 'run_test', 'run_train'
]
