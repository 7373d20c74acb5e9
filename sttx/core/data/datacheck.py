"""Pre-flight check of a data set: counts, durations, formats found, and the rows that would break training."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from sttx.core.data.audio import AudioError
from sttx.core.data.collections import read_collections, split_file_list
from sttx.core.data.convert import load_ordered

if TYPE_CHECKING:
    from sttx.core.contract.registry import SampleFormatRegistry
    from sttx.core.contract.samples import SampleRef
    from sttx.core.data.alphabet import Alphabet

BLOCKING = ("unreadable", "empty transcript", "outside alphabet", "ctc infeasible", "split overlap")
WARNINGS = ("duplicate", "not NFC")
HISTOGRAM_EDGES = (0.0, 1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0)
WINDOW_MS, STEP_MS = 32, 20  # DeepSpeech's feature window and step


def feature_frames(n_samples: int, sample_rate: int = 16000) -> int:
    """MFCC frames of ``n_samples``: 1 + (N - window) // step, 0 when shorter than one window."""
    window, step = sample_rate * WINDOW_MS // 1000, sample_rate * STEP_MS // 1000
    return 0 if n_samples < window else 1 + (n_samples - window) // step


def ctc_min_frames(labels: list[int]) -> int:
    """The fewest frames CTC needs: one per label plus a blank between each pair of equal neighbours."""
    return len(labels) + sum(1 for left, right in pairwise(labels) if left == right)


@attrs.frozen
class Problem:
    """One row's problem: its kind (a BLOCKING or WARNINGS name), where it is, and the detail."""

    kind: str
    where: str
    detail: str


@attrs.define
class DataReport:
    """The findings of :func:`check_data`."""

    files: dict[str, list[str]] = attrs.field(factory=dict)
    count: int = 0
    durations: list[float] = attrs.field(factory=list)
    sample_rates: Counter[int] = attrs.field(factory=Counter)
    channels: Counter[int] = attrs.field(factory=Counter)
    formats: Counter[str] = attrs.field(factory=Counter)
    problems: list[Problem] = attrs.field(factory=list)

    @property
    def total_duration(self) -> float:
        """Seconds of readable audio."""
        return sum(self.durations)

    def by_kind(self) -> dict[str, list[Problem]]:
        """Problems grouped by kind."""
        grouped: dict[str, list[Problem]] = defaultdict(list)
        for problem in self.problems:
            grouped[problem.kind].append(problem)
        return dict(grouped)

    @property
    def blocking(self) -> bool:
        """True when training on this data would fail or silently drop rows."""
        return any(problem.kind in BLOCKING for problem in self.problems)

    def histogram(self) -> list[tuple[str, int]]:
        """Durations counted into fixed second ranges."""
        bins = list(pairwise([*HISTOGRAM_EDGES, float("inf")]))
        return [
            (f"{low:g}-{high:g} s" if high != float("inf") else f">= {low:g} s", self._count(low, high))
            for low, high in bins
        ]

    def _count(self, low: float, high: float) -> int:
        return sum(1 for duration in self.durations if low <= duration < high)

    def format(self, max_rows: int = 20) -> str:
        """The human-readable report: summary, histogram, then each kind of problem with its rows."""
        hours = self.total_duration / 3600
        lines = [f"{self.count} rows, {len(self.durations)} readable, {self.total_duration:.1f} s ({hours:.2f} h)"]
        for split, paths in self.files.items():
            lines.append(f"  {split}: {', '.join(paths)}")
        lines.append("durations: " + ", ".join(f"{label}: {count}" for label, count in self.histogram() if count))
        for title, counter in (
            ("sample rates", self.sample_rates),
            ("channels", self.channels),
            ("formats", self.formats),
        ):
            lines.append(f"{title}: " + ", ".join(f"{key} x{count}" for key, count in sorted(counter.items())))
        for kind, problems in self.by_kind().items():
            level = "ERROR" if kind in BLOCKING else "warning"
            lines.append(f"{level}: {kind}: {len(problems)} rows")
            lines += [f"  {problem.where}: {problem.detail}" for problem in problems[:max_rows]]
            if len(problems) > max_rows:
                lines.append(f"  ... and {len(problems) - max_rows} more")
            if kind == "outside alphabet":
                files = " ".join(path for paths in self.files.values() for path in paths)
                lines.append(f"  fix: `sttx data alphabet {files} --output alphabet.txt` writes an alphabet that "
                             "covers every transcript; train with --alphabet_config_path alphabet.txt")
        lines.append("blocking problems found" if self.blocking else "no blocking problems")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "files": self.files,
            "count": self.count,
            "total_duration": self.total_duration,
            "histogram": dict(self.histogram()),
            "sample_rates": dict(self.sample_rates),
            "channels": dict(self.channels),
            "formats": dict(self.formats),
            "problems": [attrs.asdict(problem) for problem in self.problems],
            "blocking": self.blocking,
        }


