"""Speaker-disjoint train/dev/test splits for corpora that come unsplit: deterministic, sizes settable."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from sttx.cli.options import option
from sttx.core.contract.errors import UsageError

log = logging.getLogger("sttx.import")

SPLITS = ("train", "dev", "test")

Size = int | float | None  # rows, a fraction of the rows, or None for the default rule


def sample_size(population: int) -> int:
    """Rows each of dev and test get by default: Coqui STT's auto_input_dataset rule (99 % confidence, 1 % margin).

    The largest n whose train part t = N - 2n still supports n as a sample of t (10 -> 3, 1000 -> 331).
    """
    if population < 2:
        return 0
    z, proportion, margin = 2.58, 0.5, 0.01
    infinite = z * z * proportion * (1 - proportion) / (margin * margin)
    size = 0
    for train in range(population, 0, -1):
        size = int(infinite / (1 + infinite / train))
        if 2 * size + train <= population:
            break
    return max(size, 1)


def parse_size(text: str, flag: str) -> Size:
    """``auto``, a row count (``200``) or a fraction of the rows (``0.05``)."""
    value = text.strip().lower()
    if value in ("", "auto"):
        return None
    try:
        number = float(value)
    except ValueError:
        raise UsageError(f"{flag} {text!r}: give a row count, a fraction below 1, or auto") from None
    if number < 0 or (number >= 1 and not number.is_integer()):
        raise UsageError(f"{flag} {text!r}: give a row count, a fraction below 1, or auto")
    return int(number) if number >= 1 or number == 0 else number


def _rows(size: Size, total: int) -> int:
    if size is None:
        return sample_size(total)
    return round(size * total) if isinstance(size, float) else int(size)


def _rank(seed: int, speaker: str) -> str:
    return hashlib.sha256(f"{seed}:{speaker}".encode()).hexdigest()  # stable across runs, unlike hash()


def split_by_speaker(speakers: Iterable[str], *, dev_size: Size = None, test_size: Size = None,
                     seed: int = 0) -> dict[str, str]:
    """Speaker -> train, dev or test, every row of a speaker in one split.

    ``speakers`` has one entry per row. Speakers, in an order drawn from ``seed``, fill test and then dev until
    each holds at least its size in rows; the rest, and always at least one speaker, go to train.
    """
    rows = Counter(speakers)
    wanted = {"test": _rows(test_size, rows.total()), "dev": _rows(dev_size, rows.total())}
    filled = dict.fromkeys(wanted, 0)
    order = sorted(rows, key=lambda speaker: _rank(seed, speaker))
    split: dict[str, str] = {}
    for position, speaker in enumerate(order):
        open_splits = [name for name in wanted if filled[name] < wanted[name]]
        if not open_splits or position == len(order) - 1:
            split[speaker] = "train"
            continue
        split[speaker] = open_splits[0]
        filled[open_splits[0]] += rows[speaker]
    short = [name for name in wanted if filled[name] < wanted[name]]
    if short:
        log.warning("Only %d speaker(s): %s got %s of the rows asked (%s); every speaker stays in one split.",
                    len(order), " and ".join(short), " and ".join(str(filled[name]) for name in short),
                    " and ".join(str(wanted[name]) for name in short))
    return split


def split_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--dev_size``, ``--test_size`` and ``--split_seed`` for importers that split an unsplit corpus."""
    sizes = "rows, a fraction of the rows (0.1), or auto (Coqui's auto_input_dataset rule)"
    decorators = [
        option("--dev_size", default="auto", help=f"Dev split size when the corpus is unsplit: {sizes}."),
        option("--test_size", default="auto", help=f"Test split size when the corpus is unsplit: {sizes}."),
        option("--split_seed", type=int, default=0, help="Seed of the speaker order the split is drawn from."),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def split_values(values: dict[str, Any]) -> dict[str, Any]:
    """Pop the split flags out of a command's ``values`` into split_by_speaker's keywords."""
    return {"dev_size": parse_size(values.pop("dev_size"), "--dev_size"),
            "test_size": parse_size(values.pop("test_size"), "--test_size"), "seed": values.pop("split_seed")}
