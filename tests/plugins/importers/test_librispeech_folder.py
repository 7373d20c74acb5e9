"""`sttx import librispeech` and `sttx import folder` on layouts built from the shipped sample corpus."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.data.importing import CorpusError, LabelFilter
from sttx.plugins.importers._common import ImportOptions
from sttx.plugins.importers.espeak import SAMPLE_DIR
from sttx.plugins.importers.folder import prepare_folder
from sttx.plugins.importers.librispeech import prepare_librispeech
from sttx.plugins.validators.en import validate_label_en

EN = ImportOptions(label_filter=LabelFilter(validate=validate_label_en), jobs=1)


def _sample(count: int) -> list[dict[str, str]]:
    with (SAMPLE_DIR / "sample.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))[:count]


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def librispeech(tmp_path: Path) -> Path:
    """LibriSpeech/{dev-clean,test-clean}/SPEAKER/CHAPTER: 3 + 2 real clips, one missing and one empty flac."""
    root = tmp_path / "LibriSpeech"
    rows = _sample(5)
    for subset, speaker, members in (("dev-clean", "84", rows[:3]), ("test-clean", "61", rows[3:])):
        chapter = root / subset / speaker / "121123"
        chapter.mkdir(parents=True)
        lines = []
        for number, row in enumerate(members):
            utterance = f"{speaker}-121123-{number:04d}"
            shutil.copy(SAMPLE_DIR / row["wav_filename"], chapter / f"{utterance}.flac")
            lines.append(f"{utterance} {row['transcript'].upper()}")
        if subset == "dev-clean":
            lines.append(f"{speaker}-121123-0098 A LINE WHOSE AUDIO IS GONE")
            lines.append(f"{speaker}-121123-0099 A LINE WHOSE AUDIO IS EMPTY")
            (chapter / f"{speaker}-121123-0099.flac").write_bytes(b"")
        (chapter / f"{speaker}-121123.trans.txt").write_text("\n".join(lines) + "\n")
    return tmp_path


def test_librispeech_one_csv_per_subset(librispeech, tmp_path):
    report = prepare_librispeech(librispeech, out_dir=tmp_path / "out", options=EN)
    assert report.counts("dev-clean") | {"imported_seconds": 0, "total_seconds": 0} == {
        "rows": 5, "imported": 3, "skipped": {"missing_clip": 1, "unreadable_audio": 1},
        "imported_seconds": 0, "total_seconds": 0}
    assert report.counts("test-clean")["imported"] == 2
    rows = _csv(tmp_path / "out" / "librivox-dev-clean.csv")
    assert [row["transcript"] for row in rows] == [row["transcript"] for row in _sample(3)]
    assert rows[0]["wav_filename"] == "dev-clean-wav/84-121123-0000.wav"
    assert (tmp_path / "out" / rows[0]["wav_filename"]).is_file()
    saved = json.loads((tmp_path / "out" / "import_report.json").read_text())
    assert {row["reason"] for row in saved["skipped"]} == {"missing_clip", "unreadable_audio"}


def test_librispeech_subset_choice_and_errors(librispeech, tmp_path):
    report = prepare_librispeech(librispeech, out_dir=tmp_path / "o", subsets=["test-clean"], options=EN)
    assert list(report.outcomes) == ["test-clean"]
    with pytest.raises(CorpusError, match="no subset train-other"):
        prepare_librispeech(librispeech, subsets=["train-other"], options=EN)
    with pytest.raises(CorpusError, match="no speaker/chapter"):
        prepare_librispeech(tmp_path / "o", options=EN)


def test_folder_with_sibling_transcripts(tmp_path):
    corpus = tmp_path / "mine"
    (corpus / "sub").mkdir(parents=True)
    for number, row in enumerate(_sample(4)):
        folder = corpus / "sub" if number % 2 else corpus
        shutil.copy(SAMPLE_DIR / row["wav_filename"], folder / f"clip{number}.flac")
        (folder / f"clip{number}.txt").write_text(row["transcript"].capitalize() + ".\n")
    (corpus / "orphan.txt").write_text("A transcript with no audio.")
    shutil.copy(SAMPLE_DIR / _sample(1)[0]["wav_filename"], corpus / "untranscribed.flac")
    report = prepare_folder(corpus, options=EN)
    assert report.counts("mine")["imported"] == 4
    assert report.counts("mine")["skipped"] == {"missing_clip": 1, "empty_sentence": 1}
    rows = _csv(corpus / "sttx_import" / "mine.csv")
    assert sorted(row["wav_filename"] for row in rows) == ["clips/clip0.wav", "clips/clip2.wav",
                                                           "clips/sub/clip1.wav", "clips/sub/clip3.wav"]
    again = prepare_folder(corpus, options=EN)  # its own output folder is not scanned as input
    assert again.counts("mine") == report.counts("mine")


def test_folder_with_a_tsv_manifest_through_the_cli(tmp_path, pm):
    corpus = tmp_path / "c"
    corpus.mkdir()
    lines = ["Audio\tText"]
    for number, row in enumerate(_sample(3)):
        shutil.copy(SAMPLE_DIR / row["wav_filename"], corpus / f"{number}.flac")
        lines.append(f"{number}.flac\t{row['transcript']}")
    lines.append("gone.flac\tmissing audio")
    (tmp_path / "list.tsv").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(build_cli(pm), ["import", "folder", str(corpus), "--manifest",
                                                str(tmp_path / "list.tsv"), "--out_dir", str(tmp_path / "out"),
                                                "--audio_format", "flac", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "list: Imported 3 samples" in result.output and "Skipped 1 samples that have no audio file" in result.output
    rows = _csv(tmp_path / "out" / "list.csv")
    assert [row["wav_filename"] for row in rows] == ["clips/0.flac", "clips/1.flac", "clips/2.flac"]
    (tmp_path / "bad.csv").write_text("name,words\nx,y\n")
    result = CliRunner().invoke(build_cli(pm), ["import", "folder", str(corpus), "--manifest",
                                                str(tmp_path / "bad.csv")])
    assert result.exit_code == 1 and "needs a path column" in result.output
