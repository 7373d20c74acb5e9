"""What every importer does with its rows: convert audio in parallel (resumable), judge each row, write CSVs."""

from __future__ import annotations

import concurrent.futures
import csv
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import attrs
from tqdm import tqdm

from sttx.core.data.audio import AudioError, audio_info, encode_audio, read_audio
from sttx.core.data.importing import LabelFilter, RowOutcome, too_short

_FORMATS = {"wav": "WAV", "flac": "FLAC"}


@attrs.frozen(kw_only=True)
class SourceRow:
    """One row of a corpus listing: where it came from, its clip (None when the row names none) and sentence.

    ``span`` is (start, end) in seconds when the clip is a segment of a longer recording (STM, Kaldi segments);
    ``skip`` is a reason decided from the listing alone (a malformed line, an excluded segment), so the row is
    reported without its audio being read.
    """

    collection: str
    source: str
    line: int
    audio: Path | None
    audio_text: str
    sentence: str
    speaker: str = ""
    span: tuple[float, float] | None = None
    skip: str | None = None
    detail: str = ""


@attrs.frozen(kw_only=True)
class ImportOptions:
    """Options shared by all importers (DeepSpeech's flags of the same names)."""

    label_filter: LabelFilter = attrs.field(factory=LabelFilter)
    audio_format: str = "wav"
    sample_rate: int = 16000
    max_secs: float = 10.0
    jobs: int = 2
    space_after_every_character: bool = False
    absolute_paths: bool = False
    show_progress: bool | None = None


@attrs.frozen
class Converted:
    """A converted clip (``output`` set) or why it could not be converted (``error``)."""

    output: str | None
    frames: int = 0
    rate: int = 0
    filesize: int = 0
    error: str = ""


def _verified(target: Path, rate: int) -> Converted | None:
    """An earlier run's output, if complete and in the wanted shape (outputs are renamed into place when done)."""
    try:
        info = audio_info(target)
    except AudioError:
        return None
    if info.sample_rate != rate or info.channels != 1 or info.subtype != "PCM_16" or info.frames == 0:
        return None
    return Converted(str(target), info.frames, rate, target.stat().st_size)


#: a conversion: (source, destination, rate) or, for a segment, (source, destination, rate, start s, end s)
Job = tuple[str, str, int] | tuple[str, str, int, float, float]


def convert_clip(job: Job) -> Converted:
    """Decode ``source`` in-process (libsndfile, soxr) to 16-bit mono at ``rate``; reuse a verified earlier output."""
    source, destination, rate, *span = job
    target = Path(destination)
    done = _verified(target, rate)
    if done is not None:
        return done
    offset, duration = (span[0], span[1] - span[0]) if span else (0.0, None)
    try:
        audio = read_audio(source, target_rate=rate, offset=offset, duration=duration)
    except AudioError as error:
        return Converted(None, error=error.problem)
    except (ValueError, RuntimeError, MemoryError) as error:  # a decoder's surprise is one bad row, not a crash
        return Converted(None, error=f"cannot decode ({type(error).__name__}: {error})")
    part = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(encode_audio(audio, rate, _FORMATS[target.suffix.lstrip(".").lower()]))
    part.replace(target)  # atomic: an interrupted import never leaves a half-written clip behind
    return Converted(str(target), len(audio), rate, target.stat().st_size)


