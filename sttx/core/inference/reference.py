"""Reference inference with libstt's exact framing, and the greedy CTC alignment used by transcribe and parity.

libstt (Coqui STT 1.4 ``stt.cc``) scales int16 by 1/32768, takes a 512-sample window every 320 samples while a
full window is available, then one flush window with the remaining samples zero-padded; 9 zero MFCC frames
precede and follow, and the model runs in ``n_steps`` chunks with the LSTM state carried. Running the whole
sequence at once from a zero state with SAME-padded context windows gives the same outputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import attrs
import numpy as np

from sttx.core.data.features import N_CONTEXT, STEP_SAMPLES, WINDOW_SAMPLES

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sttx.core.contract.decoding import Decoder
    from sttx.core.data.alphabet import Alphabet

WIN_STEP_MS = 20


class Acoustic(Protocol):
    """Anything that maps MFCC features [T, 26] to per-frame probabilities [T, n_classes] (blank last)."""

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Softmax outputs for one utterance."""
        ...


def quantize_like_libstt(audio: np.ndarray) -> np.ndarray:
    """float32 samples as libstt sees them: int16 values divided by 32768 (float input is rounded first)."""
    if audio.dtype == np.int16:
        return audio.astype(np.float32) / np.float32(32768)
    scaled = np.clip(np.round(np.asarray(audio, np.float64) * 32768), -32768, 32767)
    return (scaled / 32768).astype(np.float32)


def libstt_windows(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(full-window signal, flush window [512]): the samples every full window covers, and the zero-padded rest."""
    samples = quantize_like_libstt(audio)
    full = 1 + (len(samples) - WINDOW_SAMPLES) // STEP_SAMPLES if len(samples) >= WINDOW_SAMPLES else 0
    covered = samples[: (full - 1) * STEP_SAMPLES + WINDOW_SAMPLES] if full else samples[:0]
    rest = samples[full * STEP_SAMPLES :]
    flush = np.zeros(WINDOW_SAMPLES, np.float32)
    flush[: len(rest)] = rest
    return covered, flush


def libstt_features(audio: np.ndarray, sample_rate: int = 16000) -> np.ndarray:
    """MFCC [T, 26] exactly as libstt computes them: every full window plus the flush window (T >= 1)."""
    import tensorflow as tf

    from sttx.core.data.features import mfcc_from_spectrogram, spectrogram

    covered, flush = libstt_windows(audio)
    parts = [spectrogram(tf.constant(flush))]
    if len(covered):
        parts.insert(0, spectrogram(tf.constant(covered)))
    return mfcc_from_spectrogram(tf.concat(parts, axis=0), sample_rate).numpy()


def flat_windows(features: np.ndarray, n_context: int = N_CONTEXT) -> np.ndarray:
    """[T, C] -> [T, (2*n_context+1)*C] with zero frames outside, frame index outer (the native client's buffer)."""
    steps, width = features.shape
    padded = np.concatenate([np.zeros((n_context, width)), features, np.zeros((n_context, width))]).astype(np.float32)
    return np.stack([padded[t : t + 2 * n_context + 1].reshape(-1) for t in range(steps)]) if steps else padded[:0]


@attrs.frozen
class Token:
    """One emitted label with the frame where the CTC alignment starts it."""

    text: str
    timestep: int

    @property
    def start_ms(self) -> int:
        """Start time in milliseconds (frames are 20 ms apart)."""
        return self.timestep * WIN_STEP_MS


@attrs.frozen
class Transcript:
    """A decoded utterance: text and its tokens."""

    text: str
    tokens: tuple[Token, ...] = ()


def greedy_decode(probs: np.ndarray, alphabet: Alphabet) -> Transcript:
    """Best path: argmax per frame, merge repeats, drop blanks (the last class); tokens keep their first frame."""
    from sttx.core.evaluation.decoding import greedy_decode as best_path

    path = best_path(np.asarray(probs).reshape(-1, alphabet.n_classes), blank=alphabet.blank)
    tokens = [(int(label), int(step)) for label, step in zip(path.labels, path.frames, strict=True)]
    if getattr(alphabet, "is_bytes", False):
        text = alphabet.decode([label for label, _ in tokens])
        return Transcript(text, tuple(Token(alphabet.decode([label]), step) for label, step in tokens))
    decoded = tuple(Token(alphabet.decode([label]), step) for label, step in tokens)
    return Transcript("".join(token.text for token in decoded), decoded)


def decoded_transcript(labels: Sequence[int], frames: Sequence[int], alphabet: Alphabet,
                       text: str | None = None) -> Transcript:
    """A Transcript of emitted labels and their start frames (``text``: the decoder's, else the labels')."""
    tokens = tuple(Token(alphabet.decode([int(label)]), int(step)) for label, step in zip(labels, frames, strict=True))
    if text is None:
        text = alphabet.decode([int(label) for label in labels]) if getattr(alphabet, "is_bytes", False) else \
            "".join(token.text for token in tokens)
    return Transcript(text, tokens)


def transcribe_audio(acoustic: Acoustic, alphabet: Alphabet, audio: np.ndarray,
                     decoder: Decoder | None = None) -> tuple[Transcript, np.ndarray]:
    """Features with libstt's framing, probabilities, transcript (greedy, or ``decoder``'s best hypothesis)."""
    probs = acoustic.probabilities(libstt_features(audio))
    if decoder is None:
        return greedy_decode(probs, alphabet), probs
    log_probs = np.log(np.maximum(np.asarray(probs, np.float64), 1e-30)).astype(np.float32)
    found = decoder.decode(log_probs.reshape(-1, alphabet.n_classes), 1)
    if not found:
        return Transcript(""), probs
    best = found[0]
    return decoded_transcript(best.labels, best.timesteps, alphabet, best.text), probs
