"""Rows cut out of recordings (Kaldi segments, lhotse supervisions, dataset rows): one decode per recording."""

from __future__ import annotations

import concurrent.futures
import hashlib
import multiprocessing
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import attrs
import numpy as np
from tqdm import tqdm

from sttx.core.data.audio import AudioError, encode_audio, read_audio
from sttx.core.data.importing import RowOutcome

# the row judge is shared with the whole-file importers so every importer skips for the same reasons
from sttx.plugins.importers._common import _FORMATS, Converted, ImportOptions, SourceRow, _judge, _verified


@attrs.frozen
class Recording:
    """Where a recording's audio is: a file path, encoded bytes, or a shell command whose stdout is the audio."""

    kind: str  # "file" | "bytes" | "command"
    value: str | bytes = attrs.field(repr=False)
    name: str  # how reports name it; unique per recording (it groups the rows cut from one recording)
    cwd: str | None = None  # where a command runs


@attrs.frozen
class Span:
    """The part of a recording a row is: ``offset`` and ``duration`` seconds, mixed down from ``channels``."""

    offset: float = 0.0
    duration: float | None = None
    channels: tuple[int, ...] | None = None
    overshoot: float = 0.5  # seconds a span may run past the recording's end before it is refused


@attrs.frozen(kw_only=True)
class SpanRow:
    """A manifest row: what it says (``row``), where its audio comes from, and where its clip goes.

    ``skip`` is a (reason, detail) decided while reading the manifest, e.g. a source sttx does not read.
    """

    row: SourceRow
    output: Path
    recording: Recording | None = None
    span: Span = Span()
    skip: tuple[str, str] | None = None


Job = tuple[Recording, list[tuple[str, Span]], int]


def convert_recording(job: Job) -> list[Converted]:
    """Cut every span of one recording (its command run once); verified earlier outputs are reused as they are."""
    recording, targets, rate = job
    done = [_verified(Path(destination), rate) for destination, _ in targets]
    if all(result is not None for result in done):
        return [result for result in done if result is not None]
    try:
        source = _load(recording)
    except AudioError as error:
        return [result or Converted(None, error=error.problem) for result in done]
    return [result or _cut(source, recording.name, Path(destination), span, rate)
            for result, (destination, span) in zip(done, targets, strict=True)]


def _load(recording: Recording) -> str | bytes:
    if recording.kind != "command":
        return recording.value
    try:
        result = subprocess.run(recording.value, shell=True, capture_output=True, check=False, cwd=recording.cwd)
    except OSError as error:
        raise AudioError(recording.name, f"cannot run the command ({error})") from None
    if result.returncode != 0:
        said = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise AudioError(recording.name, f"the command failed with exit status {result.returncode}"
                         + (f" ({said[-1]})" if said else ""))
    return streamed_wav(result.stdout)


