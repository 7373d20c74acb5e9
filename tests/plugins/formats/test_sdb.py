"""SDB: byte-exact layout of what sttx writes, a hand-built SDB loads, Opus container round trip, bad files."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from sttx.core.contract.errors import DataError
from sttx.core.contract.samples import Sample
from sttx.core.data.audio import AudioError, encode_audio, read_audio
from sttx.plugins.formats.opus_container import decode_opus, encode_opus
from sttx.plugins.formats.sdb import read_sdb, write_sdb

META = {
    "schema": [{"content": "speech", "mime-type": "audio/wav"}, {"content": "transcript", "mime-type": "text/plain"}]
}


def _samples():
    first = np.array([0, 100, -100, 32767, -32768, 5, 6, 7], dtype=np.int16)
    second = np.array([1, -1, 2, -2], dtype=np.int16)
    return [
        Sample(id="a", audio=first.astype(np.float32) / 32768, transcript="hi"),
        Sample(id="b", audio=second.astype(np.float32) / 32768, transcript="ça"),
    ]


def _wav(ints):
    """A canonical 44-byte-header 16 kHz mono 16-bit WAV built by hand (what Python's wave module writes too)."""
    data = np.asarray(ints, dtype="<i2").tobytes()
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, 1, 16000, 32000, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 4 + len(fmt) + 8 + len(data))
        + b"WAVE"
        + fmt
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )


def test_hand_built_wav_matches_what_sttx_encodes():
    ints = np.array([0, 1, -1, 32767, -32768], dtype=np.int16)
    assert encode_audio(ints.astype(np.float32) / 32768, 16000) == _wav(ints)


def _expected_bytes(samples) -> bytes:
    """The layout of reference §2.4 spelled out field by field."""
    meta = json.dumps(META).encode()
    entries, offsets, position = [], [], 8 + 8 + len(meta) + 16
    for sample in samples:
        audio = _wav(np.round(sample.audio * 32768))
        text = sample.transcript.encode()
        body = struct.pack(">I", len(audio)) + audio + struct.pack(">I", len(text)) + text
        offsets.append(position)
        entries.append(struct.pack(">I", len(body)) + body)
        position += len(entries[-1])
    chunk = b"".join(entries)
    head = b"SAMPLEDB" + struct.pack(">Q", len(meta)) + meta
    head += struct.pack(">Q", 8 + len(chunk)) + struct.pack(">Q", len(samples))
    index = struct.pack(">Q", 8 + 8 * len(samples)) + struct.pack(">Q", len(samples))
    return head + chunk + index + b"".join(struct.pack(">Q", offset) for offset in offsets)


def test_written_sdb_matches_the_layout_byte_for_byte(tmp_path):
    path = tmp_path / "two.sdb"
    assert write_sdb(_samples(), path) == 2
    data = path.read_bytes()
    assert data == _expected_bytes(_samples())
    # spot checks against the reference's verified numbers: meta_len 115, first entry right after 16 reserved bytes
    assert struct.unpack_from(">Q", data, 8) == (115,)
    assert data[16 : 16 + 115] == json.dumps(META).encode()
    index_at = len(data) - 32
    assert struct.unpack_from(">QQQQ", data, index_at) == (24, 2, 147, 147 + 4 + 4 + 60 + 4 + 2)
    assert not (tmp_path / "two.sdb.partial").exists()


def test_hand_built_sdb_loads(tmp_path):
    path = tmp_path / "hand.sdb"
    path.write_bytes(_expected_bytes(_samples()))
    refs = list(read_sdb(path))
    assert [ref.id for ref in refs] == [f"{path}:0", f"{path}:1"]
    assert [ref.transcript for ref in refs] == ["hi", "ça"]
    assert [ref.duration for ref in refs] == [8 / 16000, 4 / 16000]
    for ref, sample in zip(refs, _samples(), strict=True):
        np.testing.assert_array_equal(ref.load().audio, sample.audio)


