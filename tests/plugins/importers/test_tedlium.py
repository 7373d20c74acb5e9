"""`sttx import tedlium` on a generated TEDLIUM_release-3 tree: SPHERE talks, STM segments, data/ and legacy/."""

from __future__ import annotations

import shutil

import pytest
import soundfile
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.data.importing import CorpusError, LabelFilter
from sttx.plugins.importers._common import ImportOptions
from sttx.plugins.importers.tedlium import clean_transcript, prepare_tedlium
from sttx.plugins.validators.en import validate_label_en
from tests.plugins.importers.corpora import assert_accounted, check_clips, make_tedlium, tar_folder, write_lines

EN = ImportOptions(label_filter=LabelFilter(validate=validate_label_en), jobs=1)


def test_clean_transcript_drops_markers_and_joins_contractions():
    words = ["<unk>", "well", "it", "'s", "{NOISE}", "what", "they", "'ve", "[laughter]", "said", "(2)", "'",
             "(AlGore_2009-001)"]
    assert clean_transcript(words) == "well it's what they've said'"


def test_segments_cut_from_sphere_talks_every_row_accounted(tmp_path):
    corpus = make_tedlium(tmp_path)
    stm = corpus / "data" / "stm" / "TalkA_2010.stm"  # legacy/train/stm/TalkA_2010.stm links here
    stm.write_text(stm.read_text() + "TalkA_2010 1 TalkA_2010 9.0 x <o,f0,male> bad time\n;; a comment line\n")
    write_lines(corpus / "legacy" / "train" / "stm" / "TalkZ_2013.stm",
                ["TalkZ_2013 1 TalkZ_2013 0.5 2.5 <o,f0,male> gone"])
    report = prepare_tedlium(corpus, options=EN)
    assert assert_accounted(report) == {"ignored_segment": 5, "malformed_row": 1, "missing_clip": 1}
    assert [report.counts(name)["imported"] for name in ("train", "dev", "test")] == [7, 2, 2]
    out = corpus / "sttx_import"
    train = check_clips(out / "tedlium-train.csv")
    assert "it's easy to tell the depth of a well" in [row["transcript"] for row in train]
    first = next(row for row in report.outcomes["train"] if row.imported)
    assert train[0]["wav_filename"].startswith("clips/legacy/train/sph/TalkA_2010-")
    assert first.audio == "sph/TalkA_2010.sph@0.50-2.07" and first.output.name == "TalkA_2010-0000500-0002070.wav"
    assert soundfile.info(first.output).frames == pytest.approx((2.07 - 0.5) * 16000, abs=1)
    assert check_clips(out / "tedlium-dev.csv")[0]["wav_filename"].startswith("clips/legacy/dev/sph/TalkD_2009-")


def test_without_legacy_train_data_is_read_and_dev_talks_in_it_held_out(tmp_path):
    corpus = make_tedlium(tmp_path)
    shutil.rmtree(corpus / "legacy" / "train")
    for kind in ("sph", "stm"):
        for path in (corpus / "legacy" / "dev" / kind).iterdir():
            shutil.copy(path, corpus / "data" / kind / path.name)
    report = prepare_tedlium(corpus, sets="train", options=EN)
    assert list(report.outcomes) == ["train"]
    assert report.counts("train")["skipped"] == {"ignored_segment": 4, "held_out": 2}
    assert report.counts("train")["imported"] == 7
    held = next(row for row in report.outcomes["train"] if row.reason == "held_out")
    assert held.detail == "the talk is in the dev set" and held.source == "data/stm/TalkD_2009.stm"


def test_release_archive_through_the_cli_and_errors(tmp_path, pm):
    corpus = make_tedlium(tmp_path / "src")
    archive = tar_folder(corpus, tmp_path / "TEDLIUM_release-3.tgz")
    result = CliRunner().invoke(build_cli(pm), ["import", "tedlium", str(archive), "--sets", "dev,test", "--jobs",
                                                "2", "--out-dir", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "dev: Imported 2 samples" in result.output
    assert "Skipped 1 samples that are segments the corpus marks to be ignored." in result.output
    result = CliRunner().invoke(build_cli(pm), ["import", "tedlium", str(archive), "--sets", "eval"])
    assert result.exit_code == 1 and "no set eval; found train, dev, test" in result.output
    with pytest.raises(CorpusError, match=r"no \{train,dev,test\}/stm/ or data/stm/"):
        prepare_tedlium(tmp_path / "out", options=EN)
