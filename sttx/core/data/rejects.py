"""Quarantine of bad samples: why each was skipped, a rejects file beside the run, and the --max_rejected check."""

from __future__ import annotations

import collections
import csv
import itertools
import threading
from collections.abc import Sequence
from pathlib import Path

from sttx.core.contract.errors import SttxError

#: Why a sample is skipped. The first two are checked over the whole set before decoding, the others as seen.
EMPTY_TRANSCRIPT = "empty_transcript"
UNENCODABLE = "unencodable_transcript"
UNREADABLE = "unreadable_audio"
TOO_SHORT = "too_short_for_transcript"
REASONS = (EMPTY_TRANSCRIPT, UNENCODABLE, UNREADABLE, TOO_SHORT)
#: Columns of the rejects file (CSV, one line per rejected sample), and its name beside a run's outputs.
COLUMNS = ("file", "reason", "detail")
REJECTS_FILE = "rejects.csv"


class TooManyRejectsError(SttxError):
    """More than --max_rejected of the samples were skipped; the message names the commonest reasons."""


def ctc_min_frames(labels: Sequence[int]) -> int:
    """Frames CTC needs for ``labels``: one per label plus a blank between each pair of repeated labels."""
    repeats = sum(1 for a, b in itertools.pairwise(labels) if a == b)
    return len(labels) + repeats


class RejectLog:
    """Thread-safe record of rejected samples, by id: one entry per sample however many epochs (or copies) meet
    it, the first reason wins, so ``share`` is the share of distinct samples ever rejected.

    :param path: the rejects file (CSV with ``file,reason,detail``), appended to as samples are rejected so a
        crashed run still leaves it; None keeps the log in memory only
    :param total: how many samples the share of rejects is measured against (set by the pipeline)
    """

    def __init__(self, path: str | Path | None = None, total: int = 0) -> None:
        self.path = Path(path) if path is not None else None
        self.total = total
        self._lock = threading.Lock()
        self._rejected: dict[str, tuple[str, str]] = {}
        #: characters outside the alphabet, by the number of rejected transcripts holding each
        self.missing_chars: collections.Counter[str] = collections.Counter()
        self.alphabet_source: str | None = None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("w", newline="", encoding="utf-8") as handle:
                csv.writer(handle).writerow(COLUMNS)

    def add(self, sample_id: str, reason: str, detail: str = "") -> bool:
        """Record ``sample_id`` as rejected; False when it was already recorded (seen again in a later epoch)."""
        with self._lock:
            if sample_id in self._rejected:
                return False
            self._rejected[sample_id] = (reason, detail)
            if self.path is not None:
                with self.path.open("a", newline="", encoding="utf-8") as handle:
                    csv.writer(handle).writerow((sample_id, reason, detail))
        return True

    def add_unencodable(self, sample_id: str, missing: set[str], alphabet_source: str | None) -> None:
        """Reject a transcript with characters outside the alphabet, counting each character once per sample."""
        if self.add(sample_id, UNENCODABLE, f"missing characters: {''.join(sorted(missing))!r}"):
            with self._lock:
                self.missing_chars.update(missing)
                self.alphabet_source = self.alphabet_source or alphabet_source

    def __contains__(self, sample_id: object) -> bool:
        with self._lock:
            return sample_id in self._rejected

    def __len__(self) -> int:
        with self._lock:
            return len(self._rejected)

    def counts(self) -> dict[str, int]:
        """Rejected samples by reason, commonest first."""
        with self._lock:
            counter = collections.Counter(reason for reason, _ in self._rejected.values())
        return dict(counter.most_common())

    def entries(self) -> list[tuple[str, str, str]]:
        """``(file, reason, detail)`` for every rejected sample, in the order they were rejected."""
        with self._lock:
            return [(key, reason, detail) for key, (reason, detail) in self._rejected.items()]

    @property
    def share(self) -> float:
        """Rejected samples over ``total`` (0 when nothing was counted yet)."""
        return len(self) / self.total if self.total else 0.0

    def check(self, max_rejected: float = 0.01, files: Sequence[str] = ()) -> None:
        """Raise TooManyRejectsError when the rejected share exceeds ``max_rejected`` (a fraction, 0.01 = 1%).

        :param files: the run's collections, named in the hint to write an alphabet that covers them
        """
        check_rejects(self, max_rejected, files)


def check_rejects(log: RejectLog, max_rejected: float = 0.01, files: Sequence[str] = ()) -> None:
    """Fail when more than ``max_rejected`` of ``log.total`` samples were rejected, naming the commonest reasons
    (and, for transcripts outside the alphabet, the missing characters and how to write an alphabet with them)."""
    if log.share <= max_rejected:
        return
    reasons = ", ".join(f"{reason} ({count})" for reason, count in list(log.counts().items())[:3])
    where = f"; see {log.path}" if log.path is not None else ""
    raise TooManyRejectsError(
        f"{len(log)} of {log.total} samples rejected ({log.share:.1%} > --max_rejected {max_rejected:.1%}): "
        f"{reasons}{where}{missing_chars_hint(log, files)}"
    )


def missing_chars_hint(log: RejectLog, files: Sequence[str] = (), examples: int = 5) -> str:
    """``. Characters missing from the alphabet X: 'é' (U+00E9) in 3 samples, ...; write one with ...`` or ''."""
    if not log.missing_chars:
        return ""
    common = log.missing_chars.most_common()
    shown = ", ".join(f"{char!r} (U+{ord(char):04X}) in {count} sample{'s' if count > 1 else ''}"
                      for char, count in common[:examples])
    more = f" and {len(common) - examples} more" if len(common) > examples else ""
    sources = " ".join(files) if files else "TRAIN.csv DEV.csv TEST.csv"
    return (f". Characters missing from the alphabet {log.alphabet_source or '(given)'}: {shown}{more}; "
            f"`sttx data alphabet {sources} --output alphabet.txt` writes one that covers the data, for "
            "--alphabet_config_path")
