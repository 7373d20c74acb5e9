"""Preview augmentations: pick clips from a source, augment them as training would, play or write them."""

from __future__ import annotations

import itertools
import re
import struct
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import attrs
import numpy as np

from sttx.core.contract.augmentation import Augmentation, Fired, apply_chain
from sttx.core.contract.errors import SttxError, UsageError
from sttx.core.contract.grammar import format_value
from sttx.core.contract.samples import SampleRef
from sttx.core.data.audio import AudioError, to_int16, write_audio
from sttx.core.data.sources import FileAudio

if TYPE_CHECKING:
    from sttx.core.contract.registry import SampleFormatRegistry

#: Domains that act on the waveform, in the order the pipeline applies them.
AUDIBLE_DOMAINS = ("sample", "signal")
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".opus", ".mp3")


class PlayError(UsageError):
    """A play request that cannot be carried out (bad source, bad selection)."""


class NothingDecodedError(SttxError):
    """Not one of the selected clips of a source could be decoded."""


@attrs.frozen(eq=False)
class Clip:
    """One augmented clip and what fired on it."""

    index: int
    id: str
    audio: np.ndarray
    sample_rate: int
    fired: list[Fired]

    def describe(self) -> str:
        """``#3 a.wav: reverb[delay=23.4,decay=9.1] volume[dbfs=-12.0]``, or that nothing fired."""
        parts = [f"{record.name}[{_params(record.params)}]" for record in self.fired]
        return f"#{self.index} {self.id}: " + (" ".join(parts) if parts else "no augmentation fired")


def _params(params: dict[str, object]) -> str:
    def text(value: object) -> str:
        if isinstance(value, float):
            return f"{value:.4g}"
        if isinstance(value, list):
            return "(" + " ".join(text(item) for item in value) + ")"
        return format_value(value)

    return ",".join(f"{key}={text(value)}" for key, value in params.items())


def source_refs(source: str, formats: SampleFormatRegistry) -> list[SampleRef]:
    """The clips of ``source``: one audio file, or every row of a CSV/SDB/JSONL collection."""
    from sttx.core.data.collections import read_collection

    path = Path(source)
    if path.suffix.lower() in AUDIO_SUFFIXES:
        if not path.is_file():
            raise PlayError(f"{source}: no such audio file")
        return [SampleRef(id=str(path), transcript=None, audio=FileAudio(str(path)))]
    return read_collection(source, formats)


def select(count: int, start: int, number: int, shuffle: bool, seed: int) -> list[int]:
    """Indices to play: all (or a seeded shuffle of them), from ``start``, at most ``number`` (-1: all)."""
    order = np.random.default_rng(seed).permutation(count) if shuffle else np.arange(count)
    if start < 0 or (count and start >= count):
        raise PlayError(f"--start {start} is outside the source's {count} samples")
    chosen = order[start:] if number < 0 else order[start : start + number]
    return [int(index) for index in chosen]


def audible(augmentations: Sequence[Augmentation]) -> tuple[list[tuple[int, Augmentation]], list[str]]:
    """The (position, augmentation) pairs that act on the waveform, sample domain first; and the names skipped."""
    pairs = list(enumerate(augmentations))
    chain = [pair for domain in AUDIBLE_DOMAINS for pair in pairs if pair[1].active_domain == domain]
    skipped = [aug.name for _, aug in pairs if aug.active_domain not in AUDIBLE_DOMAINS]
    return chain, skipped


def render(
    refs: Sequence[SampleRef],
    indices: Sequence[int],
    augmentations: Sequence[Augmentation],
    *,
    sample_rate: int = 16000,
    clock: float = 0.5,
    seed: int = 4568,
    unreadable: list[AudioError] | None = None,
) -> Iterator[Clip]:
    """Decode and augment each selected clip exactly as a training epoch 0 would (same seeds per sample).

    :param unreadable: collects the error of each clip that cannot be decoded; such clips are skipped
    """
    chain, _ = audible(augmentations)
    for index in indices:
        try:
            sample = refs[index].load(sample_rate)
        except AudioError as error:
            if unreadable is not None:
                unreadable.append(error)
            continue
        audio, fired = apply_chain(
            chain, sample.audio, sample_rate=sample_rate, clock=clock, seed=seed, epoch=0, index=index
        )
        yield Clip(index, sample.id, np.asarray(audio, dtype=np.float32), sample_rate, fired)


def first_decoded(clips: Iterator[Clip], unreadable: list[AudioError], source: str) -> Iterator[Clip]:
    """``clips`` as they come, once one has decoded; NothingDecodedError (why, by problem) when none does."""
    first = next(clips, None)
    if first is None and unreadable:
        problems = Counter(error.problem for error in unreadable)
        example = {error.problem: error.name for error in reversed(unreadable)}
        why = "; ".join(f"{problem}: {count} (e.g. {example[problem]})" for problem, count in problems.most_common(3))
        raise NothingDecodedError(f"no clip of {source} could be decoded ({len(unreadable)} tried): {why}")
    return itertools.chain([] if first is None else [first], clips)


def write_clips(clips: Sequence[Clip], output: Path) -> list[Path]:
    """A ``.wav``/``.flac`` ``output`` gets every clip in a row; any other path is a folder, one wav per clip."""
    if output.suffix.lower() in (".wav", ".flac"):
        output.parent.mkdir(parents=True, exist_ok=True)
        if clips:
            write_audio(output, np.concatenate([clip.audio for clip in clips]), clips[0].sample_rate)
        return [output]
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for clip in clips:
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(clip.id).stem) or "clip"
        path = output / f"{clip.index:06d}_{stem}.wav"
        write_audio(path, clip.audio, clip.sample_rate)
        written.append(path)
    return written


def wav_stream_header(sample_rate: int) -> bytes:
    """A 16-bit mono WAV header with open-ended sizes, for a stream of unknown length (``| aplay``, ``| sox``)."""
    size = 0x7FFFFFFF
    return (
        b"RIFF"
        + struct.pack("<I", size)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, sample_rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", size - 36)
    )


def pipe_clips(clips: Iterator[Clip], stream: BinaryIO, sample_rate: int) -> Iterator[Clip]:
    """Write one streaming WAV to ``stream``: the header, then each clip's PCM as it is rendered."""
    stream.write(wav_stream_header(sample_rate))
    for clip in clips:
        stream.write(to_int16(clip.audio).tobytes())
        stream.flush()
        yield clip


def play_clip(clip: Clip) -> bool:
    """Play through the default output device; False when sounddevice or a device is missing."""
    try:
        import sounddevice

        sounddevice.query_devices(kind="output")
        sounddevice.play(clip.audio, clip.sample_rate, blocking=True)
    except Exception:
        return False
    return True
