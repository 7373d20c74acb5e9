"""Convert sample collections between formats (CSV, SDB, JSONL...), decoding in parallel, skipping bad rows."""

from __future__ import annotations

import inspect
import logging
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from sttx.core.contract.errors import UsageError
from sttx.core.data.audio import AudioError
from sttx.core.data.collections import read_collections

if TYPE_CHECKING:
    from sttx.core.contract.registry import SampleFormatRegistry
    from sttx.core.contract.samples import Sample, SampleRef

log = logging.getLogger(__name__)


@attrs.define
class ConvertSummary:
    """What a conversion wrote and what it skipped (sample id -> reason)."""

    target: str
    count: int = 0
    duration: float = 0.0
    skipped: dict[str, str] = attrs.field(factory=dict)

    def reasons(self) -> Counter[str]:
        """How many rows were skipped for each kind of problem."""
        return Counter(reason.split(":", 1)[0] for reason in self.skipped.values())

    def format(self) -> str:
        """A few lines for the terminal."""
        lines = [f"wrote {self.count} samples ({self.duration / 3600:.2f} h, {self.duration:.1f} s) to {self.target}"]
        if self.skipped:
            kinds = ", ".join(f"{count} {kind}" for kind, count in self.reasons().most_common())
            lines.append(f"skipped {len(self.skipped)} samples: {kinds}")
            lines += [f"  {sample_id}: {reason}" for sample_id, reason in list(self.skipped.items())[:20]]
            if len(self.skipped) > 20:
                lines.append(f"  ... and {len(self.skipped) - 20} more")
        return "\n".join(lines)


def load_ordered(
    refs: Iterable[SampleRef], load: Callable[[SampleRef], Any], jobs: int
) -> Iterator[tuple[SampleRef, Any]]:
    """``(ref, load(ref))`` in input order, ``jobs`` loads at a time; an AudioError is yielded as the value."""

    def guarded(ref: SampleRef) -> Any:
        try:
            return load(ref)
        except AudioError as error:
            return error

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        window: deque[tuple[SampleRef, Future[Any]]] = deque()
        for ref in refs:
            window.append((ref, pool.submit(guarded, ref)))
            if len(window) >= 4 * max(1, jobs):  # bounded: a million rows never sit decoded in memory
                head, future = window.popleft()
                yield head, future.result()
        while window:
            head, future = window.popleft()
            yield head, future.result()


def writer_options(write: Callable[..., Any], options: dict[str, Any], target: str) -> dict[str, Any]:
    """The options the target's writer accepts; one it does not take is a usage error naming it."""
    accepted = set(inspect.signature(write).parameters)
    given = {key: value for key, value in options.items() if value is not None}
    unknown = sorted(set(given) - accepted)
    if unknown:
        flags = ", ".join(f"--{key}" for key in unknown)
        raise UsageError(f"{flags} does not apply to {Path(target).suffix or target} targets")
    return given


def convert(
    sources: Iterable[str],
    target: str | Path,
    formats: SampleFormatRegistry,
    *,
    options: dict[str, Any] | None = None,
    jobs: int = 1,
    sample_rate: int = 16000,
    progress: bool | None = None,
) -> ConvertSummary:
    """Read every source, decode each sample at ``sample_rate`` and write them to ``target`` (format by extension).

    :param options: writer options (``audio_type``, ``bitrate``, ``absolute_paths``); None values are dropped
    :param jobs: parallel decoders
    :param progress: show a progress bar (None: only on a terminal)
    """
    from tqdm import tqdm

    target = str(target)
    name, sample_format = formats.for_path(target)
    if sample_format.write is None:
        raise UsageError(f"the {name} format cannot be written ({target})")
    given = writer_options(sample_format.write, options or {}, target)
    refs = read_collections(list(sources), formats)
    summary = ConvertSummary(target)

    def samples() -> Iterator[Sample]:
        loaded = load_ordered(refs, lambda ref: ref.load(sample_rate), jobs)
        for ref, sample in tqdm(
            loaded, total=len(refs), unit="sample", disable=None if progress is None else not progress
        ):
            if isinstance(sample, AudioError):
                summary.skipped[ref.id] = f"unreadable audio: {sample.problem}"
                continue
            summary.count += 1
            summary.duration += sample.duration
            yield sample

    sample_format.write(samples(), Path(target), **given)
    log.info("%s", summary.format())
    return summary
