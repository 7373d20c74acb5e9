"""overlay's graph half: noise stitched from WAV files read on the worker (tf.io.read_file + tf.audio.decode_wav).

The graph runs where the noise files are read, so their paths must be valid on the tf.data service workers too.
Only mono 16-bit WAV at the run's sample rate can be decoded in graph; other noise stays on the Python path.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from sttx.api import UsageError, graph_seed
from sttx.plugins.augment._graph import max_dbfs, normalize
from sttx.plugins.augment._noise import AUDIO_SUFFIXES


@functools.cache
def wav_files(source: str, rate: int) -> tuple[str, ...]:
    """The noise files of ``source`` (a WAV file or a folder of them, sorted), checked for decoding in graph."""
    import soundfile

    path = Path(source)
    if not path.is_dir() and path.suffix.lower() not in AUDIO_SUFFIXES:
        raise UsageError(f"overlay in graph (--data_service) reads a WAV file or a folder of them, not the "
                         f"collection {source}")
    audio = (item for item in path.rglob("*") if item.is_file() and item.suffix.lower() in AUDIO_SUFFIXES)
    files = sorted(str(item) for item in audio) if path.is_dir() else [source]  # the clips the numpy path takes
    for name in files:
        try:
            info = soundfile.info(name)
        except (RuntimeError, OSError, soundfile.LibsndfileError) as error:
            raise UsageError(f"overlay in graph (--data_service) reads WAV noise only: {name} ({error})") from None
        found = (info.format, info.subtype, info.channels, info.samplerate)
        if found != ("WAV", "PCM_16", 1, rate):
            raise UsageError(f"overlay in graph (--data_service) reads mono 16-bit WAV noise at {rate} Hz only: "
                             f"{name} is {found[0]} {found[1]}, {found[2]} channel(s), {found[3]} Hz")
        if info.frames == 0:
            raise UsageError(f"overlay in graph (--data_service): {name} holds no audio")
    if not files:
        raise UsageError(f"overlay in graph (--data_service): {source} holds no WAV noise")
    return tuple(files)


def _clip(files: Any, index: Any) -> Any:
    import tensorflow as tf

    return tf.audio.decode_wav(tf.io.read_file(files[index]), desired_channels=1)[0][:, 0]


def stitch(files: Any, where: Any, length: Any) -> Any:
    """``length`` samples from clip ``floor(where[0]*n)`` at offset ``floor(where[1]*len)``, then the next clips."""
    import tensorflow as tf

    count = tf.size(files)
    index = tf.minimum(tf.cast(tf.floor(where[0] * tf.cast(count, tf.float64)), tf.int32), count - 1)
    first = _clip(files, index)
    size = tf.maximum(1, tf.size(first))
    position = tf.minimum(tf.cast(tf.floor(where[1] * tf.cast(size, tf.float64)), tf.int32), size - 1)

    def more(filled: Any, *_: Any) -> Any:
        return filled < length

    def step(filled: Any, clip: Any, index: Any, position: Any, pieces: Any) -> tuple[Any, ...]:
        piece = clip[position : position + tf.minimum(length - filled, tf.size(clip) - position)]
        following = (index + 1) % count
        return (filled + tf.size(piece), _clip(files, following), following, tf.constant(0),
                pieces.write(pieces.size(), piece))

    pieces = tf.TensorArray(tf.float32, size=0, dynamic_size=True, infer_shape=False)
    loop = tf.while_loop(more, step, [tf.constant(0), first, index, position, pieces],
                         shape_invariants=[tf.TensorShape([]), tf.TensorShape([None]), tf.TensorShape([]),
                                           tf.TensorShape([]), tf.TensorShape(None)])
    return tf.concat([loop[4].concat(), tf.zeros([0], tf.float32)], 0)[:length]


def overlay_params(drawn: dict[str, Any], layers: Any, seed: Any) -> dict[str, Any]:
    """``drawn`` plus ``where``: the starting clip and offset of every layer ``layers`` can draw, as shares."""
    import tensorflow as tf

    most = max(0, round(layers.bounds()[1]))
    return {**drawn, "where": tf.random.stateless_uniform([most, 2], graph_seed(seed, 2000), dtype=tf.float64)}


def overlay(audio: Any, params: Any, files: tuple[str, ...]) -> Any:
    """``Overlay.apply`` in graph: the layers summed, scaled to the drawn SNR, the mix renormalised."""
    import tensorflow as tf

    names, length = tf.constant(files), tf.size(audio)
    level = max_dbfs(audio)
    layers = tf.minimum(tf.cast(params["layers"], tf.int32), tf.shape(params["where"])[0])

    def mix() -> Any:
        noise = tf.foldl(lambda total, layer: total + stitch(names, params["where"][layer], length),
                         tf.range(layers), initializer=tf.zeros([length], tf.float32))
        noise_level = max_dbfs(noise)
        gain = tf.pow(tf.constant(10.0, tf.float64), (level - noise_level - tf.cast(params["snr"], tf.float64)) / 20.0)
        mixed = normalize(audio + tf.cast(gain, tf.float32) * noise, level)
        return tf.where(tf.math.is_finite(noise_level), mixed, audio)

    runs = tf.logical_and(tf.logical_and(length > 0, layers > 0), tf.math.is_finite(level))
    return tf.cond(runs, mix, lambda: audio)
