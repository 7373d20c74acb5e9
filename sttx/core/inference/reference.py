"""Reference inference with libstt's exact framing, and the greedy CTC alignment used by transcribe and parity.

libstt (Coqui STT 1.4 ``stt.cc``) scales int16 by 1/32768, takes a 512-sample window every 320 samples while a
full window is available, then one flush window with the remaining samples zero-padded; 9 zero MFCC frames
precede and follow, and the model runs in ``n_steps`` chunks with the LSTM state carried. Running the whole
sequence at once from a zero state with SAME-padded context windows gives the same outputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import attrs
import numpy as np

from sttx.core.contract.frontend import DEEPSPEECH_FRONT_END, FrontEnd
from sttx.core.data.features import N_CONTEXT, STEP_SAMPLES, WINDOW_SAMPLES

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sttx.core.contract.decoding import Decoder
    from sttx.core.data.alphabet import Alphabet

WIN_STEP_MS = 20


class Acoustic(Protocol):
    """Anything that maps features [T, F] to per-frame probabilities [T', n_classes] (blank last).

    Features are DeepSpeech's MFCC [T, 26] unless the runtime has a ``front_end`` attribute (a FrontEnd), and
    T' = ceil(T / ``time_reduction``) when it has that attribute.
    """

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
    #: ms between output frames: 20 for DeepSpeech, hop x time reduction for other models (40 for the conformer)
    frame_ms: float = WIN_STEP_MS

    @property
    def start_ms(self) -> int:
        """Start time in milliseconds."""
        return round(self.timestep * self.frame_ms)


@attrs.frozen
class Transcript:
    """A decoded utterance: text and its tokens."""

    text: str
    tokens: tuple[Token, ...] = ()


def greedy_decode(probs: np.ndarray, alphabet: Alphabet, frame_ms: float = WIN_STEP_MS) -> Transcript:
    """Best path: argmax per frame, merge repeats, drop blanks (the last class); tokens keep their first frame."""
    from sttx.core.evaluation.decoding import greedy_decode as best_path

    path = best_path(np.asarray(probs).reshape(-1, alphabet.n_classes), blank=alphabet.blank)
    tokens = [(int(label), int(step)) for label, step in zip(path.labels, path.frames, strict=True)]
    if getattr(alphabet, "is_bytes", False):
        text = alphabet.decode([label for label, _ in tokens])
        return Transcript(text, tuple(Token(alphabet.decode([label]), step, frame_ms) for label, step in tokens))
    decoded = tuple(Token(alphabet.decode([label]), step, frame_ms) for label, step in tokens)
    return Transcript("".join(token.text for token in decoded), decoded)


def decoded_transcript(labels: Sequence[int], frames: Sequence[int], alphabet: Alphabet,
                       text: str | None = None, frame_ms: float = WIN_STEP_MS) -> Transcript:
    """A Transcript of emitted labels and their start frames (``text``: the decoder's, else the labels')."""
    tokens = tuple(Token(alphabet.decode([int(label)]), int(step), frame_ms)
                   for label, step in zip(labels, frames, strict=True))
    if text is None:
        text = alphabet.decode([int(label) for label in labels]) if getattr(alphabet, "is_bytes", False) else \
            "".join(token.text for token in tokens)
    return Transcript(text, tokens)


def front_end_of(acoustic: Any) -> FrontEnd:
    """The front end a runtime declares (``acoustic.front_end``); DeepSpeech's MFCC when it declares none."""
    return getattr(acoustic, "front_end", None) or DEEPSPEECH_FRONT_END


def acoustic_features(acoustic: Any, audio: np.ndarray, sample_rate: int = 16000) -> np.ndarray:
    """The features ``acoustic`` reads: libstt's MFCC framing for DeepSpeech, else its front end's features of the
    int16-quantised audio (as a deployment would read a 16-bit file)."""
    front_end = front_end_of(acoustic)
    if front_end == DEEPSPEECH_FRONT_END:
        return libstt_features(audio, sample_rate)
    import tensorflow as tf

    from sttx.core.data.features import compute_features

    return compute_features(tf.constant(quantize_like_libstt(audio)), front_end, sample_rate).numpy()


def output_frame_ms(acoustic: Any) -> float:
    """ms between the runtime's output frames (front-end hop x time reduction)."""
    return front_end_of(acoustic).hop_ms * int(getattr(acoustic, "time_reduction", 1) or 1)


def transcribe_audio(acoustic: Acoustic, alphabet: Alphabet, audio: np.ndarray,
                     decoder: Decoder | None = None) -> tuple[Transcript, np.ndarray]:
    """Features as the runtime's front end computes them (libstt's framing for DeepSpeech), probabilities, and the
    transcript (greedy, or ``decoder``'s best hypothesis): (transcript, probabilities)."""
    probs = acoustic.probabilities(acoustic_features(acoustic, audio))
    frame_ms = output_frame_ms(acoustic)
    if decoder is None:
        return greedy_decode(probs, alphabet, frame_ms), probs
    log_probs = np.log(np.maximum(np.asarray(probs, np.float64), 1e-30)).astype(np.float32)
    found = decoder.decode(log_probs.reshape(-1, alphabet.n_classes), 1)
    if not found:
        return Transcript(""), probs
    best = found[0]
    return decoded_transcript(best.labels, best.timesteps, alphabet, best.text, frame_ms), probs
