"""Sample and SampleRef: one utterance as it flows from a collection row into the pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    import numpy as np


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
