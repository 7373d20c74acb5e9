"""The decoder contract: settings with DeepSpeech's flag names and defaults, the Decoder protocol, its results."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs

from sttx.core.contract.errors import UsageError

if TYPE_CHECKING:
    import numpy as np

#: DeepSpeech 0.9's release scorer pair, found with its lm_optimizer (used when neither flag nor scorer gives one)
DEFAULT_ALPHA = 0.931289039105002
DEFAULT_BETA = 1.1834137581510284


def parse_hot_words(text: str) -> tuple[tuple[str, float], ...]:
    """``--hot_words "word:boost,word:boost"`` -> ((word, boost), ...); a bad entry is a UsageError naming it."""
    pairs: list[tuple[str, float]] = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        word, colon, boost = entry.rpartition(":")
        try:
            value = float(boost)
        except ValueError:
            value = math.nan
        if not colon or not word.strip() or not math.isfinite(value):
            raise UsageError(f"--hot_words: {entry!r} is not word:boost (a word, a colon, a finite number)")
        pairs.append((word.strip(), value))
    return tuple(pairs)


def _hot_words(value: object) -> tuple[tuple[str, float], ...]:
    if isinstance(value, str):
        return parse_hot_words(value)
    items = value.items() if isinstance(value, dict) else value
    return tuple((str(word), float(boost)) for word, boost in items)  # type: ignore[union-attr]


def _positive(instance: object, attribute: attrs.Attribute, value: int) -> None:
    if value < 1:
        raise UsageError(f"--{attribute.name} must be at least 1, not {value}")


def _probability(instance: object, attribute: attrs.Attribute, value: float) -> None:
    if not 0.0 < value <= 1.0:
        raise UsageError(f"--{attribute.name} must be in (0, 1], not {value}")


@attrs.frozen(kw_only=True)
class DecodeSettings:
    """How to decode: DeepSpeech's flags (``--beam_width 1024``, ``--cutoff_prob 1.0``, ``--cutoff_top_n 300``).

    :param scorer_path: a Coqui ``.scorer`` package, or an ARPA file (its unigrams are the vocabulary); "" for none
    :param lm_alpha: language-model weight; None takes the scorer's embedded value, else DeepSpeech's release value
    :param lm_beta: word insertion bonus; None as for ``lm_alpha``
    :param hot_words: (word, boost) pairs; the boost is added to the word's LM log-probability before alpha
    """

    beam_width: int = attrs.field(default=1024, validator=_positive)
    scorer_path: str = ""
    lm_alpha: float | None = None
    lm_beta: float | None = None
    cutoff_prob: float = attrs.field(default=1.0, validator=_probability)
    cutoff_top_n: int = attrs.field(default=300, validator=_positive)
    hot_words: tuple[tuple[str, float], ...] = attrs.field(default=(), converter=_hot_words)

    def __attrs_post_init__(self) -> None:
        if self.hot_words and not self.scorer_path:
            raise UsageError("--hot_words needs --scorer_path: a boost is added to the language model's score")

    def alpha_beta(self, embedded: tuple[float, float] | None = None) -> tuple[float, float]:
        """(alpha, beta): the flags where given, else the scorer's embedded pair, else DeepSpeech's release pair."""
        alpha, beta = embedded if embedded is not None else (DEFAULT_ALPHA, DEFAULT_BETA)
        return (alpha if self.lm_alpha is None else self.lm_alpha, beta if self.lm_beta is None else self.lm_beta)


@attrs.frozen
class Hypothesis:
    """One decoded candidate: its text, its score (log domain, higher is better), and its emitted labels.

    :param labels: the alphabet indices emitted, in order (no blanks, repeats merged)
    :param timesteps: the frame where each label starts (same length as ``labels``)
    """

    text: str
    score: float
    labels: tuple[int, ...] = ()
    timesteps: tuple[int, ...] = ()


@runtime_checkable
class Decoder(Protocol):
    """Turns one utterance's per-frame log-probabilities into ranked hypotheses."""

    name: str

    def decode(self, log_probs: np.ndarray, num_results: int = 1) -> list[Hypothesis]:
        """Decode ``log_probs`` [T, C] float32 (log-softmax outputs, blank last); best first, at most num_results."""
        ...


def decode_all(decoder: Decoder, outputs: Sequence[np.ndarray]) -> list[Hypothesis]:
    """The best hypothesis of each utterance, in order (an empty hypothesis when nothing decodes)."""
    results = []
    for log_probs in outputs:
        found = decoder.decode(log_probs, 1)
        results.append(found[0] if found else Hypothesis("", float("-inf")))
    return results


#: the decoding flags a command config carries flat (DeepSpeech's names), besides ``decoder``
DECODE_FLAGS = ("scorer_path", "beam_width", "lm_alpha", "lm_beta", "cutoff_prob", "cutoff_top_n", "hot_words")


def settings_of(config: object) -> DecodeSettings:
    """The DecodeSettings of a command config holding the DECODE_FLAGS as attributes."""
    return DecodeSettings(**{name: getattr(config, name) for name in DECODE_FLAGS})
