"""Features in TensorFlow: DeepSpeech-identical MFCC, context windows, and the log-mel front end of other models."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tensorflow as tf

    from sttx.core.contract.frontend import FrontEnd

#: DeepSpeech's geometry: 26 MFCC coefficients, 9 frames of context on each side.
N_INPUT = 26
N_CONTEXT = 9


def context_windows(features: tf.Tensor, n_context: int = N_CONTEXT) -> tf.Tensor:
    """[B, T, C] -> [B, T, 2*n_context+1, C]: ``out[b, t, k] = features[b, t+k-n_context]``, zero outside.

    The same SAME-padded framing as DeepSpeech's identity conv1d and the native client's 9+9 zero frames.
    """
    import tensorflow as tf

    steps = tf.shape(features)[1]
    padded = tf.pad(features, [[0, 0], [n_context, n_context], [0, 0]])
    return tf.stack([padded[:, k : k + steps, :] for k in range(2 * n_context + 1)], axis=2)

#: DeepSpeech's framing at 16 kHz: 32 ms windows (512 samples) every 20 ms (320 samples), 257 FFT bins.
WINDOW_SAMPLES = 512
STEP_SAMPLES = 320
N_BINS = WINDOW_SAMPLES // 2 + 1
#: The MFCC op's filterbank: 40 mel channels from 20 Hz up to the Nyquist frequency.
N_FILTERS = 40
LOWER_HZ = 20.0


def n_frames(n_samples: int) -> int:
    """Feature frames for ``n_samples`` of audio: ``1 + (N-512)//320`` when N >= 512, else 0 (no edge padding)."""
    return 1 + (n_samples - WINDOW_SAMPLES) // STEP_SAMPLES if n_samples >= WINDOW_SAMPLES else 0


def spectrogram(audio: tf.Tensor) -> tf.Tensor:
    """float32 waveform [N] -> power spectrogram [T, 257] (periodic Hann, 512/320), DeepSpeech's op."""
    import tensorflow as tf

    spec = tf.raw_ops.AudioSpectrogram(
        input=tf.reshape(audio, [-1, 1]), window_size=WINDOW_SAMPLES, stride=STEP_SAMPLES, magnitude_squared=True
    )
    return spec[0]


def mfcc_from_spectrogram(spec: tf.Tensor, sample_rate: int = 16000) -> tf.Tensor:
    """Power spectrogram [T, 257] -> MFCC [T, 26]: 40 mel filters from 20 Hz to Nyquist, log, DCT-II; no norm."""
    import tensorflow as tf

    features = tf.raw_ops.Mfcc(
        spectrogram=spec[None],
        sample_rate=sample_rate,
        upper_frequency_limit=sample_rate / 2,
        lower_frequency_limit=LOWER_HZ,
        filterbank_channel_count=N_FILTERS,
        dct_coefficient_count=N_INPUT,
    )
    return features[0]


def mfcc(audio: tf.Tensor, sample_rate: int = 16000) -> tf.Tensor:
    """float32 waveform [N] -> MFCC [T, 26], identical to DeepSpeech's ``audio_to_features``."""
    return mfcc_from_spectrogram(spectrogram(audio), sample_rate)


#: log-mel filterbank range, and the floor added before the log (keeps silence finite)
MEL_LOWER_HZ = 20.0
LOG_FLOOR = 1e-6


def front_end_spectrogram(audio: tf.Tensor, front_end: FrontEnd, sample_rate: int = 16000) -> tf.Tensor:
    """float32 waveform [N] -> power spectrogram [T, bins] with the front end's window and hop (periodic Hann)."""
    import tensorflow as tf

    if front_end.window_samples(sample_rate) == WINDOW_SAMPLES and front_end.hop_samples(sample_rate) == STEP_SAMPLES:
        return spectrogram(audio)
    spec = tf.raw_ops.AudioSpectrogram(
        input=tf.reshape(audio, [-1, 1]), window_size=front_end.window_samples(sample_rate),
        stride=front_end.hop_samples(sample_rate), magnitude_squared=True)
    return spec[0]


def features_from_spectrogram(spec: tf.Tensor, front_end: FrontEnd, sample_rate: int = 16000) -> tf.Tensor:
    """Power spectrogram [T, bins] -> the front end's features [T, n_features] (normalised as it declares)."""
    import tensorflow as tf

    if front_end.kind == "mfcc":
        if front_end.n_features == N_INPUT:
            features = mfcc_from_spectrogram(spec, sample_rate)
        else:
            features = tf.raw_ops.Mfcc(
                spectrogram=spec[None], sample_rate=sample_rate, upper_frequency_limit=sample_rate / 2,
                lower_frequency_limit=LOWER_HZ, filterbank_channel_count=N_FILTERS,
                dct_coefficient_count=front_end.n_features)[0]
    else:
        matrix = tf.signal.linear_to_mel_weight_matrix(
            front_end.n_features, tf.shape(spec)[-1], sample_rate, MEL_LOWER_HZ, sample_rate / 2)
        features = tf.math.log(tf.matmul(spec, matrix) + LOG_FLOOR)
    if front_end.normalise == "utterance":
        mean, variance = tf.nn.moments(features, axes=[0], keepdims=True)
        features = (features - mean) * tf.math.rsqrt(variance + 1e-5)
    return features


def compute_features(audio: tf.Tensor, front_end: FrontEnd, sample_rate: int = 16000) -> tf.Tensor:
    """float32 waveform [N] -> the front end's features [T, n_features]."""
    return features_from_spectrogram(front_end_spectrogram(audio, front_end, sample_rate), front_end, sample_rate)
