"""Sample types: Sample and SampleRef (an utterance from a collection row into the pipeline), AudioSource, AudioInfo."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

if TYPE_CHECKING:
    import numpy as np


@attrs.frozen
class AudioInfo:
    """What the header of an audio file says."""

    duration: float
    sample_rate: int
    channels: int
    frames: int
    format: str = ""
    subtype: str = ""


@attrs.frozen(kw_only=True, eq=False)
class Sample:
    """One utterance with its audio decoded.

    :param id: a stable identifier (a file path, or ``<collection>:<index>``)
    :param audio: float32 mono samples in [-1, 1]
    :param sample_rate: samples per second of ``audio``
    :param transcript: the label text, or None for unlabeled data
    """

    id: str
    audio: np.ndarray
    sample_rate: int = 16000
    transcript: str | None = None

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.audio) / self.sample_rate


@runtime_checkable
class AudioSource(Protocol):
    """Where a SampleRef's audio lives; ``read`` must be thread-safe and the object picklable."""

    def read(self, target_rate: int, name: str) -> np.ndarray:
        """Decode to float32 mono at ``target_rate``; AudioError names ``name`` on failure."""
        ...  # pragma: no cover

    def info(self, name: str) -> AudioInfo:
        """Rate, channels and length as stored, without decoding the samples."""
        ...  # pragma: no cover


@attrs.frozen(kw_only=True)
class SampleRef:
    """A collection row: cheap to keep by the million and to pickle; ``load()`` decodes the audio.

    :param id: a stable identifier (the audio path, or ``<collection>:<index>``)
    :param transcript: the label text, or None for unlabeled data
    :param audio: where the audio lives (FileAudio, BytesAudio, an SDB entry...)
    :param size: bytes of audio, DeepSpeech's sort key (``wav_filesize``)
    :param duration: seconds, when the collection knows it without decoding
    :param origin: the collection file and row, for messages (``train.csv row 3``)
    """

    id: str
    transcript: str | None
    audio: AudioSource
    size: int = 0
    duration: float | None = None
    origin: str | None = None

    def load(self, target_rate: int = 16000) -> Sample:
        """Decode to a Sample at ``target_rate`` (thread-safe; AudioError names the sample)."""
        audio = self.audio.read(target_rate, self.id)
        return Sample(id=self.id, audio=audio, sample_rate=target_rate, transcript=self.transcript)

    @property
    def where(self) -> str:
        """The row for messages: its origin when known, else its id."""
        return self.origin or self.id


@attrs.frozen(kw_only=True, eq=False)
class FileLayout:
    """A collection whose samples live in data files read front to back (a sharded corpus).

    Training's by-file input (``--shard_input file``) deals the files among the workers and streams each worker's
    own; the format says here what its files are and how to read them.

    :param files: the data files (absolute or relative to the working directory), in the collection's order
    :param rows: per file, the rows it holds as positions in the ``read`` order of the collection, in record order
    :param sizes: per file, its size in bytes as written (another size means a truncated or replaced file)
    :param records: ``records(path)``, ``path`` a scalar string tensor: a ``tf.data.Dataset`` of the encoded audio
        file (a scalar string: WAV, FLAC...) of each record, in record order
    """

    files: tuple[str, ...]
    rows: tuple[np.ndarray, ...]
    sizes: tuple[int, ...]
    records: Callable[[Any], Any]
