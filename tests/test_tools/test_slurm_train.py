"""tools/slurm_train.sh resumes a run that stopped with status 75.

``srun`` and ``scontrol`` are stand-ins on PATH: each call appends its
arguments to a log; ``srun`` exits with the next status of a list.
"""
import os
import os.path as osp
import subprocess

import pytest
from conftest import REPO_ROOT

from vrm_mm.runtime.hooks.preemption_hook import EXIT_RESUME

STAND_IN = '''#!/usr/bin/env bash
echo "$(basename "$0") $*" >> "$CALLS"
if [ "$(basename "$0")" = srun ]; then
    n=$(grep -c '^srun ' "$CALLS")
    exit "$(sed -n "${n}p" "$STATUSES")"
fi
'''


def slurm_train(tmp_path, statuses, **env_vars):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(parents=True)
    for name in ('srun', 'scontrol'):
        (bin_dir / name).write_text(STAND_IN)
        (bin_dir / name).chmod(0o755)
    (tmp_path / 'statuses').write_text(''.join(f'{s}\n' for s in statuses))
    calls = tmp_path / 'calls'
    calls.touch()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith('SLURM_')}
    env.update(PATH=f'{bin_dir}{os.pathsep}{env["PATH"]}', CALLS=str(calls),
               STATUSES=str(tmp_path / 'statuses'), **env_vars)
    result = subprocess.run(
        ['bash', 'tools/slurm_train.sh', 'gpu', 'job', 'cfg.py', 'work',
         '--amp'], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=60)
    return result, calls.read_text().splitlines()


def test_from_a_login_node_it_reruns_srun_with_resume(tmp_path):
    result, calls = slurm_train(tmp_path, [EXIT_RESUME, EXIT_RESUME, 0])
    assert result.returncode == 0, result.stderr
    assert len(calls) == 3 and all(c.startswith('srun ') for c in calls)
    first, *again = calls
    assert first.endswith('--work-dir=work --launcher=slurm --amp')
    assert all(call == first + ' --resume' for call in again)
    assert 'resuming (2/100)' in result.stderr


def test_inside_a_job_it_requeues_and_the_requeued_job_resumes(tmp_path):
    result, calls = slurm_train(tmp_path, [EXIT_RESUME],
                                SLURM_JOB_ID='4242')
    assert result.returncode == 0, result.stderr
    assert calls[1] == 'scontrol requeue 4242'
    assert not calls[0].endswith('--resume')
    requeued, calls = slurm_train(tmp_path / 'requeued', [0],
                                  SLURM_JOB_ID='4242',
                                  SLURM_RESTART_COUNT='1')
    assert requeued.returncode == 0
    assert calls == [calls[0]] and calls[0].endswith('--amp --resume')


@pytest.mark.parametrize('status', [0, 1, 137])
def test_other_statuses_are_returned_without_a_restart(tmp_path, status):
    result, calls = slurm_train(tmp_path, [status, 0])
    assert result.returncode == status
    assert len(calls) == 1


def test_restarts_are_bounded(tmp_path):
    result, calls = slurm_train(tmp_path, [EXIT_RESUME] * 3,
                                MAX_RESTARTS='1')
    assert result.returncode == EXIT_RESUME
    assert len(calls) == 2
    assert 'more than MAX_RESTARTS=1' in result.stderr


def test_the_script_is_valid_bash():
    subprocess.run(['bash', '-n', osp.join(REPO_ROOT, 'tools',
                                           'slurm_train.sh')], check=True)
