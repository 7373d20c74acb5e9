"""`sttx import mls` on generated mls_english (flac) and mls_english_opus trees."""

from __future__ import annotations

from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.data.importing import LabelFilter
from sttx.plugins.importers._common import ImportOptions
from sttx.plugins.importers.mls import prepare_mls
from sttx.plugins.validators.en import validate_label_en
from tests.plugins.importers.corpora import assert_accounted, check_clips, make_mls, tar_folder, write_clip

EN = ImportOptions(label_filter=LabelFilter(validate=validate_label_en), jobs=1, max_secs=20)


def test_flac_release_with_its_sets_and_bad_lines(tmp_path):
    corpus = make_mls(tmp_path, ".flac")
    with (corpus / "train" / "transcripts.txt").open("a", encoding="utf-8") as handle:
        handle.write("4800_10003_000099\ta segment that was never cut\n4800_10003 no tab and two parts\n")
    (corpus / "dev" / "audio" / "1982" / "10003" / "1982_10003_000001.flac").write_bytes(b"fLaC garbage")
    report = prepare_mls(corpus, options=EN)
    assert assert_accounted(report) == {"missing_clip": 1, "malformed_row": 1, "unreadable_audio": 1}
    assert [report.counts(name)["imported"] for name in ("train", "dev", "test")] == [4, 1, 2]
    rows = check_clips(corpus / "sttx_import" / "mls-train.csv")
    assert rows[0]["wav_filename"] == "clips/train/audio/4800/10003/4800_10003_000000.wav"
    assert rows[0]["transcript"] == "the birch canoe slid on the smooth planks"
    bad = next(row for row in report.outcomes["train"] if row.reason == "malformed_row")
    assert (bad.source, bad.line) == ("train/transcripts.txt", 6)


def test_opus_release_from_its_archive_through_the_cli(tmp_path, pm):
    corpus = make_mls(tmp_path / "src", ".opus")
    archive = tar_folder(corpus, tmp_path / "mls_english_opus.tar.gz")
    result = CliRunner().invoke(build_cli(pm), ["import", "mls", str(archive), "--sets", "test,dev", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "test: Imported 2 samples" in result.output and "dev: Imported 2 samples" in result.output
    out = tmp_path / "mls_english_opus" / "mls_english_opus" / "sttx_import"
    assert len(check_clips(out / "mls-dev.csv")) == 2 and not (out / "mls-train.csv").exists()


def test_default_max_secs_keeps_mls_long_segments_and_bad_listing_is_one_line(pm, tmp_path):
    corpus = make_mls(tmp_path / "src", ".flac")
    write_clip(corpus / "test" / "audio" / "2035" / "10003" / "2035_10003_000000.flac", 15.0, 16000)
    result = CliRunner().invoke(build_cli(pm), ["import", "mls", str(corpus), "--sets", "test", "--jobs", "1"])
    assert "test: Imported 2 samples" in result.output  # a 15 s segment: MLS cut them to 10-20 s
    result = CliRunner().invoke(build_cli(pm), ["import", "mls", str(corpus), "--sets", "test", "--max_secs", "10"])
    assert "Skipped 1 samples that were longer than 10 seconds." in result.output
    (tmp_path / "bad" / "train").mkdir(parents=True)
    (tmp_path / "bad" / "train" / "transcripts.txt").write_text("id,text\n", encoding="utf-8")
    result = CliRunner().invoke(build_cli(pm), ["import", "mls", str(tmp_path / "bad")])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "train/transcripts.txt: line 1: expected <speaker>_<book>_<segment><TAB><transcript>" in result.output
