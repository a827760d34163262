"""The "Your own data" commands run as written, on a folder of images.

The one ```bash block of the section is extracted from the markdown and run
by bash, from the repository root, with only:

* ``DATA`` and ``WORK`` set in the environment (the block reads them);
* ``python`` resolving to this interpreter (its folder first on PATH);
* a tiny schedule appended to the ``tools/train.py`` and ``tools/test.py``
  lines: ``--cfg-options`` of one epoch, batches of 6, no loader workers
  (a second ``--cfg-options`` adds to the first).

The images: 3 classes x 6 training and 3 validation images, 32 x 32, PNG
and JPEG, coloured by class. The config says ``num_classes = 10``; the
block sets 3, counted from the folder, so the exported student having 3
outputs shows that the one variable reached the networks.
"""
import os
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
DOC = osp.join(REPO_ROOT, 'README.md')
HEADING = '## Your own data'
CLASSES = ('cat', 'dog', 'fox')
TINY_TRAIN = ('train_cfg.max_epochs=1 train_dataloader.batch_size=6 '
              'train_dataloader.num_workers=0 '
              'train_dataloader.persistent_workers=False '
              'val_dataloader.num_workers=0 '
              'val_dataloader.persistent_workers=False '
              'test_dataloader.num_workers=0 '
              'test_dataloader.persistent_workers=False')
TINY_TEST = ('test_dataloader.num_workers=0 '
             'test_dataloader.persistent_workers=False')


def bash_block(markdown: str, heading: str) -> str:
    """The one ```bash block of the section ``heading`` (a whole line such
    as ``'## Your own data'``) of the markdown file, up to the next heading
    of the same or a higher level."""
    with open(markdown) as f:
        lines = f.read().splitlines()
    level = len(heading) - len(heading.lstrip('#'))
    try:
        start = lines.index(heading)
    except ValueError:
        raise AssertionError(f'{markdown} has no line {heading!r}') from None
    section, fenced = [], False
    for line in lines[start + 1:]:
        if line.startswith('```'):
            fenced = not fenced
        hashes = len(line) - len(line.lstrip('#'))
        if not fenced and 0 < hashes <= level and line[hashes:hashes + 1] \
                == ' ':
            break
        section.append(line)
    blocks = re.findall(r'^```bash\n(.*?)^```$', '\n'.join(section) + '\n',
                        flags=re.S | re.M)
    assert len(blocks) == 1, (
        f'{heading} in {markdown} must hold exactly one ```bash block, '
        f'found {len(blocks)}')
    return blocks[0]


def tiny(commands: str) -> str:
    """Append the tiny schedule to the training and test commands."""
    out = []
    for line in commands.splitlines():
        if re.match(r'\s*python tools/train\.py ', line):
            line += f' --cfg-options {TINY_TRAIN}'
        elif re.match(r'\s*python tools/test\.py ', line):
            line += f' --cfg-options {TINY_TEST}'
        out.append(line)
    return '\n'.join(out) + '\n'


def write_folder(root: str) -> None:
    """train/ 3 x 6 and val/ 3 x 3 images, half PNG and half JPEG."""
    rng = np.random.default_rng(0)
    for split, count in (('train', 6), ('val', 3)):
        for label, name in enumerate(CLASSES):
            folder = osp.join(root, split, name)
            os.makedirs(folder, exist_ok=True)
            for i in range(count):
                pixels = np.full((32, 32, 3), 40.0)
                pixels[..., label] = 200
                pixels += rng.normal(0, 20, pixels.shape)
                image = Image.fromarray(
                    np.clip(pixels, 0, 255).astype(np.uint8))
                image.save(osp.join(folder, f'{i}.{"png jpg".split()[i % 2]}'))


def test_bash_block_extraction(tmp_path):
    doc = tmp_path / 'doc.md'
    doc.write_text('# T\n## A\ntext\n```bash\necho a\n```\n'
                   '### A.1\n```python\nx = 1\n```\n## B\n```bash\nno\n```\n')
    assert bash_block(str(doc), '## A') == 'echo a\n'
    commands = bash_block(DOC, HEADING)
    assert 'tools/train.py' in commands and '$DATA' in commands
    assert 'tools/export_student.py' in commands
    assert 'tools/test.py' in commands


@pytest.mark.slow
def test_own_data_commands_run(tmp_path):
    data, work = str(tmp_path / 'images'), str(tmp_path / 'work')
    write_folder(data)
    script = tmp_path / 'own_data.sh'
    script.write_text('set -euo pipefail\n' + tiny(bash_block(DOC, HEADING)))
    env = dict(os.environ, DATA=data, WORK=work, OMP_NUM_THREADS='1',
               PATH=osp.dirname(sys.executable) + os.pathsep +
               os.environ.get('PATH', ''))
    run = subprocess.run(['bash', str(script)], cwd=REPO_ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    assert re.search(r'"accuracy/top1": [0-9.]+', output), output[-2000:]

    import torch
    student = torch.load(osp.join(work, 'student.pth'), map_location='cpu',
                         weights_only=True)['state_dict']
    fc = [value for key, value in student.items()
          if key.startswith('head.') and key.endswith('weight')]
    assert [tuple(weight.shape)[0] for weight in fc] == [len(CLASSES)]
    assert osp.isfile(osp.join(work, 'student.py'))
