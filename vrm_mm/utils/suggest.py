"""Close-name suggestions for error messages about misspelt names."""
import difflib
from typing import Iterable, List


def close_matches(name: str, candidates: Iterable[str], n: int = 3,
                  cutoff: float = 0.6) -> List[str]:
    """The candidates that look most like ``name``, best first.

    Args:
        name: The unknown name, e.g. ``'KDLos'``.
        candidates: The valid names.
        n: At most this many matches.
        cutoff: Minimum similarity ratio (difflib) of a match.

    Returns:
        Up to ``n`` candidates (none when nothing is close).
    """
    return difflib.get_close_matches(
        name, sorted(set(candidates)), n=n, cutoff=cutoff)


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``" Did you mean 'x'?"`` for the closest candidates, or ``''``."""
    matches = close_matches(name, candidates)
    if not matches:
        return ''
    return ' Did you mean ' + ' or '.join(map(repr, matches)) + '?'
