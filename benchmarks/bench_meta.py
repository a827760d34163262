"""Machine and code metadata recorded with every benchmark result."""
import datetime
import os
import platform
import subprocess

import torch


def _cpu_model() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


def _commit() -> str:
    try:
        return subprocess.check_output(
            ['git', 'rev-parse', '--short', 'HEAD'], text=True,
            stderr=subprocess.DEVNULL).strip()
    except (OSError, subprocess.CalledProcessError):
        return 'uncommitted'


def machine_metadata(device: str = 'cpu') -> dict:
    """nproc, CPU model, torch version, device, git commit and UTC date."""
    if device.startswith('cuda') and torch.cuda.is_available():
        device = torch.cuda.get_device_name(0)
    return dict(
        nproc=os.cpu_count(), cpu=_cpu_model(), torch=torch.__version__,
        device=device, commit=_commit(),
        date=datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec='seconds'))