def streamed_wav(data: bytes) -> bytes:
    """A WAV written to a pipe with placeholder sizes (sox writes 0x7ffff000) gets the sizes it really has."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return data
    fixed, position = bytearray(data), 12
    fixed[4:8] = min(int.from_bytes(data[4:8], "little"), len(data) - 8).to_bytes(4, "little")
    while position + 8 <= len(data):
        size = int.from_bytes(data[position + 4:position + 8], "little")
        if data[position:position + 4] == b"data":
            fixed[position + 4:position + 8] = min(size, len(data) - position - 8).to_bytes(4, "little")
            break
        position += 8 + size + (size & 1)
    return bytes(fixed)


def _cut(source: str | bytes, name: str, target: Path, span: Span, rate: int) -> Converted:
    try:
        audio = read_audio(source, target_rate=rate, offset=span.offset, duration=span.duration,
                           channels=span.channels, name=name)
    except AudioError as error:
        return Converted(None, error=error.problem)
    except (ValueError, RuntimeError, MemoryError) as error:  # a decoder's surprise is one bad row, not a crash
        return Converted(None, error=f"cannot decode ({type(error).__name__}: {error})")
    if span.duration is not None and len(audio) / rate < span.duration - span.overshoot:
        return Converted(None, error=f"the segment {span.offset:g}-{span.offset + span.duration:g} s ends after "
                                     f"the recording ({span.offset + len(audio) / rate:.3f} s)")
    return _write(target, audio, rate)


def _write(target: Path, audio: np.ndarray, rate: int) -> Converted:
    part = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(encode_audio(audio, rate, _FORMATS[target.suffix.lstrip(".").lower()]))
    part.replace(target)  # atomic: an interrupted import never leaves a half-written clip behind
    return Converted(str(target), len(audio), rate, target.stat().st_size)


class SpanConverter:
    """A worker pool and one progress bar shared by every batch of an import (used as a context manager)."""

    def __init__(self, options: ImportOptions, total: int | None = None) -> None:
        self.workers = options.jobs
        self.pool: concurrent.futures.ProcessPoolExecutor | None = None
        show = options.show_progress
        self.bar = tqdm(total=total, desc="Converting", unit="clip", disable=None if show is None else not show)

    def __enter__(self) -> SpanConverter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
                 ) -> None:
        self.bar.close()
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def run(self, jobs: Sequence[Job]) -> list[list[Converted]]:
        """Each job's results, in order; forked workers unless TensorFlow is loaded (then spawned, as in _common)."""
        if self.workers <= 1 or len(jobs) <= 1:
            return [self._count(convert_recording(job)) for job in jobs]
        if self.pool is None:
            safe_to_fork = os.name == "posix" and "tensorflow" not in sys.modules
            context = multiprocessing.get_context("fork" if safe_to_fork else "spawn")
            self.pool = concurrent.futures.ProcessPoolExecutor(self.workers, mp_context=context)
        chunk = max(1, min(16, len(jobs) // (self.workers * 8)))
        return [self._count(result) for result in self.pool.map(convert_recording, jobs, chunksize=chunk)]

    def _count(self, results: list[Converted]) -> list[Converted]:
        self.bar.update(len(results))
        return results


def import_spans(rows: Sequence[SpanRow], options: ImportOptions, converter: SpanConverter | None = None
                 ) -> list[RowOutcome]:
    """Each row's outcome: skipped early (duplicate, decided skip, missing file) or cut, converted and judged."""
    outcomes: dict[int, RowOutcome] = {}
    groups: dict[tuple[str, str], tuple[Recording, list[int]]] = {}
    seen: set[Path] = set()
    for index, item in enumerate(rows):
        early = _early(item, seen)
        seen.add(item.output)
        if early is not None:
            outcomes[index] = early
        elif item.recording is not None:
            groups.setdefault((item.recording.kind, item.recording.name), (item.recording, []))[1].append(index)
    jobs = [(recording, [(str(rows[i].output), rows[i].span) for i in members], options.sample_rate)
            for recording, members in groups.values()]
    if converter is None:
        with SpanConverter(options, sum(len(job[1]) for job in jobs)) as own:
            results = own.run(jobs)
    else:
        results = converter.run(jobs)
    for (_, members), converted in zip(groups.values(), results, strict=True):
        for index, done in zip(members, converted, strict=True):
            # duplicates were settled above, so no row here is one
            outcomes[index] = _judge(attrs.evolve(rows[index].row, audio=rows[index].output), done, False,
                                     options)
    return [outcomes[index] for index in range(len(rows))]


def _early(item: SpanRow, seen: set[Path]) -> RowOutcome | None:
    base = RowOutcome(collection=item.row.collection, source=item.row.source, line=item.row.line,
                      audio=item.row.audio_text, sentence=item.row.sentence, speaker=item.row.speaker)
    if item.output in seen:
        return attrs.evolve(base, reason="duplicate", detail=f"{item.row.audio_text} is listed earlier")
    if item.skip is not None:
        return attrs.evolve(base, reason=item.skip[0], detail=item.skip[1])
    recording = item.recording
    if recording is None:
        return attrs.evolve(base, reason="missing_clip", detail="no recording")
    if recording.kind == "file" and not Path(str(recording.value)).is_file():
        return attrs.evolve(base, reason="missing_clip", detail=f"no file {recording.value}")
    return None


def safe_name(identifier: str) -> str:
    """A file name for an utterance id: unsafe characters become '_', plus a short hash when any changed."""
    cleaned = "".join(char if char.isalnum() or char in "-_.," else "_" for char in identifier).lstrip(".")
    if cleaned == identifier and cleaned:
        return cleaned
    return f"{cleaned or 'utt'}-{hashlib.sha1(identifier.encode('utf-8')).hexdigest()[:8]}"