def test_unlabeled_sdb_has_no_transcript_column(tmp_path):
    path = tmp_path / "unlabeled.sdb"
    write_sdb(_samples(), path, labeled=False)
    data = path.read_bytes()
    (meta_len,) = struct.unpack_from(">Q", data, 8)
    assert json.loads(data[16 : 16 + meta_len]) == {"schema": [META["schema"][0]]}
    assert [ref.transcript for ref in read_sdb(path)] == [None, None]


def test_opus_round_trip_keeps_length_and_correlates(tmp_path, speech_dir):
    speech = read_audio(speech_dir / "one.wav")
    path = tmp_path / "opus.sdb"
    write_sdb([Sample(id="s", audio=speech, transcript="the quick brown fox")], path, audio_type="opus")
    data = path.read_bytes()
    (meta_len,) = struct.unpack_from(">Q", data, 8)
    assert b'"application/vnd.mozilla.opus"' in data[16 : 16 + meta_len]
    (ref,) = read_sdb(path)
    assert ref.duration == pytest.approx(len(speech) / 16000)
    decoded = ref.load().audio
    assert len(decoded) == len(speech)
    # Opus has a few ms of algorithmic delay: compare at the best small lag
    best = max(np.corrcoef(decoded[lag:], speech[: len(speech) - lag])[0, 1] for lag in range(0, 400, 8))
    assert best > 0.9


def test_opus_container_layout():
    audio = np.zeros(16000 * 130 // 1000, dtype=np.float32)  # 130 ms: 3 frames of 60 ms, the last zero-padded
    blob = encode_opus(audio, 16000, bitrate=16000)
    assert struct.unpack_from(">IIBB", blob) == (len(audio) * 2, 16000, 1, 2)
    position, packets = 10, 0
    while position < len(blob):
        (size,) = struct.unpack_from(">H", blob, position)
        position += 2 + size
        packets += 1
    assert (position, packets) == (len(blob), 3)
    decoded, rate = decode_opus(blob, "x")
    assert (len(decoded), rate) == (len(audio), 16000)
    with pytest.raises(AudioError, match="truncated"):
        decode_opus(blob[:-3], "x")
    with pytest.raises(AudioError, match="clip7: Opus cannot encode 44100 Hz"):
        encode_opus(audio, 44100, name="clip7")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"NOTASDB!" + bytes(16), "no SAMPLEDB magic"),
        (b"SAMPLEDB" + struct.pack(">Q", 2) + b"{}" + bytes(16), "missing schema"),
        (b"SAMPLEDB" + struct.pack(">Q", 39) + b'{"schema": [{"content": "transcript"}]}', "no speech"),
    ],
)
def test_bad_sdb_files_raise_data_error(tmp_path, content, problem):
    path = tmp_path / "bad.sdb"
    path.write_bytes(content)
    with pytest.raises(DataError, match=problem) as caught:
        list(read_sdb(path))
    assert str(path) in str(caught.value)


def test_truncated_sdb_is_reported(tmp_path):
    path = tmp_path / "cut.sdb"
    path.write_bytes(_expected_bytes(_samples())[:-20])
    with pytest.raises(DataError, match=r"cut\.sdb"):
        list(read_sdb(path))


def test_wrong_index_offset_is_reported(tmp_path):
    data = bytearray(_expected_bytes(_samples()))
    struct.pack_into(">Q", data, len(data) - 8, 150)  # second offset points into the first entry
    path = tmp_path / "wrong.sdb"
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="wrong sample index 1"):
        list(read_sdb(path))


def test_failed_write_leaves_nothing(tmp_path):
    unlabeled = Sample(id="u", audio=np.zeros(4, dtype=np.float32), transcript=None)
    with pytest.raises(DataError, match="no transcript"):
        write_sdb([unlabeled], tmp_path / "x.sdb")
    assert list(tmp_path.iterdir()) == []
