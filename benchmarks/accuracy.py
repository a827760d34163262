"""Distillation quality on real data: Fashion-MNIST, every method, seeds.

    python benchmarks/accuracy.py [--methods ce kd vrm ...] [--seeds 0 1 2]
                                  [--ablations] [--quick] [--epochs N]
                                  [--variant bs32|mag2|ops3|cutout|...]

Protocol (docs/benchmarks.md section 1): teacher ResNet20 trained once on 55k
training images; every student is a ResNet8 trained on a 5k training subset
with the same schedule, optimizer, augmentation and seed list; the "best"
epoch is picked on a validation slice of the training split and reported,
with the last epoch, on the official test split. Runs are resumable parts:
a finished (method, seed) is never re-run; each finished run is saved as
its own file, benchmarks/results/runs/accuracy[_quick|_NAME]/
<run>_<config digest>.json (benchmarks/run_store.py), and the summary
(JSON, Markdown, PNG) is made from all of them by ``summarise`` and
rewritten after every run, so parts that run in parallel (each with its
own methods or seeds) keep every run. Every student run records
its validation-slice and train-subset accuracy per epoch (``val_curve``,
``train_curve``: TrainSubsetAccuracyHook, 1000 un-augmented training
images); ``--variant`` runs (benchmarks/accuracy_variants.py) are kept as
``<method>@<variant>_seed<s>`` for the analyses, outside the main table.
Every method is built from its config (benchmarks/accuracy_methods.py);
each run records a digest of its whole config (``config_digest``), and a
finished run of another config (e.g. made before a method's config
changed) is never reused: the script stops and says so.
"""
import argparse
import glob
import hashlib
import json
import os
import os.path as osp
import subprocess
import sys
import time

import numpy as np
import run_store
from accuracy_methods import ABLATIONS, MAIN_TABLE, METHODS, STUDENT_CONFIG
from accuracy_variants import VARIANTS
from bench_meta import machine_metadata

HERE = osp.dirname(osp.abspath(__file__))
REPO_ROOT = osp.dirname(HERE)
RESULTS = osp.join(HERE, 'results')
TEACHER_CONFIG = osp.join(HERE, 'configs', 'fmnist_teacher_resnet20.py')
# train accuracy per epoch of every student run, on a fixed 1000-image subset
TRAIN_SUBSET_HOOK = dict(type='TrainSubsetAccuracyHook', num_samples=1000)
# beside config.py in a run's folder: the digest of the config it ran
DIGEST_FILE = 'config_digest'
# seconds between two looks at the running subprocesses
POLL_S = 2.0


