"""Audio decoding: formats, downmix, resampling, int16 scaling and typed errors for broken files."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import soundfile

from sttx.core.contract.samples import SampleRef
from sttx.core.data.audio import AudioError, audio_info, encode_audio, read_audio, resample, to_int16, write_audio
from sttx.core.data.sources import BytesAudio, FileAudio


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    """espeak-ng speech (22.05 kHz) and a 16 kHz 16-bit mono copy."""
    folder = tmp_path_factory.mktemp("audio")
    raw = folder / "raw.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(raw), "testing one two three"], check=True)
    wav16 = folder / "speech16.wav"
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav16)], check=True)
    return folder, raw, wav16


def test_int16_wav_is_scaled_by_1_over_32768(speech):
    _, _, wav16 = speech
    ints, rate = soundfile.read(wav16, dtype="int16")
    audio = read_audio(wav16)
    assert rate == 16000
    assert audio.dtype == np.float32
    np.testing.assert_array_equal(audio, ints.astype(np.float32) / 32768)
    np.testing.assert_array_equal(to_int16(audio), ints)


def test_other_rate_is_resampled_not_fed_as_is(speech):
    _, raw, wav16 = speech
    info = audio_info(raw)
    assert info.sample_rate == 22050
    audio = read_audio(raw, target_rate=16000)
    assert abs(len(audio) - round(info.frames * 16000 / 22050)) <= 1
    reference = read_audio(wav16)
    n = min(len(audio), len(reference))
    assert np.corrcoef(audio[:n], reference[:n])[0, 1] > 0.95


@pytest.mark.parametrize("extension", ["flac", "mp3", "ogg"])
def test_compressed_formats_decode(speech, extension):
    folder, _, wav16 = speech
    target = folder / f"speech.{extension}"
    subprocess.run(["sox", str(wav16), str(target)], check=True)
    audio = read_audio(target)
    reference = read_audio(wav16)
    assert abs(len(audio) - len(reference)) < 0.15 * 16000
    assert np.abs(audio).max() > 0.05


def test_ogg_opus_decodes_at_the_target_rate(speech):
    folder, _, wav16 = speech
    target = folder / "speech.opus"
    data, rate = soundfile.read(wav16)
    soundfile.write(target, data, rate, format="OGG", subtype="OPUS")
    assert audio_info(target).subtype == "OPUS"
    assert abs(len(read_audio(target, target_rate=8000)) - len(data) // 2) <= 2


def test_stereo_is_downmixed_by_averaging(tmp_path):
    left = np.full(1600, 0.5, dtype=np.float32)
    right = np.full(1600, -0.25, dtype=np.float32)
    path = tmp_path / "stereo.wav"
    soundfile.write(path, np.stack([left, right], axis=1), 16000, subtype="FLOAT")
    info = audio_info(path)
    assert (info.channels, info.frames, info.duration) == (2, 1600, 0.1)
    np.testing.assert_allclose(read_audio(path), 0.125)


def test_channels_pick_what_is_mixed_down(tmp_path):
    three = np.stack([np.full(800, value, dtype=np.float32) for value in (0.5, -0.25, 0.125)], axis=1)
    path = tmp_path / "three.wav"
    soundfile.write(path, three, 16000, subtype="FLOAT")
    np.testing.assert_allclose(read_audio(path, channels=[1]), -0.25)
    np.testing.assert_allclose(read_audio(path, channels=[0, 2]), 0.3125)
    np.testing.assert_allclose(read_audio(path, channels=None), 0.125)
    with pytest.raises(AudioError, match=r"three\.wav: has 3 channel\(s\); channel 3 asked for"):
        read_audio(path, channels=[0, 3])


def test_offset_and_duration_read_a_segment(tmp_path):
    ramp = (np.arange(16000) % 1000).astype(np.int16)
    path = tmp_path / "ramp.wav"
    soundfile.write(path, ramp, 16000, subtype="PCM_16")
    segment = read_audio(path, offset=0.25, duration=0.125)
    np.testing.assert_array_equal(to_int16(segment), ramp[4000:6000])
    with pytest.raises(AudioError, match="offset 2"):
        read_audio(path, offset=2.0)


def test_write_audio_round_trips_wav_and_flac(tmp_path):
    audio = np.sin(np.linspace(0, 200, 8000)).astype(np.float32) * 0.5
    for name in ("x.wav", "x.flac"):
        write_audio(tmp_path / name, audio, 16000)
        info = audio_info(tmp_path / name)
        assert (info.subtype, info.sample_rate, info.frames) == ("PCM_16", 16000, 8000)
        np.testing.assert_allclose(read_audio(tmp_path / name), audio, atol=1 / 32768)
    with pytest.raises(AudioError, match=r"x\.mp3"):
        write_audio(tmp_path / "x.mp3", audio, 16000)


def test_bytes_source_and_resample_identity():
    audio = np.linspace(-0.5, 0.5, 320, dtype=np.float32)
    blob = encode_audio(audio, 16000)
    assert blob[:4] == b"RIFF"
    np.testing.assert_allclose(read_audio(blob), audio, atol=1 / 32768)
    assert resample(audio, 16000, 16000) is not None
    assert len(resample(audio, 16000, 8000)) == 160


def _broken_files(folder, wav16):
    data = wav16.read_bytes()
    cases = {
        "truncated.wav": data[: len(data) // 2],
        "zero.wav": b"",
        "garbage.wav": bytes(range(256)) * 20,
        "wrongheader.wav": b"RIFX" + data[4:12] + b"fmt?" + data[16:],
        "headeronly.wav": encode_audio(np.zeros(0, dtype=np.float32), 16000),
    }
    for name, content in cases.items():
        (folder / name).write_bytes(content)
    return cases


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("truncated.wav", "truncated"),
        ("zero.wav", "empty file"),
        ("garbage.wav", "cannot decode"),
        ("wrongheader.wav", "cannot decode"),
        ("headeronly.wav", "no audio"),
        ("missing.wav", "no such file"),
    ],
)
def test_broken_files_raise_audio_error_naming_the_file(speech, tmp_path, name, problem):
    _broken_files(tmp_path, speech[2])
    with pytest.raises(AudioError, match=problem) as caught:
        read_audio(tmp_path / name)
    assert caught.value.name == str(tmp_path / name)
    assert str(tmp_path / name) in str(caught.value)


def test_broken_bytes_name_the_sample():
    with pytest.raises(AudioError, match=r"my\.sdb:3"):
        read_audio(b"not audio at all", name="my.sdb:3")
    with pytest.raises(AudioError, match="empty data"):
        read_audio(b"")


def test_sample_ref_loads_and_pickles(speech):
    import pickle

    _, raw, _ = speech
    ref = SampleRef(id=str(raw), transcript="testing", audio=FileAudio(str(raw)), size=raw.stat().st_size)
    clone = pickle.loads(pickle.dumps(ref))
    assert clone == ref
    sample = clone.load(8000)
    assert (sample.sample_rate, sample.transcript, sample.id) == (8000, "testing", str(raw))
    assert sample.duration == pytest.approx(audio_info(raw).duration, abs=0.01)
    in_memory = SampleRef(id="m", transcript=None, audio=BytesAudio(raw.read_bytes()))
    np.testing.assert_array_equal(in_memory.load().audio, read_audio(raw))
