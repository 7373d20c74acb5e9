"""What a model plugin declares about its input: the front end (features) it reads and its training defaults."""

from __future__ import annotations

import math
from typing import Any

import attrs

from sttx.core.contract.errors import PluginError

FEATURE_KINDS = ("mfcc", "logmel")
NORMALISATIONS = ("none", "utterance")


def _check(instance: FrontEnd, attribute: Any, value: Any) -> None:
    allowed = {"kind": FEATURE_KINDS, "normalise": NORMALISATIONS}[attribute.name]
    if value not in allowed:
        raise PluginError(f"front end {attribute.name} {value!r} is not one of {', '.join(allowed)}")


@attrs.frozen(kw_only=True)
class FrontEnd:
    """The features a model consumes, computed by sttx's input pipeline from the power spectrogram.

    Every front end frames the waveform with a periodic Hann window of ``window_ms`` every ``hop_ms`` (the FFT is
    the next power of two: 512 points, 257 bins at 16 kHz for both built-ins, so spectrogram-domain
    augmentations see the same bins whichever model trains).

    :param kind: ``mfcc`` (DeepSpeech's: 40 mel filters from 20 Hz, log, DCT-II, ``n_features`` coefficients) or
        ``logmel`` (``n_features`` mel filters from 20 Hz to Nyquist over the power spectrum, natural log)
    :param normalise: ``none``, or ``utterance``: each feature channel to zero mean and unit variance over the clip
    :param context: frames of context on each side the model reads (information only: the model cuts them)
    """

    kind: str = attrs.field(default="mfcc", validator=_check)
    n_features: int = 26
    window_ms: float = 32.0
    hop_ms: float = 20.0
    normalise: str = attrs.field(default="none", validator=_check)
    context: int = 0

    def window_samples(self, sample_rate: int = 16000) -> int:
        """Samples per analysis window."""
        return round(self.window_ms * sample_rate / 1000)

    def hop_samples(self, sample_rate: int = 16000) -> int:
        """Samples between window starts."""
        return round(self.hop_ms * sample_rate / 1000)

    def n_frames(self, n_samples: int, sample_rate: int = 16000) -> int:
        """Frames of ``n_samples`` (full windows only, no edge padding): 0 for a clip shorter than one window."""
        window, hop = self.window_samples(sample_rate), self.hop_samples(sample_rate)
        return 1 + (n_samples - window) // hop if n_samples >= window else 0

    def describe(self) -> str:
        """One line for ``sttx plugins``: ``26 mfcc, 32/20 ms, 9+9 context frames``."""
        context = f", {self.context}+{self.context} context frames" if self.context else ""
        norm = f", {self.normalise} normalisation" if self.normalise != "none" else ""
        return f"{self.n_features} {self.kind}, {self.window_ms:g}/{self.hop_ms:g} ms{context}{norm}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields (exports store them so a runtime computes the same features)."""
        return attrs.asdict(self)


#: DeepSpeech 0.9's features: 26 MFCC over 32 ms windows every 20 ms, read with 9 frames of context each side.
DEEPSPEECH_FRONT_END = FrontEnd(kind="mfcc", n_features=26, window_ms=32.0, hop_ms=20.0, context=9)


def min_feature_frames(label_frames: int, time_reduction: int) -> int:
    """Feature frames a clip needs so a model that keeps one output per ``time_reduction`` frames (ceil) still has
    ``label_frames`` outputs: the smallest T with ceil(T / r) >= label_frames."""
    if label_frames <= 0:
        return 0
    return (label_frames - 1) * time_reduction + 1


def output_frames(feature_frames: int, time_reduction: int) -> int:
    """Outputs of a model that keeps one frame per ``time_reduction`` (ceil, as SAME-padded strides give)."""
    return math.ceil(feature_frames / time_reduction)
