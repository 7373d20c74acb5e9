"""Word and character error rates as DeepSpeech computed them, on rapidfuzz's Levenshtein distance.

Per sample: ``char_distance`` is the edit distance between the reference and the hypothesis strings,
``word_distance`` the one between their whitespace-split word lists; ``cer``/``wer`` divide by the reference
length. A corpus rate is Σdistances / Σlengths over its samples, capped at 1.0 as DeepSpeech did (a model that
babbles can make more edits than there are reference words; the cap keeps the figure a rate). Per-sample rates
are not capped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs


@attrs.frozen(kw_only=True)
class SampleScore:
    """One evaluated utterance; the fields are exactly the keys of DeepSpeech's ``--test_output_file`` objects."""

    wav_filename: str
    src: str
    res: str
    loss: float
    char_distance: int
    char_length: int
    word_distance: int
    word_length: int
    cer: float
    wer: float

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with the keys in DeepSpeech's order."""
        return attrs.asdict(self)


def rate(distance: int, length: int) -> float:
    """``distance / length``; an empty reference scores 0.0 when the hypothesis is empty too, else 1.0.

    DeepSpeech divided by zero here; sttx rejects empty transcripts before evaluation, so this only matters to
    callers scoring their own texts.
    """
    if length:
        return distance / length
    return 0.0 if distance == 0 else 1.0


def char_distance(reference: str, hypothesis: str) -> int:
    """Levenshtein distance between the two strings (codepoints)."""
    from rapidfuzz.distance import Levenshtein

    return int(Levenshtein.distance(reference, hypothesis))


def word_distance(reference: str, hypothesis: str) -> int:
    """Levenshtein distance between the whitespace-split word lists."""
    from rapidfuzz.distance import Levenshtein

    return int(Levenshtein.distance(reference.split(), hypothesis.split()))


def score_sample(wav_filename: str, src: str, res: str, loss: float) -> SampleScore:
    """Distances, lengths and rates of one reference/hypothesis pair."""
    chars, words = char_distance(src, res), word_distance(src, res)
    n_chars, n_words = len(src), len(src.split())
    return SampleScore(
        wav_filename=wav_filename,
        src=src,
        res=res,
        loss=float(loss),
        char_distance=chars,
        char_length=n_chars,
        word_distance=words,
        word_length=n_words,
        cer=rate(chars, n_chars),
        wer=rate(words, n_words),
    )


def corpus_rate(distances: Iterable[int], lengths: Iterable[int]) -> float:
    """Σdistances / Σlengths capped at 1.0 (0.0 for an empty corpus)."""
    total_distance, total_length = sum(distances), sum(lengths)
    if not total_length:
        return 0.0 if not total_distance else 1.0
    return min(1.0, total_distance / total_length)


def corpus_wer(samples: Sequence[SampleScore]) -> float:
    """Corpus word error rate, capped at 1.0."""
    return corpus_rate((s.word_distance for s in samples), (s.word_length for s in samples))


def corpus_cer(samples: Sequence[SampleScore]) -> float:
    """Corpus character error rate, capped at 1.0."""
    return corpus_rate((s.char_distance for s in samples), (s.char_length for s in samples))


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Corpus WER of parallel lists of texts (capped at 1.0)."""
    pairs = list(zip(references, hypotheses, strict=True))
    return corpus_rate((word_distance(r, h) for r, h in pairs), (len(r.split()) for r, _ in pairs))


def char_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Corpus CER of parallel lists of texts (capped at 1.0)."""
    pairs = list(zip(references, hypotheses, strict=True))
    return corpus_rate((char_distance(r, h) for r, h in pairs), (len(r) for r, _ in pairs))


def sort_like_deepspeech(samples: Iterable[SampleScore], *, bytes_mode: bool = False) -> list[SampleScore]:
    """Loss descending, then a stable sort by WER ascending (CER in bytes mode), as DeepSpeech's report.

    Within equal WER the higher-loss samples come first: confident mistakes surface among the worst.
    """
    ordered = sorted(samples, key=lambda s: s.loss, reverse=True)
    return sorted(ordered, key=(lambda s: s.cer) if bytes_mode else (lambda s: s.wer))
