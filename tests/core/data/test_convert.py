"""Conversion library: ordered parallel loading, writer options, skipped rows."""

from __future__ import annotations

import time

import numpy as np
import pytest

from sttx.core.contract.errors import UsageError
from sttx.core.data.audio import AudioError, write_audio
from sttx.core.data.convert import convert, load_ordered, writer_options
from sttx.plugins.formats.sdb import read_sdb, write_sdb


def test_load_ordered_keeps_order_and_captures_audio_errors():
    def load(value):
        time.sleep(0.001 * (value % 3))
        if value == 5:
            raise AudioError("five", "broken")
        return value * 10

    results = list(load_ordered(range(20), load, jobs=4))  # type: ignore[arg-type]
    assert [ref for ref, _ in results] == list(range(20))
    assert isinstance(results[5][1], AudioError)
    assert [value for ref, value in results if ref != 5] == [ref * 10 for ref in range(20) if ref != 5]


def test_writer_options_checks_the_signature():
    assert writer_options(write_sdb, {"audio_type": "opus", "bitrate": None}, "x.sdb") == {"audio_type": "opus"}
    with pytest.raises(UsageError, match=r"--absolute_paths does not apply to \.sdb"):
        writer_options(write_sdb, {"absolute_paths": True}, "x.sdb")


def test_convert_resamples_and_reports(tmp_path, pm):
    formats = pm.registries().sample_formats
    tone = (0.2 * np.sin(np.arange(8000) / 5)).astype(np.float32)
    write_audio(tmp_path / "a.wav", tone, 8000)
    (tmp_path / "b.wav").write_bytes(b"")
    (tmp_path / "in.csv").write_text("wav_filename,transcript\na.wav,one\nb.wav,two\n", encoding="utf-8")
    summary = convert([str(tmp_path / "in.csv")], tmp_path / "out.sdb", formats, jobs=2, progress=False)
    assert (summary.count, summary.duration) == (1, pytest.approx(1.0))
    assert summary.skipped == {str(tmp_path / "b.wav"): "unreadable audio: empty file (0 bytes)"}
    assert summary.reasons() == {"unreadable audio": 1}
    (ref,) = read_sdb(tmp_path / "out.sdb")
    assert (ref.transcript, len(ref.load().audio)) == ("one", 16000)
    with pytest.raises(UsageError):
        convert([str(tmp_path / "in.csv")], tmp_path / "out.csv", formats, options={"audio_type": "wav"})
