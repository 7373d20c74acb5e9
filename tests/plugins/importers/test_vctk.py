"""`sttx import vctk` on generated VCTK 0.92 (flac, two microphones, .zip) and 0.80 (wav48) trees."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.data.importing import CorpusError, LabelFilter
from sttx.plugins.importers._common import ImportOptions
from sttx.plugins.importers.vctk import prepare_vctk
from sttx.plugins.validators.en import validate_label_en
from tests.plugins.importers.corpora import assert_accounted, check_clips, make_vctk, write_lines, zip_folder

EN = ImportOptions(label_filter=LabelFilter(validate=validate_label_en), jobs=1)
SETS = ("train", "dev", "test")


def _speakers(out, name):
    return {row["wav_filename"].split("/")[2] for row in check_clips(out / f"vctk-{name}.csv")}


def test_092_mic1_speaker_disjoint_with_gaps_counted(tmp_path):
    corpus = make_vctk(tmp_path, "0.92", speakers=6)
    shutil.copytree(corpus / "wav48_silence_trimmed" / "p225", corpus / "wav48_silence_trimmed" / "p315")
    for clip in (corpus / "wav48_silence_trimmed" / "p315").iterdir():
        clip.rename(clip.with_name(clip.name.replace("p225", "p315")))  # audio, no txt/p315 (as in 0.92)
    (corpus / "wav48_silence_trimmed" / "p226" / "p226_002_mic1.flac").unlink()  # mic2 is still there
    write_lines(corpus / "txt" / "p227" / "p227_003.txt", ["A transcript whose audio is gone."])
    report = prepare_vctk(corpus, options=EN)
    assert assert_accounted(report) == {"empty_sentence": 2, "missing_clip": 2}
    assert sum(report.counts(name)["imported"] for name in SETS) == 11
    out = corpus / "sttx_import"
    speakers = [_speakers(out, name) for name in SETS]
    assert all(speakers) and not (speakers[0] & speakers[1] or speakers[0] & speakers[2] or speakers[1] & speakers[2])
    assert [len({row.speaker for row in report.outcomes[name]}) for name in SETS] == [5, 1, 1]  # of 7 speakers
    rows = check_clips(out / "vctk-train.csv") + check_clips(out / "vctk-dev.csv")
    assert all(row["wav_filename"].endswith("_mic1.wav") for row in rows)
    missing = next(row for row in report.outcomes["train"] + report.outcomes["dev"] + report.outcomes["test"]
                   if row.audio.endswith("p226_002_mic1.flac"))
    assert missing.reason == "missing_clip"
    untranscribed = next(row for rows in report.outcomes.values() for row in rows if row.speaker == "p315")
    assert untranscribed.reason == "empty_sentence" and untranscribed.detail == "no txt/p315/p315_001.txt"


def test_mic2_and_the_zip_as_downloaded(tmp_path):
    corpus = make_vctk(tmp_path / "src", "0.92", speakers=3, per_speaker=1)
    archive = zip_folder(corpus, tmp_path / "VCTK-Corpus-0.92.zip")
    report = prepare_vctk(archive, mic="mic2", out_dir=tmp_path / "out", options=EN)
    assert [report.counts(name)["imported"] for name in SETS] == [1, 1, 1]
    assert all(row.audio.endswith("_mic2.flac") for rows in report.outcomes.values() for row in rows)
    assert (tmp_path / "VCTK-Corpus-0.92" / "txt" / "p225" / "p225_001.txt").is_file()


def test_080_wav48_layout_through_the_cli(tmp_path, pm):
    corpus = make_vctk(tmp_path, "0.80", speakers=4)
    result = CliRunner().invoke(build_cli(pm), ["import", "vctk", str(corpus), "--jobs", "2", "--dev-percent", "25",
                                                "--test_percent", "25"])
    assert result.exit_code == 0, result.output
    for name, count in zip(SETS, (4, 2, 2), strict=True):  # 4 speakers: 2 train, 1 dev, 1 test
        assert f"{name}: Imported {count} samples" in result.output
    assert check_clips(corpus / "sttx_import" / "vctk-dev.csv")[0]["wav_filename"].startswith("clips/wav48/p2")


def test_not_vctk_is_a_one_line_error(tmp_path, pm):
    (tmp_path / "txt").mkdir()
    with pytest.raises(CorpusError, match="no txt/ beside wav48_silence_trimmed/ or wav48/"):
        prepare_vctk(tmp_path, options=EN)
    result = CliRunner().invoke(build_cli(pm), ["import", "vctk", str(tmp_path), "--mic", "mic3"])
    assert result.exit_code == 2 and "mic3" in result.output
