"""Speaker-disjoint train/dev/test splits for corpora that come unsplit: deterministic, shares settable.

The flags and the rule are those of the classic-corpus importers (VCTK, LJSpeech, ...): ``--dev_percent`` and
``--test_percent`` of the speakers, ranked by a hash of their names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

import click

from sttx.api import option
from sttx.core.contract.errors import UsageError

SPLITS = ("train", "dev", "test")


def split_by_speaker(speakers: Iterable[str], dev_percent: float = 10.0, test_percent: float = 10.0
                     ) -> dict[str, str]:
    """Speaker -> train, dev or test: speakers ranked by a hash of their names (independent of file order and
    platform), the first ``test_percent`` of them to test, the next ``dev_percent`` to dev, the rest to train.

    With 3 speakers or more every split asked for gets at least one, so a small corpus still has three CSVs.
    """
    if dev_percent < 0 or test_percent < 0 or dev_percent + test_percent >= 100:
        raise UsageError(f"--dev_percent {dev_percent:g} and --test_percent {test_percent:g}: each must be >= 0 "
                         "and together below 100")
    ranked = sorted(set(speakers), key=lambda name: hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest())
    n_test, n_dev = _share(len(ranked), test_percent), _share(len(ranked), dev_percent)
    return {name: "test" if rank < n_test else "dev" if rank < n_test + n_dev else "train"
            for rank, name in enumerate(ranked)}


def _share(total: int, percent: float) -> int:
    share = round(total * percent / 100)
    return max(share, 1) if percent > 0 and total >= 3 else share


def split_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--dev_percent`` and ``--test_percent`` for importers that split an unsplit corpus by speaker."""
    decorators = [
        option("--dev_percent", type=click.FloatRange(0, 50), default=10.0,
               help="Share of the speakers held out for dev when the corpus is unsplit."),
        option("--test_percent", type=click.FloatRange(0, 50), default=10.0,
               help="Share of the speakers held out for test when the corpus is unsplit."),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command