def config_digest(cfg) -> str:
    """A digest of a run's whole config but its ``work_dir``: two runs of
    a (method, seed) are the same run only when their digests agree."""
    plain = {key: value for key, value in cfg.to_dict().items()
             if key != 'work_dir'}
    text = json.dumps(plain, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _read_digest(work_dir: str):
    path = osp.join(work_dir, DIGEST_FILE)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return f.read().strip()


def stale_runs(runs: dict, wanted: dict) -> list:
    """The keys of ``wanted`` (``{key: cfg}``) that ``runs`` holds with
    another config's digest, or with none (runs recorded before digests)."""
    return sorted(key for key, cfg in wanted.items()
                  if key in runs and runs[key].get('config_digest') !=
                  config_digest(cfg))


def stale_message(keys: list, where: str, work_root: str) -> str:
    return (f'[accuracy] {", ".join(keys)}: {where} holds a finished run '
            'of another config of the method (or one recorded before runs '
            'kept their config digest); a table must not mix it with runs '
            'of the current configs. Start a fresh set with --set NAME (it '
            'trains its own teacher), or delete those runs\' files from '
            'benchmarks/results/runs/ and their folders under '
            f'{work_root} to train them here.')


def run_one(config_path: str, out_path: str) -> None:
    """Train one config, then test its last and best-on-val checkpoints."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    import vrm_mm  # noqa: F401
    cfg = Config.fromfile(config_path)
    started = time.time()
    runner = Runner.from_cfg(cfg)
    runner.train()
    result = dict(train_seconds=round(time.time() - started, 1))
    result['last_test'] = runner.test()['accuracy/top1']
    best = glob.glob(osp.join(cfg.work_dir, 'best_accuracy_top1_epoch_*'))
    result['best_epoch'] = int(best[0].rsplit('_', 1)[1].split('.')[0])
    if result['best_epoch'] == cfg.train_cfg.max_epochs:
        result['best_test'] = result['last_test']  # the same weights
    else:
        runner.load_checkpoint(best[0])
        result['best_test'] = runner.test()['accuracy/top1']
    result['val_curve'] = scalar_curve(cfg.work_dir, 'accuracy/top1')
    train_curve = scalar_curve(cfg.work_dir, 'train_subset/top1')
    if train_curve:
        result['train_curve'] = train_curve
    with open(out_path, 'w') as f:
        json.dump(result, f)


def scalar_curve(work_dir: str, key: str) -> list:
    """Per epoch, the value of ``key`` the run wrote to its scalars."""
    points = {}
    for path in glob.glob(osp.join(work_dir, '*', 'vis_data',
                                   'scalars.json')):
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                if key in record and 'lr' not in record:
                    points[int(record['step'])] = record[key]
    return [points[k] for k in sorted(points)]


def run_command(config_path: str, result_path: str) -> list:
    """The command that trains one run in a subprocess: this script's
    ``--run-one``."""
    return [sys.executable, __file__, '--run-one', config_path, result_path]


def run_method(name: str) -> str:
    """The method of a run name ``<method>[@<variant>]_seed<s>``."""
    return name.rsplit('_seed', 1)[0].split('@')[0]


class Run:
    """One (method, seed) training in a subprocess, logging to run.log.

    Nothing is started when an earlier call already finished it with the
    same config (digest); one of another config stops the script.
    ``threads`` sets OMP_NUM_THREADS (for runs sharing the cores);
    ``trust_undigested`` accepts a finished run that kept no digest (the
    teacher of a set started before runs kept theirs).
    """

    def __init__(self, cfg, name: str, work_root: str, threads=None,
                 trust_undigested: bool = False):
        self.name = name
        self.digest = config_digest(cfg)
        work_dir = osp.join(work_root, name)
        self.result_path = osp.join(work_dir, 'result.json')
        self.log_path = osp.join(work_dir, 'run.log')
        self.process = None
        if osp.isfile(self.result_path):
            stored = _read_digest(work_dir)
            if stored != self.digest and not (
                    stored is None and trust_undigested):
                sys.exit(stale_message([name], work_dir, work_root))
            return
        os.makedirs(work_dir, exist_ok=True)
        cfg.work_dir = work_dir
        config_path = osp.join(work_dir, 'config.py')
        cfg.dump(config_path)
        with open(osp.join(work_dir, DIGEST_FILE), 'w') as f:
            f.write(self.digest + '\n')
        print(f'[accuracy] training {name} ...', flush=True)
        env = dict(os.environ)
        if threads:
            env['OMP_NUM_THREADS'] = str(threads)
        self.log = open(self.log_path, 'w')
        self.process = subprocess.Popen(
            run_command(config_path, self.result_path), cwd=REPO_ROOT,
            stdout=self.log, stderr=self.log, env=env)

    def done(self) -> bool:
        return self.process is None or self.process.poll() is not None

    def result(self):
        """The run's result dict (with its ``config_digest``), or the
        failure message (a str)."""
        if self.process is not None:
            code = self.process.wait()
            self.log.close()
            if code != 0:
                with open(self.log_path) as f:
                    tail = ''.join(f.readlines()[-15:])
                return (f'{tail}\n[accuracy] {self.name} failed (exit '
                        f'{code}); the lines above end its log, '
                        f'{self.log_path}. Finished runs are kept: fix the '
                        'cause and run the same command again.')
        with open(self.result_path) as f:
            return dict(json.load(f), config_digest=self.digest)


def train_in_subprocess(cfg, name: str, work_root: str,
                        trust_undigested: bool = False) -> dict:
    """Train one run to the end; exit with its log's tail if it fails."""
    result = Run(cfg, name, work_root,
                 trust_undigested=trust_undigested).result()
    if isinstance(result, str):
        sys.exit(result)
    return result


def train_students(todo: list, work_root: str, jobs: int, record) -> None:
    """Train ``todo`` ((name, cfg) pairs) under ``work_root``, ``jobs`` at a
    time, sharing the cores equally; ``record(name, result)`` as each
    finishes. After a failure no new run starts; the running ones finish,
    then it exits."""
    threads = max(1, (os.cpu_count() or 1) // jobs) if jobs > 1 else None
    running, failures = [], []
    while running or (todo and not failures):
        while todo and not failures and len(running) < jobs:
            name, cfg = todo.pop(0)
            running.append(Run(cfg, name, work_root, threads))
        finished = [run for run in running if run.done()]
        if not finished:
            time.sleep(POLL_S)
        for run in finished:
            running.remove(run)
            result = run.result()
            if isinstance(result, str):
                failures.append(result)
            else:
                record(run.name, result)
    if failures:
        sys.exit('\n\n'.join(failures))


def ensure_data(data_root: str) -> None:
    """Get Fashion-MNIST into ``data_root`` (relative to the repository, as
    in the configs), or exit saying how."""
    from vrm_mm.datasets.fashion_mnist_files import ensure_fashion_mnist
    try:
        ensure_fashion_mnist(osp.join(REPO_ROOT, data_root),
                             log=lambda line: print(f'[accuracy] {line}'))
    except FileNotFoundError as error:
        sys.exit(f'[accuracy] {error}')


def protocol_config(path: str, epochs: int, seed: int, args):
    from mmengine.config import Config
    cfg = Config.fromfile(path)
    cfg.train_cfg.max_epochs = epochs
    cfg.param_scheduler.T_max = epochs
    cfg.randomness = dict(seed=seed, deterministic=False)
    if args.device == 'cpu':
        cfg.env_cfg.cudnn_benchmark = False
    return cfg


def _mean_std(values: list) -> dict:
    """Mean and sample standard deviation (ddof=1; None for one value,
    where it is undefined)."""
    std = float(np.std(values, ddof=1)) if len(values) > 1 else None
    return dict(mean=float(np.mean(values)), std=std)


def _format(stats: dict, sign: str = '') -> str:
    """``mean ± std``, or the mean alone when std is undefined."""
    text = f"{stats['mean']:{sign}.2f}"
    return text if stats['std'] is None else f"{text} ± {stats['std']:.2f}"


def set_protocol(runs: dict) -> dict:
    """The protocol a set's table states: that of its newest run (every
    run records the command, machine and epochs of the call that made it).
    """
    found = run_store.newest(
        {name: run for name, run in runs.items() if 'protocol' in run},
        lambda run: run['protocol']['machine']['date'])
    if found is None:
        raise ValueError('none of the runs records its protocol (the '
                         'command, machine and epochs of its call): no '
                         'table can state one.')
    return found[1]['protocol']


def summarise(runs: dict, tag: str = '') -> dict:
    """The set's table from its runs, pure (no file is read or written):
    ``{protocol, methods, markdown}``, where ``methods`` is ``{method:
    {mean, std (last epoch), seeds, values, last_test, best_test,
    teachers, train_minutes}}`` over the finished seeds of each method,
    and ``protocol`` that of the newest run (``set_protocol``)."""
    protocol = set_protocol(runs)
    summary = {}
    for method in METHODS:
        seeds = sorted(int(k.split('seed')[1]) for k in runs
                       if k.rsplit('_seed', 1)[0] == method)
        if not seeds:
            continue
        entry = {}
        for which in ('last_test', 'best_test'):
            values = [runs[f'{method}_seed{s}'][which] for s in seeds]
            entry[which] = dict(**_mean_std(values), values=values)
        entry = dict(**_mean_std(entry['last_test']['values']), seeds=seeds,
                     values=entry['last_test']['values'], **entry)
        entry['teachers'] = [runs[f'{method}_seed{s}'].get('teacher_test')
                             for s in seeds]
        entry['train_minutes'] = float(np.mean(
            [runs[f'{method}_seed{s}']['train_seconds'] for s in seeds]) / 60)
        summary[method] = entry
    return dict(protocol=protocol, methods=summary,
                markdown=markdown(summary, protocol, tag))


def paired_difference(entry: dict, reference: dict) -> str:
    """``entry - reference`` in last-epoch top-1, paired seed by seed over
    the seeds both have with the same teacher (runs record the teacher's
    test top-1 as ``teacher_test``): mean ± std of the differences."""
    def by_seed(item):
        teachers = item.get('teachers') or [None] * len(item['seeds'])
        return {s: (v, t) for s, v, t in zip(item['seeds'], item['values'],
                                              teachers)}

    ref = by_seed(reference)
    diffs = [v - ref[s][0] for s, (v, t) in by_seed(entry).items()
             if s in ref and ref[s][1] == t]
    if not diffs:
        return 'n/a'
    return f'{_format(_mean_std(diffs), "+")} (n={len(diffs)})'


def _row(method: str, entry: dict, reference: dict) -> str:
    last, best = entry['last_test'], entry['best_test']
    return (f"| {method} | {_format(last)} | {_format(best)} | "
            f"{len(entry['seeds'])}"
            f" | {entry['train_minutes']:.1f} | "
            f"{paired_difference(entry, reference) if reference else ''} |")


PARTS_NOTE = (
    'These runs were produced in parts (`python benchmarks/accuracy.py '
    '--methods M --seeds S`, two parts at a time with OMP_NUM_THREADS=1, '
    'hence the inflated min/run) and gathered with `--collect`. One process '
    'reproduces them, two runs at a time as here: `python '
    'benchmarks/accuracy.py --jobs 2` (main table, seeds 0-2), `python '
    'benchmarks/accuracy.py --ablations --jobs 2`, and `python '
    'benchmarks/accuracy.py --methods vrm dkd kd_two_views --seeds 3 4 '
    '--jobs 2`.')


def _epochs(count: int) -> str:
    return f'{count} epoch' + ('s' if count != 1 else '')


def markdown(summary: dict, protocol: dict, tag: str) -> str:
    """The Markdown table of ``summarise``."""
    meta = protocol['machine']
    lines = [
        f'# Distillation accuracy on Fashion-MNIST{tag.replace("_", " ")}',
        '', f"`{protocol['command']}` on {meta['device']} ({meta['cpu']}, "
        f"{meta['nproc']} cores), torch {meta['torch']}, commit "
        f"{meta['commit']}, {meta['date']}.", '',
        f"Teacher ResNet20: test top-1 {protocol['teacher_test']:.2f} "
        f"({_epochs(protocol['teacher_epochs'])} on 55k images). Students: "
        f"ResNet8, {_epochs(protocol['student_epochs'])} on a 5k subset, "
        "batch 64, SGD 0.05 cosine (times the ratio of each method's "
        "config lr to the shared CIFAR-100 recipe's), every method built "
        'from its config (benchmarks/accuracy_methods.py). '
        'Test top-1 (%), mean ± sample std over '
        'seeds; "best" = the epoch with the best validation-slice accuracy; '
        '"vs vrm" = last-epoch difference to VRM, paired seed by seed '
        '(mean ± std of the differences). min/run is wall time, inflated '
        'where parts ran in parallel.', '',
        '| method | last epoch | best epoch (by val) | seeds | min/run | '
        'vs vrm |', '|---|---|---|---|---|---|']
    reference = summary.get('vrm')
    lines += [_row(m, summary[m], reference if m != 'vrm' else None)
              for m in MAIN_TABLE if m in summary]
    if any(m in summary for m in ABLATIONS) and reference:
        lines += ['', '## VRM ablations (one option changed each)', '',
                  '| variant | last epoch | best epoch (by val) | seeds | '
                  'min/run | vs vrm |', '|---|---|---|---|---|---|',
                  _row('vrm', reference, None)]
        lines += [_row(m, summary[m], reference)
                  for m in ABLATIONS if m in summary]
    teachers = {}
    for method, entry in summary.items():
        for teacher in entry['teachers']:
            teachers.setdefault(teacher, []).append(method)
    if len(teachers) > 1:
        lines += ['', 'The runs were distilled from more than one training '
                  'of the teacher (its test top-1: the methods using it); '
                  '"vs vrm" pairs only runs with the same teacher:']
        lines += [f"* {'unrecorded' if t is None else f'{t:.2f}'}: "
                  f"{', '.join(sorted(set(m)))}" for t, m in teachers.items()]
    if '--collect' in protocol['command'] and not tag:
        lines += ['', PARTS_NOTE]
    return '\n'.join(lines) + '\n'


def write_plot(summary: dict, path: str) -> None:
    """The bar chart of a summary's methods, written atomically."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    names = [m for m in (*MAIN_TABLE, *ABLATIONS) if m in summary]
    means = [summary[m]['last_test']['mean'] for m in names]
    stds = [summary[m]['last_test']['std'] or 0.0 for m in names]
    fig, ax = plt.subplots(figsize=(max(6, len(names) * 0.8), 4))
    ax.bar(names, means, yerr=stds, capsize=3,
           color=['C1' if n.startswith('vrm') else 'C0' for n in names])
    ax.set_ylim(min(means) - 2, max(means) + 1.5)
    ax.set_ylabel('test top-1, last epoch (%)')
    ax.set_title('ResNet20 -> ResNet8 on Fashion-MNIST (5k-image subset)')
    plt.setp(ax.get_xticklabels(), rotation=35, ha='right')
    fig.tight_layout()
    tmp = f'{path}.{os.getpid()}.tmp'
    fig.savefig(tmp, dpi=110, format='png')
    plt.close(fig)
    os.replace(tmp, path)


def finished_runs(work_root: str) -> dict:
    """``{method_seedN: result}`` of every finished student run on disk
    (any method, any seed), e.g. of parts that ran in parallel."""
    runs = {}
    for path in glob.glob(osp.join(work_root, '*_seed*', 'result.json')):
        key = osp.basename(osp.dirname(path))
        if run_method(key) in METHODS:
            with open(path) as f:
                runs[key] = json.load(f)
            digest = _read_digest(osp.dirname(path))
            if digest is not None:
                runs[key]['config_digest'] = digest
    return runs


def check_same_teacher(runs: dict, teacher_test: float,
                       runs_path: str) -> None:
    """Refuse to add runs of this teacher to runs of another one."""
    others = sorted({round(r['teacher_test'], 2) for r in runs.values()
                     if 'teacher_test' in r} - {round(teacher_test, 2)})
    if others:
        sys.exit(
            f'[accuracy] the runs in {runs_path} were distilled from a '
            f'teacher of test top-1 {others}, this machine trained one of '
            f'{teacher_test:.2f} from the same seed (its CPU kernels '
            'differ): runs on different teachers are not comparable. Use '
            '--set NAME for a separate set on this machine.')


def runs_folder(tag: str) -> str:
    """The folder of a set's run files: results/runs/accuracy<tag>."""
    return run_store.set_folder(f'accuracy{tag}',
                                osp.join(RESULTS, 'runs'))


def record_run(folder: str, name: str, record: dict) -> str:
    """Save one finished run as its own file (named by its config
    digest); no other run's file is touched."""
    return run_store.write_run(folder, name, record,
                               record.get('config_digest'))


def write_results(folder: str, tag: str) -> dict:
    """The summary JSON, Markdown and PNG of every run file in
    ``folder``, each written atomically, under the set's lock; returns
    the table."""
    with run_store.locked(folder):
        table = summarise(run_store.read_runs(folder), tag)
        run_store.write_json_atomic(
            osp.join(RESULTS, f'accuracy{tag}.json'),
            dict(protocol=table['protocol'], methods=table['methods']))
        run_store.write_text_atomic(
            osp.join(RESULTS, f'accuracy{tag}.md'), table['markdown'])
        write_plot(table['methods'],
                   osp.join(RESULTS, f'accuracy{tag}.png'))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--methods', nargs='+', choices=list(METHODS),
                        help='default: the main table')
    parser.add_argument('--ablations', action='store_true',
                        help='run the VRM ablation variants')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--epochs', type=int, default=8)
    parser.add_argument('--teacher-epochs', type=int, default=3)
    parser.add_argument('--quick', action='store_true',
                        help='1 seed, 2 epochs, ce/kd/vrm: a smoke run')
    parser.add_argument(
        '--jobs', type=int, default=1,
        help='student runs trained at the same time, sharing the cores '
        '(OMP_NUM_THREADS = cores / jobs); 2 on 2 cores finishes a set '
        'sooner than 1')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--collect', action='store_true',
        help='only gather every finished run on disk (any method or seed, '
        'e.g. of parallel parts) into the results; train nothing')
    parser.add_argument(
        '--variant', choices=list(VARIANTS),
        help='change one protocol setting (batch size, virtual-view '
        'strength) for the analyses; see benchmarks/accuracy_variants.py')
    parser.add_argument(
        '--set', dest='run_set', metavar='NAME',
        help='a separate set of runs with its own teacher '
        '(work_dirs/bench_accuracy_NAME, results/accuracy_NAME*): another '
        "machine's CPU kernels train another teacher from the same seed, "
        'and runs on different teachers must not be compared')
    parser.add_argument('--run-one', nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_one:
        return run_one(*args.run_one)

    methods = args.methods or (list(ABLATIONS) if args.ablations
                               else list(MAIN_TABLE))
    tag = ''
    if args.quick:
        # about 9 minutes on 2 cores: teacher 5.5, students 0.7 / 1 / 1.7
        methods, args.seeds, args.epochs = ['ce', 'kd', 'vrm'], [0], 2
        args.teacher_epochs, tag = 1, '_quick'
        print('[accuracy] QUICK mode: 1 seed, 2 student epochs, 1 teacher '
              'epoch; a smoke test, not the benchmark.')
    if args.run_set:
        tag += f'_{args.run_set}'
    work_root = osp.join(REPO_ROOT, 'work_dirs', f'bench_accuracy{tag}')
    runs_path = runs_folder(tag)
    runs = run_store.read_runs(runs_path)

    teacher_cfg = protocol_config(TEACHER_CONFIG, args.teacher_epochs, 0,
                                  args)
    ensure_data(teacher_cfg.train_dataloader.dataset.data_root)
    # its config is not a method's: a set's teacher from before digests
    # were kept is still that set's teacher (check_same_teacher below)
    teacher = train_in_subprocess(
        teacher_cfg, f'teacher_{args.teacher_epochs}e', work_root,
        trust_undigested=True)
    teacher_dir = osp.join(work_root, f'teacher_{args.teacher_epochs}e')
    with open(osp.join(teacher_dir, 'last_checkpoint')) as f:
        teacher_ckpt = f.read().strip()
    check_same_teacher(runs, teacher['last_test'], runs_path)
    protocol = dict(
        command='python benchmarks/accuracy.py ' + ' '.join(sys.argv[1:]),
        machine=machine_metadata(args.device), teacher_test=teacher[
            'last_test'], teacher_epochs=args.teacher_epochs,
        student_epochs=args.epochs)

    if args.collect:
        for key, result in finished_runs(work_root).items():
            if key not in runs:
                record_run(runs_path, key, dict(
                    result, protocol=protocol, teacher_test=result.get(
                        'teacher_test', teacher['last_test'])))
        print(write_results(runs_path, tag)['markdown'])
        return
    wanted = {}
    for seed in args.seeds:
        for method in methods:
            variant = f'@{args.variant}' if args.variant else ''
            cfg = METHODS[method](
                protocol_config(STUDENT_CONFIG, args.epochs, seed, args),
                teacher_ckpt)
            cfg.custom_hooks = [*cfg.get('custom_hooks', []),
                                TRAIN_SUBSET_HOOK]
            if args.variant:
                cfg = VARIANTS[args.variant](cfg)
            wanted[f'{method}{variant}_seed{seed}'] = cfg
    stale = stale_runs(runs, wanted)
    if stale:
        sys.exit(stale_message(stale, runs_path, work_root))
    todo = [(key, cfg) for key, cfg in wanted.items() if key not in runs]

    def record(key: str, result: dict) -> None:
        record_run(runs_path, key, dict(
            result, teacher_test=teacher['last_test'], protocol=protocol))
        print(f'[accuracy] {key}: last {result["last_test"]:.2f}, '
              f'best {result["best_test"]:.2f}', flush=True)
        write_results(runs_path, tag)

    train_students(todo, work_root, args.jobs, record)
    if run_store.read_runs(runs_path):
        print(write_results(runs_path, tag)['markdown'])


if __name__ == '__main__':
    main()
