"""The machinery the corpus importers share: hash splits, zip safety, extracting once, strict listings, segments."""

from __future__ import annotations

import os
import zipfile

import pytest
from click.testing import CliRunner

from sttx import __version__
from sttx.cli import build_cli
from sttx.core.contract.errors import UsageError
from sttx.core.data.importing import CorpusError
from sttx.plugins.importers._archive import extract_once, open_corpus
from sttx.plugins.importers._common import ImportOptions, SourceRow, import_rows
from sttx.plugins.importers._corpus import read_listing
from sttx.plugins.importers._split import split_by_speaker
from tests.plugins.importers.corpora import write_clip, zip_folder


def test_splits_are_exact_deterministic_and_order_free():
    groups = [f"speaker{number}" for number in range(40)]
    sets = split_by_speaker(groups, 10, 5)
    assert sorted(sets.values()).count("dev") == 4 and sorted(sets.values()).count("test") == 2
    assert split_by_speaker(reversed(groups), 10, 5) == sets
    assert split_by_speaker([*groups, "speaker40"], 10, 5)["speaker3"] in ("train", "dev", "test")
    assert sorted(split_by_speaker(["a", "b", "c"], 1, 1).values()) == ["dev", "test", "train"]
    assert set(split_by_speaker(["a", "b"], 10, 10).values()) == {"train"}  # too few groups to hold any out
    with pytest.raises(UsageError, match="together below 100"):
        split_by_speaker(groups, 50, 50)


@pytest.mark.parametrize(("name", "why"), [("../evil.txt", "path outside the target"),
                                           ("/tmp/sttx-zip-absolute.txt", "absolute path"),
                                           ("a/../../evil.txt", "path outside the target")])
def test_unsafe_zip_member_refuses_the_whole_archive(tmp_path, name, why):
    archive = tmp_path / "corpus.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("fine.txt", "ok")
        bundle.writestr(name, "escape")
    with pytest.raises(CorpusError, match=f"refused member '{name}' \\({why}\\); nothing extracted"):
        open_corpus(archive, tmp_path / "x" / "y")
    assert not (tmp_path / "x" / "y" / "fine.txt").exists() and not (tmp_path / "x" / "evil.txt").exists()


def test_an_archive_is_extracted_once_and_again_when_it_changes(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("one")
    archive = zip_folder(tmp_path / "src", tmp_path / "corpus.zip")
    target = open_corpus(archive)
    assert target == tmp_path / "corpus" and (target / "a.txt").read_text() == "one"
    (target / "a.txt").unlink()
    extract_once(archive, target)
    assert not (target / "a.txt").exists()  # the stamp says this archive is already out
    os.utime(archive, ns=(1, 1))
    extract_once(archive, target)
    assert (target / "a.txt").is_file()
    (tmp_path / "broken.zip").write_bytes(b"PK not really")
    with pytest.raises(CorpusError, match=r"broken\.zip: cannot extract"):
        open_corpus(tmp_path / "broken.zip")


def test_strict_listing_without_rows_is_a_corpus_error(tmp_path):
    listing = tmp_path / "index.txt"
    listing.write_text("\n\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"index\.txt: no rows"):
        read_listing(listing, tmp_path, "train", lambda line: {}, strict=True)
    assert read_listing(listing, tmp_path, "train", lambda line: {}) == []


def test_segments_of_one_recording_convert_once_each_and_repeat_as_duplicates(tmp_path):
    talk = write_clip(tmp_path / "talk.sph", 4.0, 16000)
    rows = [SourceRow(collection="train", source="x.stm", line=number, audio=talk, audio_text="talk.sph",
                      sentence="some words", span=span)
            for number, span in enumerate([(0.5, 1.5), (2.0, 3.25), (0.5, 1.5), (3.5, 9.0), (5.0, 6.0)], start=1)]
    outcomes = import_rows(rows, lambda source: tmp_path / "out" / source.with_suffix(".wav").name,
                           ImportOptions(jobs=1))
    assert [row.reason for row in outcomes] == [None, None, "duplicate", None, "unreadable_audio"]
    assert [round(row.duration, 3) for row in outcomes[:2]] == [1.0, 1.25]
    assert round(outcomes[3].duration, 3) == 0.5  # an end past the recording stops at its end
    assert "outside the audio" in outcomes[4].detail
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [
        "talk-0000500-0001500.wav", "talk-0002000-0003250.wav", "talk-0003500-0009000.wav"]


def test_sttx_plugins_lists_each_importer_with_its_version(pm):
    result = CliRunner().invoke(build_cli(pm), ["plugins"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for module, name in (("ljspeech", "ljspeech"), ("vctk", "vctk"), ("tedlium", "tedlium"), ("mls", "mls"),
                         ("m_ailabs", "m_ailabs"), ("voxforge", "voxforge"), ("fleurs", "fleurs")):
        at = lines.index(f"sttx.plugins.importers.{module} (built-in, sttx {__version__})")
        assert lines[at + 1] == f"  importers: {name}"
