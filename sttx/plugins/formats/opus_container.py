"""DeepSpeech's SDB Opus container (application/vnd.mozilla.opus): PCM header, then length-prefixed packets."""

from __future__ import annotations

import struct

import numpy as np

from sttx.core.data.audio import AudioError, to_int16

MIME_TYPE = "application/vnd.mozilla.opus"
FRAME_MS = 60
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
_HEADER = struct.Struct(">IIBB")  # pcm_len bytes, rate, channels, width
_PACKET_LEN = struct.Struct(">H")
_WIDTH = 2  # 16-bit PCM


def frame_samples(rate: int) -> int:
    """Samples per channel in one 60 ms frame."""
    return FRAME_MS * rate // 1000


def encode_opus(audio: np.ndarray, rate: int, bitrate: int | None = None, name: str = "<audio>") -> bytes:
    """float32 mono -> the container: header, then each zero-padded 60 ms frame as uint16 BE length + packet."""
    import opuslib

    if rate not in OPUS_RATES:
        raise AudioError(name, f"Opus cannot encode {rate} Hz; resample to one of {', '.join(map(str, OPUS_RATES))} Hz")
    pcm = to_int16(audio).astype("<i2").tobytes()
    encoder = opuslib.Encoder(rate, 1, opuslib.APPLICATION_AUDIO)
    if bitrate:
        encoder.bitrate = bitrate
    frame = frame_samples(rate)
    chunk = frame * _WIDTH
    parts = [_HEADER.pack(len(pcm), rate, 1, _WIDTH)]
    for start in range(0, len(pcm), chunk):
        packet = encoder.encode(pcm[start : start + chunk].ljust(chunk, b"\0"), frame)
        parts.append(_PACKET_LEN.pack(len(packet)) + packet)
    return b"".join(parts)


def opus_header(data: bytes) -> tuple[int, int, int, int]:
    """(pcm_len, rate, channels, width) from the start of a container."""
    return _HEADER.unpack_from(data)


def decode_opus(data: bytes, name: str) -> tuple[np.ndarray, int]:
    """The container -> (float32 mono scaled by 1/32768, rate), truncated back to the stored PCM length."""
    import opuslib

    if len(data) < _HEADER.size:
        raise AudioError(name, "Opus container shorter than its header")
    pcm_len, rate, channels, width = _HEADER.unpack_from(data)
    if width != _WIDTH or channels < 1 or rate not in OPUS_RATES:
        raise AudioError(name, f"unsupported Opus container (rate {rate}, channels {channels}, width {width})")
    decoder = opuslib.Decoder(rate, channels)
    frame, position, pieces = frame_samples(rate), _HEADER.size, []
    while position < len(data):
        if position + _PACKET_LEN.size > len(data):
            raise AudioError(name, "truncated Opus container (packet length cut off)")
        (size,) = _PACKET_LEN.unpack_from(data, position)
        packet = data[position + 2 : position + 2 + size]
        if len(packet) < size:
            raise AudioError(name, "truncated Opus container (packet cut off)")
        try:
            pieces.append(decoder.decode(packet, frame, decode_fec=False))
        except opuslib.OpusError as error:
            raise AudioError(name, f"corrupt Opus packet at byte {position}: {error}") from None
        position += 2 + size
    pcm = b"".join(pieces)[:pcm_len]
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / np.float32(32768)
    if channels > 1:
        samples = samples[: len(samples) // channels * channels].reshape(-1, channels).mean(axis=1, dtype=np.float32)
    return samples, rate
