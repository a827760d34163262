"""Train a model (a distiller or a plain mmpretrain classifier) from a config.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--auto-scale-lr] [--no-validate] [--no-pin-memory]
        [--no-persistent-workers] [--cfg-options k=v ...]
        [--launcher none|pytorch|slurm|mpi]

The options of mmpretrain 1.2's ``tools/train.py``, with the same meaning.

The run guarantees (exact resume, pre-flight, preemption, bad samples) are
added by :func:`vrm_mm.runtime.prepare_train_config`.
"""
import argparse

from vrm_mm.runtime import (
    add_common_args,
    add_dataloader_args,
    clear_errors,
    parse_common,
    prepare_train_config,
    read_config,
    run_train,
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    add_common_args(parser)
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from CKPT; without CKPT, from the latest checkpoint in '
        'the work_dir')
    parser.add_argument(
        '--amp', action='store_true',
        help='mixed-precision training (falls back to fp32 without a GPU)')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the lr by the actual batch size / base_batch_size')
    parser.add_argument(
        '--no-validate', action='store_true',
        help='do not evaluate checkpoints during training')
    add_dataloader_args(parser)
    return parse_common(parser, argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = read_config(args.config, args.cfg_options)
    with clear_errors('applying the command-line options'):
        cfg = prepare_train_config(cfg, args)
    run_train(cfg)


if __name__ == '__main__':
    main()
