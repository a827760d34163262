"""Evaluate a checkpoint on the config's test set.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR]
        [--out FILE [--out-item pred|metrics]] [--tta] [--amp]
        [--show-dir DIR] [--show] [--interval N] [--wait-time S]
        [--no-pin-memory] [--cfg-options k=v ...]
        [--launcher none|pytorch|slurm|mpi]

The options of mmpretrain 1.2's ``tools/test.py``, with the same meaning
(details in :mod:`vrm_mm.runtime.test_options`). Prints the metrics as one
JSON line at the end (e.g. accuracy/top1); ``--out`` also dumps the
per-sample predictions (a pickle, mmengine's ``DumpResults``) or, with
``--out-item metrics``, the metrics (json, yaml or pickle). A distiller
config tests its student (``--tta`` included).

The checkpoint must fit the config's model exactly (no missing, unexpected
or reshaped weights), else the run stops with one line naming the pairing
that fits, and no metric is printed; the test set is checked first
(``PreflightHook``). See :mod:`vrm_mm.runtime.test_run`.
"""
import argparse

from vrm_mm.runtime import (
    add_common_args,
    add_dataloader_args,
    clear_errors,
    parse_common,
    prepare_test_config,
    read_checkpoint,
    read_config,
    run_test,
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out', help='dump the per-sample predictions (a .pkl file) or, '
        'with --out-item metrics, the metrics (.json, .yaml or .pkl) here')
    parser.add_argument(
        '--out-item', choices=['metrics', 'pred'],
        help='what --out holds: the predictions (default) or the metrics')
    parser.add_argument(
        '--amp', action='store_true',
        help='mixed-precision test (test_cfg.fp16; float32 without a GPU)')
    parser.add_argument(
        '--tta', action='store_true',
        help="test-time augmentation: the config's tta_model and "
        'tta_pipeline, else the average class score of each image and '
        'its horizontal flip')
    parser.add_argument(
        '--show-dir',
        help='draw the test images with their predictions into this dir')
    parser.add_argument(
        '--show', action='store_true',
        help='show the test images with their predictions in a window')
    parser.add_argument(
        '--interval', type=int, default=1,
        help='with --show-dir/--show: draw every N-th test sample')
    parser.add_argument(
        '--wait-time', type=float, default=2,
        help='with --show: seconds each window is shown')
    add_dataloader_args(parser, persistent_workers=False)
    add_common_args(parser)
    return parse_common(parser, argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = read_config(args.config, args.cfg_options)
    state_dict = read_checkpoint(args.checkpoint)
    with clear_errors('applying the command-line options'):
        cfg = prepare_test_config(cfg, args)
    metrics_out = args.out if args.out_item == 'metrics' else None
    run_test(cfg, state_dict, args.checkpoint, args.config, metrics_out)


if __name__ == '__main__':
    main()
