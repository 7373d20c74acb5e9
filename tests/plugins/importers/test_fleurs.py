"""`sttx import fleurs` on a generated local copy of one language: headerless TSVs, audio/<set>.tar.gz or folders."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.data.importing import CorpusError, LabelFilter
from sttx.plugins.importers._common import ImportOptions
from sttx.plugins.importers.fleurs import prepare_fleurs
from sttx.plugins.validators.en import validate_label_en
from tests.plugins.importers.corpora import assert_accounted, check_clips, make_fleurs

EN = ImportOptions(label_filter=LabelFilter(validate=validate_label_en), jobs=1)


def test_archived_audio_normalized_transcription_and_bad_lines(tmp_path):
    corpus = make_fleurs(tmp_path, archived=True)
    train = corpus / "train.tsv"
    lines = train.read_text(encoding="utf-8").splitlines()
    train.write_text("\n".join([*lines, lines[0], "1999\tshort.wav\tonly three columns"]) + "\n", encoding="utf-8")
    report = prepare_fleurs(tmp_path / "fleurs" / "data", options=EN)  # the language found below data/
    assert assert_accounted(report) == {"duplicate": 1, "malformed_row": 1}
    assert [report.counts(name)["imported"] for name in ("train", "dev", "test")] == [4, 2, 2]
    rows = check_clips(corpus / "sttx_import" / "fleurs-train.csv")
    assert rows[0]["transcript"] == "the birch canoe slid on the smooth planks two of them"
    assert rows[0]["wav_filename"] == "clips/audio/train/10004088536354799741.wav"
    assert (corpus / "audio" / "dev" / "10004088536354799745.wav").is_file()  # extracted from dev.tar.gz


def test_raw_transcription_on_request(tmp_path):
    corpus = make_fleurs(tmp_path, archived=False)
    report = prepare_fleurs(corpus, sets="train", transcript_column="raw_transcription", options=EN)
    assert report.counts("train")["skipped"] == {"invalid_label": 1}  # "2 of them": en takes no digits
    rows = check_clips(corpus / "sttx_import" / "fleurs-train.csv")
    assert rows[0]["transcript"] == "glue the sheet to the dark blue background"


def test_cli_and_errors(tmp_path, pm):
    corpus = make_fleurs(tmp_path, archived=True)
    result = CliRunner().invoke(build_cli(pm), ["import", "fleurs", str(corpus), "--sets", "test", "--jobs", "2",
                                                "--transcript-column", "raw_transcription"])
    assert result.exit_code == 0, result.output
    assert "test: Imported 2 samples" in result.output
    result = CliRunner().invoke(build_cli(pm), ["import", "fleurs", str(corpus), "--transcript_column", "text"])
    assert result.exit_code == 2 and "'text' is not one of" in result.output
    (corpus / "dev.tsv").write_text("garbage\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"dev\.tsv: line 1: expected 7 tab-separated columns"):
        prepare_fleurs(corpus, options=EN)
    shutil.copytree(corpus, corpus.parent / "de_de")
    result = CliRunner().invoke(build_cli(pm), ["import", "fleurs", str(corpus.parent)])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "several corpora inside" in result.output and "de_de" in result.output
