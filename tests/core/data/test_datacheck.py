"""Data check library: CTC feasibility arithmetic, split grouping and the report on collections."""

from __future__ import annotations

import numpy as np
import pytest

from sttx.core.contract.samples import Sample
from sttx.core.data.alphabet import load_alphabet
from sttx.core.data.audio import write_audio
from sttx.core.data.datacheck import check_data, ctc_min_frames, dataset_alphabet, feature_frames, group_by_split
from sttx.plugins.formats.sdb import write_sdb


@pytest.mark.parametrize(
    ("samples", "frames"), [(0, 0), (511, 0), (512, 1), (831, 1), (832, 2), (16000, 49), (16000 * 10, 499)]
)
def test_feature_frames_at_16k(samples, frames):
    assert feature_frames(samples) == frames


def test_feature_frames_scale_with_the_rate():
    assert feature_frames(8000, 8000) == feature_frames(16000, 16000)


@pytest.mark.parametrize(("labels", "needed"), [([], 0), ([1], 1), ([1, 2, 3], 3), ([1, 1], 3), ([1, 1, 1, 2, 2], 8)])
def test_ctc_min_frames_counts_repeats(labels, needed):
    assert ctc_min_frames(labels) == needed


def test_group_by_split_uses_file_names():
    groups = group_by_split(["data/train.csv,cv-dev.sdb", "test_clean.jsonl", "validation.csv", "other.csv", "x/y.csv"])
    assert groups == {
        "train": ["data/train.csv"],
        "dev": ["cv-dev.sdb", "validation.csv"],
        "test": ["test_clean.jsonl"],
        "files": ["other.csv", "x/y.csv"],
    }


def _tone(seconds, freq):
    t = np.arange(int(seconds * 16000)) / 16000
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_check_data_on_sdb_splits(tmp_path, pm):
    formats = pm.registries().sample_formats
    shared = _tone(1.0, 440)
    write_sdb(
        [Sample(id="a", audio=shared, transcript="abc"), Sample(id="b", audio=_tone(3.0, 220), transcript="d")],
        tmp_path / "train.sdb",
    )
    write_sdb([Sample(id="c", audio=shared, transcript="abc")], tmp_path / "test.sdb")
    report = check_data(
        group_by_split([str(tmp_path / "train.sdb"), str(tmp_path / "test.sdb")]), formats, load_alphabet()
    )
    assert report.count == 3
    assert report.total_duration == pytest.approx(5.0)
    assert dict(report.histogram())["1-2 s"] == 2
    assert dict(report.histogram())["2-5 s"] == 1
    assert report.sample_rates == {16000: 3}
    assert [(p.kind, p.where) for p in report.problems] == [("split overlap", f"{tmp_path / 'test.sdb'}:0")]
    assert report.blocking


def test_duplicates_within_a_split_only_warn(tmp_path, pm):
    write_audio(tmp_path / "a.wav", _tone(1.0, 300), 16000)
    write_audio(tmp_path / "b.wav", _tone(1.0, 300), 16000)
    (tmp_path / "set.csv").write_text("wav_filename,transcript\na.wav,abc\nb.wav,abc\n", encoding="utf-8")
    report = check_data({"files": [str(tmp_path / "set.csv")]}, pm.registries().sample_formats, load_alphabet())
    assert [(p.kind, p.where) for p in report.problems] == [("duplicate", f"{tmp_path / 'set.csv'} row 2")]
    assert not report.blocking
    assert "warning: duplicate: 1 rows" in report.format()


def test_dataset_alphabet_and_nfc(tmp_path, pm):
    (tmp_path / "set.jsonl").write_text(
        '{"audio_filepath": "a.wav", "text": "ba\\u0301"}\n{"audio_filepath": "b.wav", "text": "ab c"}\n',
        encoding="utf-8",
    )
    alphabet, not_nfc = dataset_alphabet([str(tmp_path / "set.jsonl")], pm.registries().sample_formats)
    assert alphabet.labels == (" ", "a", "b", "c", "\u0301")
    assert [problem.where for problem in not_nfc] == [f"{tmp_path / 'set.jsonl'} row 1"]
