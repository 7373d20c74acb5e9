"""Transcribe files and folders with any runtime (export dir, .tflite, SavedModel, checkpoint), VAD-split."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from sttx.core.contract.decoding import Decoder
from sttx.core.contract.errors import SttxError, UsageError
from sttx.core.evaluation.decoders import Decoding
from sttx.core.inference.reference import transcribe_audio
from sttx.core.inference.vad import Segment, VadOptions, vad_segments

log = logging.getLogger(__name__)

AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".ogg", ".opus")


class TranscribeError(SttxError):
    """An input could not be transcribed (names the file)."""


@attrs.frozen
class SegmentResult:
    """One segment's transcript with its bounds and per-token start times (ms from the file's start)."""

    start_ms: int
    end_ms: int
    transcript: str
    tokens: tuple[tuple[str, int], ...] = ()

    def tlog(self) -> dict[str, Any]:
        """DeepSpeech's .tlog entry."""
        return {"start": self.start_ms, "end": self.end_ms, "transcript": self.transcript}

    def as_json(self) -> dict[str, Any]:
        """The --json entry, with token timings."""
        tokens = [{"text": text, "start_ms": start} for text, start in self.tokens]
        return {**self.tlog(), "tokens": tokens}


@attrs.frozen
class FileResult:
    """All segments of one file."""

    path: Path
    segments: tuple[SegmentResult, ...]

    @property
    def text(self) -> str:
        """Segment transcripts joined by spaces."""
        return " ".join(segment.transcript for segment in self.segments if segment.transcript)


def collect_audio_files(inputs: Iterable[str | Path], recursive: bool = False) -> list[Path]:
    """Files given directly, plus the audio files of given folders (``recursive``: all levels), sorted."""
    found: list[Path] = []
    for item in map(Path, inputs):
        if item.is_dir():
            pattern = item.rglob("*") if recursive else item.glob("*")
            found += sorted(p for p in pattern if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)
        elif item.is_file():
            found.append(item)
        else:
            raise UsageError(f"audio input {item} does not exist")
    if not found:
        raise UsageError(f"no audio files ({', '.join(AUDIO_EXTENSIONS)}) in {', '.join(map(str, inputs))}")
    return found


def transcribe_file(acoustic: Any, alphabet: Any, path: Path, vad: VadOptions | None,
                    decoder: Decoder | None = None) -> FileResult:
    """Read (16 kHz mono), split a long recording at pauses when ``vad`` is given, transcribe each piece as libstt.

    :param decoder: a registered decoder built for ``alphabet`` (None: greedy)
    """
    from sttx.core.data.audio import read_audio

    audio = read_audio(path)
    pieces = vad_segments(audio, 16000, vad) if vad else [Segment(0, len(audio) * 1000 // 16000, audio)]
    results = []
    for piece in pieces:
        start, end = piece.start_ms, piece.end_ms
        transcript, _ = transcribe_audio(acoustic, alphabet, piece.audio, decoder)
        tokens = tuple((token.text, start + token.start_ms) for token in transcript.tokens)
        results.append(SegmentResult(start, end, transcript.text, tokens))
    return FileResult(path, tuple(results))


def transcribe_paths(
    model: str | Path,
    inputs: Sequence[str | Path],
    *,
    recursive: bool = False,
    vad: VadOptions | None = None,
    tlog: bool = False,
    force: bool = False,
    progress: bool | None = None,
    decoding: Decoding | None = None,
) -> list[FileResult]:
    """Transcribe every input; with ``tlog`` write ``<audio>.tlog`` beside each (existing ones need ``force``).

    :param decoding: the chosen decoder (None: greedy)
    """
    from tqdm import tqdm

    from sttx.core.inference.loading import load_model

    files = collect_audio_files(inputs, recursive)
    if tlog and not force:
        existing = [f for f in files if f.with_suffix(".tlog").exists()]
        if existing:
            raise UsageError(f"{existing[0].with_suffix('.tlog')} exists; pass --force to overwrite")
    acoustic, alphabet = load_model(model)
    decoder = decoding.create(alphabet) if decoding is not None else None
    show = sys.stderr.isatty() and len(files) > 1 if progress is None else progress
    results = []
    for path in tqdm(files, desc="transcribe", unit="file", disable=not show):
        result = transcribe_file(acoustic, alphabet, path, vad, decoder)
        if tlog:
            entries = sorted((segment.tlog() for segment in result.segments), key=lambda entry: entry["start"])
            path.with_suffix(".tlog").write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
        results.append(result)
    return results
