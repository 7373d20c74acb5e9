"""`sttx import ljspeech` on a generated LJSpeech-1.1 tree (22.05 kHz wavs, pipe-separated metadata.csv)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.data.importing import CorpusError, LabelFilter
from sttx.plugins.importers._common import ImportOptions
from sttx.plugins.importers.ljspeech import prepare_ljspeech
from sttx.plugins.validators.en import validate_label_en
from tests.plugins.importers.corpora import (
    assert_accounted,
    check_clips,
    make_ljspeech,
    read_csv,
    tar_folder,
    write_clip,
)

EN = ImportOptions(label_filter=LabelFilter(validate=validate_label_en), jobs=1)


def test_normalized_column_split_by_clip_and_every_row_accounted(tmp_path):
    corpus = make_ljspeech(tmp_path, 12)
    with (corpus / "metadata.csv").open("a", encoding="utf-8") as handle:
        handle.write("LJ001-0099|A line whose clip was never recorded.|A line whose clip was never recorded.\n")
        handle.write("a line without any pipes\n")
        handle.write("LJ001-0001|The first clip again.|The first clip again.\n")
        handle.write("LJ001-0098|Digits 1845 only.|Digits 1845 only.\n")
    write_clip(corpus / "wavs" / "LJ001-0098.wav", 2.0, 22050)
    report = prepare_ljspeech(corpus, options=EN)
    skips = assert_accounted(report)
    assert skips == {"missing_clip": 1, "malformed_row": 1, "duplicate": 1, "invalid_label": 1}
    assert sum(report.counts(name)["imported"] for name in ("train", "dev", "test")) == 12
    assert all(report.counts(name)["imported"] >= 1 for name in ("train", "dev", "test"))
    assert report.counts("unassigned")["skipped"] == {"malformed_row": 1}  # the line names no clip
    out = corpus / "sttx_import"
    rows = [row for name in ("train", "dev", "test") for row in check_clips(out / f"ljspeech-{name}.csv")]
    assert "the birch canoe slid on the smooth planks number one" in {row["transcript"] for row in rows}
    assert rows[0]["wav_filename"].startswith("clips/wavs/LJ001-")
    saved = json.loads((out / "import_report.json").read_text(encoding="utf-8"))
    bad = next(row for row in saved["skipped"] if row["reason"] == "malformed_row")
    assert (bad["source"], bad["line"]) == ("metadata.csv", 14)


def test_split_is_deterministic_and_follows_the_percentages(tmp_path):
    corpus = make_ljspeech(tmp_path, 12)
    first = prepare_ljspeech(corpus, out_dir=tmp_path / "a", options=EN)
    again = prepare_ljspeech(corpus, out_dir=tmp_path / "b", options=EN, dev_percent=25, test_percent=25)
    assert [first.counts(name)["rows"] for name in ("train", "dev", "test")] == [10, 1, 1]
    assert [again.counts(name)["rows"] for name in ("train", "dev", "test")] == [6, 3, 3]
    clips = sorted((tmp_path / "a" / "clips" / "wavs").glob("*.wav"))
    stamps = [clip.stat().st_mtime_ns for clip in clips]
    third = prepare_ljspeech(corpus, out_dir=tmp_path / "a", options=EN)  # a re-run reuses every clip
    assert [clip.stat().st_mtime_ns for clip in clips] == stamps
    assert [row.audio for row in third.outcomes["test"]] == [row.audio for row in first.outcomes["test"]]

def test_archive_through_the_cli_and_one_line_errors(tmp_path, pm):
    corpus = make_ljspeech(tmp_path / "src", 6)
    archive = tar_folder(corpus, tmp_path / "LJSpeech-1.1.tar.bz2")
    result = CliRunner().invoke(build_cli(pm), ["import", "ljspeech", str(archive), "--out_dir",
                                                str(tmp_path / "out"), "--jobs", "2", "--audio-format", "flac"])
    assert result.exit_code == 0, result.output
    assert "train: Imported" in result.output and "Wrote report" in result.output
    assert (tmp_path / "LJSpeech-1.1" / "LJSpeech-1.1" / "metadata.csv").is_file()
    assert read_csv(tmp_path / "out" / "ljspeech-train.csv")[0]["wav_filename"].endswith(".flac")
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(build_cli(pm), ["import", "ljspeech", str(tmp_path / "empty")])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "no metadata.csv beside wavs/" in result.output
    (corpus / "metadata.csv").write_text("id,text\nLJ001-0001,hello\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"metadata\.csv: line 1: expected id\|transcript\|normalized"):
        prepare_ljspeech(corpus, options=EN)
