"""The per-sample Python steps of the input pipeline: decode, augment by domain, and the CTC length check."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

from sttx.core.contract.augmentation import Augmentation, apply_chain
from sttx.core.contract.clock import clock
from sttx.core.contract.frontend import DEEPSPEECH_FRONT_END, FrontEnd
from sttx.core.data.rejects import TOO_SHORT, UNREADABLE, RejectLog

Chain = list[tuple[int, Augmentation]]
_EMPTY_AUDIO = np.zeros(0, dtype=np.float32)
_NO_LABELS = np.zeros(0, dtype=np.int32)


def _audio_error() -> type[Exception]:
    """The error SampleRef.load raises for unreadable audio."""
    from sttx.core.data.audio import AudioError

    return AudioError


def split_chains(augmentations: Sequence[Augmentation]) -> dict[str, Chain]:
    """``[(position in --augment, augmentation)]`` per domain, in --augment order."""
    chains: dict[str, Chain] = {"sample": [], "signal": [], "spectrogram": [], "features": []}
    for position, augmentation in enumerate(augmentations):
        chains[augmentation.active_domain].append((position, augmentation))
    return chains


@attrs.define(eq=False)
class Stages:
    """What the pipeline's ``tf.numpy_function`` calls run for one element of one epoch.

    Every call is pure given its arguments (each augmentation's generator is seeded from (seed, epoch, sample
    index + copy * len(refs), position)), so output never depends on worker count or scheduling. The CTC check
    runs in the last Python step a sample goes through: ``check_in`` names that step's domain.
    """

    refs: Sequence[Any]
    labels: Sequence[np.ndarray | None]
    min_frames: np.ndarray
    chains: dict[str, Chain]
    rejects: RejectLog
    sample_rate: int
    seed: int
    epochs: int
    clock_mode: str
    check_in: str
    front_end: FrontEnd = DEEPSPEECH_FRONT_END

    def _context(self, index: int, copy: int, position: int, count: int, epoch: int) -> dict[str, Any]:
        """Keyword arguments of apply_chain for this element."""
        labels = self.labels[index]
        return {
            "sample_rate": self.sample_rate,
            "clock": clock(epoch, self.epochs, position, count, self.clock_mode),
            "seed": self.seed,
            "epoch": epoch,
            "index": index + copy * len(self.refs),
            "label_length": 0 if labels is None else len(labels),
            "frame_ms": self.front_end.hop_ms,
            "min_frames": int(self.min_frames[index]),
        }

    def _long_enough(self, index: int, frames: int) -> bool:
        """Record a too-short sample (fewer frames than CTC needs) and say whether to keep it."""
        if frames >= self.min_frames[index]:
            return True
        detail = f"{frames} frames < {self.min_frames[index]} needed"
        self.rejects.add(self.refs[index].id, TOO_SHORT, detail)
        return False

    def decode(self, index: Any, copy: Any, position: Any, count: Any, epoch: Any) -> tuple[Any, ...]:
        """Load, resample and augment (sample then signal domain): ``(audio, labels, id, keep)``."""
        index = int(index)
        if index < 0:  # a filler closing a short batch
            return _EMPTY_AUDIO, _NO_LABELS, b"", False
        ref = self.refs[index]
        return self._decoded(lambda: ref.load(target_rate=self.sample_rate).audio, index, copy, position, count, epoch)

    def decode_bytes(self, data: Any, index: Any, copy: Any, position: Any, count: Any, epoch: Any) -> tuple[Any, ...]:
        """As ``decode``, with the audio decoded from ``data`` (the encoded file a shard record holds)."""
        from sttx.core.data.sources import BytesAudio

        index = int(index)
        name = str(self.refs[index].id)
        return self._decoded(lambda: BytesAudio(bytes(data)).read(self.sample_rate, name), index, copy, position,
                             count, epoch)

    def _decoded(self, load: Callable[[], Any], index: int, copy: Any, position: Any, count: Any,
                 epoch: Any) -> tuple[Any, ...]:
        """Run ``load``, then the sample and signal chains and the CTC check (when it belongs here)."""
        copy, position, count, epoch = int(copy), int(position), int(count), int(epoch)
        ref = self.refs[index]
        labels = self.labels[index]
        sample_id = str(ref.id).encode("utf-8")
        try:
            audio = np.asarray(load(), dtype=np.float32).reshape(-1)
        except _audio_error() as error:
            self.rejects.add(str(ref.id), UNREADABLE, str(error))
            return _EMPTY_AUDIO, labels, sample_id, False
        chain = self.chains["sample"] + self.chains["signal"]
        if chain:
            context = self._context(index, copy, position, count, epoch)
            audio = np.asarray(apply_chain(chain, audio, **context)[0], dtype=np.float32).reshape(-1)
        frames = self.front_end.n_frames(len(audio), self.sample_rate)
        keep = self.check_in != "sample" or self._long_enough(index, frames)
        return audio, labels, sample_id, keep

    def augment(self, domain: str, data: Any, index: Any, copy: Any, position: Any, count: Any, epoch: Any,
                keep: Any) -> tuple[np.ndarray, bool]:
        """Apply the ``domain`` chain to ``data`` ([T, 257] or [T, n_features]); ``(data, keep)``."""
        if not keep:
            return data, False
        index = int(index)
        context = self._context(index, int(copy), int(position), int(count), int(epoch))
        data = np.asarray(apply_chain(self.chains[domain], data, **context)[0], dtype=np.float32)
        return data, self.check_in != domain or self._long_enough(index, int(data.shape[0]))
