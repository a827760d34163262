"""Turn user mistakes into one clear message instead of a deep traceback."""
import contextlib
import os
import sys
import traceback
from typing import Iterator, Tuple, Type

from vrm_mm.utils.registry_hint import unregistered_type_message

TRACEBACK_ENV = 'VRM_MM_TRACEBACK'


@contextlib.contextmanager
def clear_errors(stage: str,
                 kinds: Tuple[Type[BaseException], ...] = (Exception, ),
                 ) -> Iterator[None]:
    """Print ``stage: message`` and exit 1 on ``kinds`` of exceptions,
    and on an unregistered ``type`` whatever ``kinds`` (datasets,
    transforms, optimizers and metrics are built once training starts).

    Set ``VRM_MM_TRACEBACK=1`` to get the full traceback instead.
    """
    try:
        yield
    except BaseException as error:
        explained = unregistered_type_message(error)
        if os.environ.get(TRACEBACK_ENV) or (
                explained is None and not isinstance(error, kinds)):
            raise
        name = type(error).__name__
        print(f'\nvrm_mm: {stage} failed: {name}: {explained or error}\n'
              f'(set {TRACEBACK_ENV}=1 for the full traceback)',
              file=sys.stderr)
        # free the failed frames' locals now: a live data loader iterator
        # among them would keep its workers, which ignore SIGTERM (see
        # PreemptionHook), and multiprocessing's exit would wait for them
        traceback.clear_frames(error.__traceback__)
        sys.exit(1)
