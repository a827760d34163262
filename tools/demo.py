"""The demo: distil a Fashion-MNIST student with VRM, end to end, on a CPU.

    python tools/demo.py [--work-dir work_dirs/demo] [--data-root DIR]

1. gets the real Fashion-MNIST data (already prepared; else the Debian
   package `dataset-fashion-mnist`, installed with apt-get when run as root;
   else mmpretrain's download where the internet is reachable);
2. trains the teacher (ResNet20), the student alone (ResNet8) and the VRM
   student (ResNet20 -> ResNet8) through tools/train.py with the configs in
   configs/demo/, skipping any run that an earlier call finished;
3. prints teacher, student-alone and VRM-student top-1 side by side and
   writes a PNG of the accuracy curves.
"""
import argparse
import json
import os.path as osp
import subprocess
import sys
import time

from vrm_mm.analysis.curves import read_curves, whole_epoch_axis

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
RUNS = (
    ('teacher', 'configs/demo/ce_resnet20_3e_fashionmnist.py',
     'Teacher ResNet20'),
    ('student', 'configs/demo/ce_resnet8_3e_fashionmnist.py',
     'Student ResNet8 alone'),
    ('vrm', 'configs/demo/vrm_resnet20_resnet8_3e_fashionmnist.py',
     'Student ResNet8 + VRM'),
)
DONE_FILE = 'demo_result.json'


def log(message: str) -> None:
    print(f'[demo {time.strftime("%H:%M:%S")}] {message}', flush=True)


def last_checkpoint(work_dir: str) -> str:
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def train(name: str, config: str, work_dir: str, data_root: str,
          extra: list) -> dict:
    """Run tools/train.py unless a previous demo call finished this run."""
    done = osp.join(work_dir, DONE_FILE)
    if osp.isfile(done):
        log(f'{name}: reusing the finished run in {work_dir}')
        with open(done) as f:
            return json.load(f)
    log(f'{name}: training with {config} (logs every 50 iterations)')
    data_options = [
        f'{split}_dataloader.dataset.data_root={data_root}'
        for split in ('train', 'val', 'test')
    ]
    command = [
        sys.executable, osp.join(REPO_ROOT, 'tools', 'train.py'),
        osp.join(REPO_ROOT, config), '--work-dir', work_dir, '--resume',
        '--cfg-options', *data_options, *extra
    ]
    started = time.time()
    subprocess.run(command, check=True, cwd=REPO_ROOT)
    curve = read_curves(work_dir)['accuracy/top1']
    result = dict(
        curve=curve,
        top1=curve[-1][1],
        checkpoint=last_checkpoint(work_dir),
        minutes=round((time.time() - started) / 60, 1))
    with open(done, 'w') as f:
        json.dump(result, f)
    return result


def plot(results: dict, labels: dict, path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, result in results.items():
        epochs, top1 = zip(*result['curve'])
        ax.plot(epochs, top1, marker='o', label=labels[name])
    whole_epoch_axis(ax)
    ax.set_ylabel('Fashion-MNIST test top-1 (%)')
    ax.set_title('vrm_mm demo: VRM distillation on a CPU')
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--data-root', default='data/fashion_mnist')
    parser.add_argument('--epochs', type=int,
                        help='override the configs\' 3 epochs (smoke tests)')
    parser.add_argument('--train-images', type=int,
                        help='override the configs\' 10k training images')
    args = parser.parse_args(argv)
    work_root = osp.abspath(args.work_dir)
    data_root = osp.abspath(args.data_root)

    from vrm_mm.datasets.fashion_mnist_files import ensure_fashion_mnist
    try:
        ensure_fashion_mnist(data_root, log=log)
    except FileNotFoundError as error:
        sys.exit(f'vrm_mm demo: {error}')
    overrides = []
    if args.epochs is not None:
        overrides += [f'train_cfg.max_epochs={args.epochs}',
                      f'param_scheduler.T_max={args.epochs}']
    if args.train_images is not None:
        overrides.append(
            f'train_dataloader.dataset.indices={args.train_images}')
    results, labels = {}, {}
    for name, config, label in RUNS:
        extra = list(overrides)
        if name == 'vrm':
            extra.append(
                f'model.teacher_ckpt={results["teacher"]["checkpoint"]}')
        results[name] = train(name, config, osp.join(work_root, name),
                              data_root, extra)
        labels[name] = label

    png = osp.join(work_root, 'accuracy_curves.png')
    plot(results, labels, png)
    print('\nFashion-MNIST test top-1 after the last epoch')
    print(f'{"model":28s} {"top-1":>7s} {"minutes":>8s}')
    for name, _, label in RUNS:
        r = results[name]
        print(f'{label:28s} {r["top1"]:7.2f} {r["minutes"]:8.1f}')
    gain = results['vrm']['top1'] - results['student']['top1']
    print(f'\nVRM vs student alone: {gain:+.2f} points')
    print(f'Accuracy curves: {png}')


if __name__ == '__main__':
    main()