def convert_all(jobs: Sequence[Job], workers: int, show: bool | None = None) -> list[Converted]:
    """Convert in a process pool, in order, with a progress bar.

    Workers are forked (fast to start) unless TensorFlow is loaded in this process, whose threads make fork
    unsafe; then they are spawned, which needs the usual ``if __name__ == "__main__":`` guard in scripts.
    """
    bar = {"total": len(jobs), "desc": "Converting", "unit": "clip", "disable": None if show is None else not show}
    if workers <= 1 or len(jobs) <= 1:
        return [convert_clip(job) for job in tqdm(jobs, **bar)]
    safe_to_fork = os.name == "posix" and "tensorflow" not in sys.modules
    context = multiprocessing.get_context("fork" if safe_to_fork else "spawn")
    chunk = max(1, min(32, len(jobs) // (workers * 8)))
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(tqdm(pool.map(convert_clip, jobs, chunksize=chunk), **bar))


def import_rows(rows: Sequence[SourceRow], target_for: Callable[[Path], Path], options: ImportOptions) -> list[
        RowOutcome]:
    """Convert every distinct existing clip (or segment) once, then give each row its outcome (imported or why not).

    A segment's output is named after its recording's target with the span in milliseconds appended.
    """
    wanted = {(row.audio, row.span) for row in rows if row.skip is None and row.audio is not None
              and row.audio.is_file()}
    keys = sorted(wanted, key=lambda key: (str(key[0]), key[1] or (0.0, 0.0)))
    results = convert_all([_job(audio, span, target_for(audio), options.sample_rate) for audio, span in keys],
                          options.jobs, options.show_progress)
    converted = dict(zip(keys, results, strict=True))
    seen: set[tuple[str, Path, tuple[float, float] | None]] = set()
    outcomes = []
    for row in rows:
        if row.audio is None:
            outcomes.append(_judge(row, None, False, options))
            continue
        key = (row.collection, row.audio, row.span)
        outcomes.append(_judge(row, converted.get((row.audio, row.span)), key in seen, options))
        if row.skip is None:
            seen.add(key)
    return outcomes


def _job(audio: Path, span: tuple[float, float] | None, target: Path, rate: int) -> Job:
    if span is None:
        return (str(audio), str(target), rate)
    named = target.with_name(f"{target.stem}-{round(span[0] * 1000):07d}-{round(span[1] * 1000):07d}{target.suffix}")
    return (str(audio), str(named), rate, span[0], span[1])


def _judge(row: SourceRow, done: Converted | None, duplicate: bool, options: ImportOptions) -> RowOutcome:
    base = RowOutcome(collection=row.collection, source=row.source, line=row.line, audio=row.audio_text,
                      sentence=row.sentence, speaker=row.speaker)
    if row.skip is not None:
        return attrs.evolve(base, reason=row.skip, detail=row.detail)
    if duplicate:
        return attrs.evolve(base, reason="duplicate", detail=f"{row.audio_text} is listed earlier")
    if row.audio is None or done is None:
        return attrs.evolve(base, reason="missing_clip", detail=f"no file {row.audio or '(no path)'}")
    if done.output is None:
        return attrs.evolve(base, reason="unreadable_audio", detail=done.error)
    duration = done.frames / done.rate
    base = attrs.evolve(base, output=Path(done.output), filesize=done.filesize, duration=duration)
    if not row.sentence.strip():
        return attrs.evolve(base, reason="empty_sentence", detail="no text")
    label = options.label_filter(row.sentence)
    if label is None:
        return attrs.evolve(base, reason="invalid_label", detail="rejected by the label validator or alphabet")
    if too_short(done.frames, done.rate, label):
        return attrs.evolve(base, reason="too_short", detail=f"{duration:.2f} s for {len(label)} characters")
    if duration > options.max_secs:
        return attrs.evolve(base, reason="too_long", detail=f"{duration:.2f} s > {options.max_secs:g} s")
    if options.space_after_every_character:
        label = " ".join(label)
    return attrs.evolve(base, transcript=label)


def write_csv(path: Path, outcomes: Iterable[RowOutcome], *, absolute_paths: bool = False) -> Path:
    """A DeepSpeech CSV of the imported rows; paths relative to the CSV's folder unless ``absolute_paths``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["wav_filename", "wav_filesize", "transcript"])
        for row in outcomes:
            if row.imported and row.output is not None:
                where = row.output.resolve() if absolute_paths else os.path.relpath(row.output, path.parent)
                writer.writerow([str(where), row.filesize, row.transcript])
    return path
