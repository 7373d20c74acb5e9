"""codec: an Opus encode/decode round trip at a drawn bitrate, in-process through opuslib."""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import numpy as np

from sttx import hookimpl
from sttx.core.contract.augmentation import Augmentation, AugmentContext, param

#: Rates libopus encodes directly; others go through 16 kHz.
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
FRAME_MS = 60  # DeepSpeech's SDB Opus container used 60 ms frames; fewer calls than 20 ms
_MAX_PACKET = 4000  # bytes; libopus's recommended packet buffer


@functools.cache
def _libopus() -> tuple[Any, Any]:
    """Own prototypes of opus_encode_float/opus_decode_float that take raw pointers into numpy buffers.

    opuslib's wrappers copy every decoded frame through a Python list; these write straight into the array.
    ``CDLL[name]`` makes fresh function objects, so opuslib's own prototypes stay untouched.
    """
    import opuslib.api

    library = opuslib.api.libopus
    encode, decode = library["opus_encode_float"], library["opus_decode_float"]
    encode.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int32)
    encode.restype = ctypes.c_int32
    decode.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int32, ctypes.c_void_p, ctypes.c_int, ctypes.c_int)
    decode.restype = ctypes.c_int
    return encode, decode


def opus_round_trip(audio: np.ndarray, rate: int, bitrate: int, complexity: int) -> np.ndarray:
    """Encode ``audio`` (float32 mono at an Opus rate) to Opus packets and decode it, delay-compensated."""
    import opuslib

    encoder = opuslib.Encoder(rate, 1, opuslib.APPLICATION_AUDIO)
    encoder.bitrate = bitrate
    encoder.complexity = complexity
    decoder = opuslib.Decoder(rate, 1)
    encode, decode = _libopus()
    encoder_state = ctypes.cast(encoder.encoder_state, ctypes.c_void_p)
    decoder_state = ctypes.cast(decoder.decoder_state, ctypes.c_void_p)
    frame = rate * FRAME_MS // 1000
    delay = int(encoder.lookahead)  # decoded audio lags by the encoder's look-ahead
    total = -(-(len(audio) + delay) // frame) * frame
    padded = np.zeros(total, dtype=np.float32)
    padded[: len(audio)] = audio
    decoded = np.empty(total, dtype=np.float32)
    packet = ctypes.create_string_buffer(_MAX_PACKET)
    source, target = padded.ctypes.data, decoded.ctypes.data
    for start in range(0, total, frame):
        size = encode(encoder_state, source + 4 * start, frame, packet, _MAX_PACKET)
        if size < 0 or decode(decoder_state, packet, size, target + 4 * start, frame, 0) != frame:
            raise RuntimeError(f"libopus failed on a {FRAME_MS} ms frame at {rate} Hz, {bitrate} bit/s")
    return decoded[delay : delay + len(audio)].copy()


@attrs.frozen(kw_only=True)
class Codec(Augmentation):
    """Compress with Opus at ``bitrate`` bit/s and decompress (frames of 60 ms, the look-ahead removed).

    ``complexity`` (0-10, libopus's encoder effort) is an sttx addition: 0 encodes several times faster than
    libopus's default 10 with the same kind of artefacts.
    """

    name: ClassVar[str] = "codec"
    domain: ClassVar[str] = "sample"

    bitrate: Any = param(3200, "int_range", low=500, high=512000, help="Opus bitrate, bit/s")
    complexity: int = param(0, "int", low=0, high=10, help="Opus encoder complexity (10 = libopus default)")

    def apply(self, data: np.ndarray, params: Mapping[str, Any], context: AugmentContext) -> np.ndarray:
        """Round-trip ``data`` through Opus at ``params['bitrate']``."""
        audio = np.asarray(data, dtype=np.float32)
        if len(audio) == 0:
            return audio.copy()
        bitrate = min(512000, max(500, int(params["bitrate"])))
        rate = context.sample_rate
        if rate in OPUS_RATES:
            return opus_round_trip(audio, rate, bitrate, int(params["complexity"]))
        coded = opus_round_trip(_convert_rate(audio, rate, 16000), 16000, bitrate, int(params["complexity"]))
        return _convert_rate(coded, 16000, rate, len(audio))


def _convert_rate(audio: np.ndarray, rate: int, target: int, length: int | None = None) -> np.ndarray:
    """Resample with soxr; with ``length``, cut or zero-pad to it."""
    import soxr

    out = np.asarray(soxr.resample(audio, rate, target, quality="HQ"), dtype=np.float32)
    if length is None:
        return out
    return np.concatenate([out, np.zeros(max(0, length - len(out)), dtype=np.float32)])[:length]


@hookimpl
def register_augmentations(register: Any) -> None:
    """Contribute ``codec``."""
    register.add("codec", Codec)