def _hash(audio: Any) -> str:
    return hashlib.blake2b(audio.tobytes(), digest_size=16).hexdigest()


def _check_text(ref: SampleRef, alphabet: Alphabet, report: DataReport) -> list[int] | None:
    """Transcript checks; the labels when the transcript is encodable."""
    text = ref.transcript
    if text is None or not text.strip():
        report.problems.append(Problem("empty transcript", ref.where, repr(text)))
        return None
    if not unicodedata.is_normalized("NFC", text):
        report.problems.append(Problem("not NFC", ref.where, f"{text!r} changes under NFC normalisation"))
    missing = alphabet.missing(text)
    if missing:
        from sttx.core.data.alphabet import describe_chars

        report.problems.append(Problem("outside alphabet", ref.where, f"{describe_chars(missing)} in {text!r}"))
        return None
    return alphabet.encode(text)


def _check_audio(ref: SampleRef, audio: Any, labels: list[int] | None, rate: int, report: DataReport) -> None:
    report.durations.append(len(audio) / rate)
    try:
        info = ref.audio.info(ref.id)
    except AudioError as error:  # decoded fine, yet the header cannot be read again: report, do not guess
        report.problems.append(Problem("unreadable", ref.where, f"header: {error.problem}"))
    else:
        report.sample_rates[info.sample_rate] += 1
        report.channels[info.channels] += 1
        report.formats[f"{info.format}/{info.subtype}"] += 1
    if labels is not None:
        frames, needed = feature_frames(len(audio), rate), ctc_min_frames(labels)
        if frames < needed:
            detail = f"{len(audio) / rate:.3f} s gives {frames} feature frames; the transcript needs {needed}"
            report.problems.append(Problem("ctc infeasible", ref.where, detail))


def _check_duplicates(seen: dict[str, list[tuple[str, str]]], report: DataReport) -> None:
    """Same audio content more than once: a warning within a split, blocking across splits."""
    for rows in seen.values():
        if len(rows) < 2:
            continue
        splits = {split for split, _ in rows}
        kind = "split overlap" if len(splits) > 1 else "duplicate"
        first = rows[0][1]
        for split, where in rows[1:]:
            splits_text = f" ({rows[0][0]} and {split})" if split != rows[0][0] else ""
            report.problems.append(Problem(kind, where, f"same audio as {first}{splits_text}"))


_SPLIT_WORDS = {"train": "train", "dev": "dev", "valid": "dev", "validation": "dev", "test": "test"}


def group_by_split(paths: Iterable[str]) -> dict[str, list[str]]:
    """Files named like their split (``train.csv``, ``cv-dev.sdb``, ``test_clean.jsonl``) go to that split."""
    groups: dict[str, list[str]] = defaultdict(list)
    for path in split_file_list(paths):
        words = re.split(r"[^a-z]+", Path(path).stem.lower())
        found = {_SPLIT_WORDS[word] for word in words if word in _SPLIT_WORDS}
        groups[found.pop() if len(found) == 1 else "files"].append(path)
    return dict(groups)


def check_data(
    splits: Mapping[str, Iterable[str]],
    formats: SampleFormatRegistry,
    alphabet: Alphabet,
    *,
    sample_rate: int = 16000,
    jobs: int = 1,
    progress: bool | None = None,
) -> DataReport:
    """Decode every row of every split and report what would break training.

    :param splits: split name (``files``, ``train``, ``dev``, ``test``) -> collection files
    :param alphabet: the alphabet the model will use (``UTF8Alphabet`` in bytes output mode)
    """
    from tqdm import tqdm

    report = DataReport()
    seen: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for split, paths in splits.items():
        report.files[split] = split_file_list(paths)
        refs = read_collections(report.files[split], formats)
        report.count += len(refs)
        loaded = load_ordered(refs, lambda ref: ref.load(sample_rate).audio, jobs)
        for ref, audio in tqdm(loaded, total=len(refs), desc=split, disable=None if progress is None else not progress):
            labels = _check_text(ref, alphabet, report)
            if isinstance(audio, AudioError):
                report.problems.append(Problem("unreadable", ref.where, f"{audio.name}: {audio.problem}"))
                continue
            _check_audio(ref, audio, labels, sample_rate, report)
            seen[_hash(audio)].append((split, ref.where))
    _check_duplicates(seen, report)
    return report


def dataset_alphabet(paths: Iterable[str], formats: SampleFormatRegistry) -> tuple[Alphabet, list[Problem]]:
    """The alphabet of every transcript in ``paths``, and the rows whose text is not NFC-normalised."""
    from sttx.core.data.alphabet import Alphabet

    refs = read_collections(split_file_list(paths), formats)
    texts = [ref.transcript for ref in refs if ref.transcript]
    not_nfc = [
        Problem("not NFC", ref.where, repr(ref.transcript))
        for ref in refs
        if ref.transcript and not unicodedata.is_normalized("NFC", ref.transcript)
    ]
    return Alphabet.from_transcripts(texts), not_nfc
