"""`sttx import cv` on generated Common Voice releases with corrupted rows of every kind: exact counts."""

from __future__ import annotations

import csv
import json
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.data.alphabet import load_alphabet
from sttx.core.data.importing import CorpusError, LabelFilter
from sttx.plugins.importers._common import ImportOptions
from sttx.plugins.importers.common_voice import prepare_cv
from sttx.plugins.validators.en import validate_label_en
from tests.plugins.importers.conftest import copy_release, corrupt_train

EN = LabelFilter(validate=validate_label_en)


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _splits(report, name: str) -> list:
    return [clip for clip in report.clips if clip.split == name]


def test_clean_release_imports_every_row(cv_release, tmp_path):
    release = copy_release(cv_release, tmp_path / "cv")
    report = prepare_cv(release, options=ImportOptions(label_filter=EN, jobs=1))
    for name in ("train", "dev", "test", "other"):
        assert report.counts(name)["imported"] == len(_splits(cv_release, name)) > 0
        assert report.counts(name)["skipped"] == {}
    assert report.counts("validated")["imported"] == 10
    rows = _csv(release / "clips" / "train.csv")
    assert [row["wav_filename"] for row in rows] == [Path(c.path).with_suffix(".wav").name
                                                      for c in _splits(cv_release, "train")]
    assert [row["transcript"] for row in rows] == [c.transcript for c in _splits(cv_release, "train")]
    assert all(int(row["wav_filesize"]) == (release / "clips" / row["wav_filename"]).stat().st_size for row in rows)


def test_train_all_drops_dev_and_test_speakers_and_sentences(cv_release, tmp_path):
    release = copy_release(cv_release, tmp_path / "cv")
    report = prepare_cv(release, options=ImportOptions(label_filter=EN, jobs=1))
    held = _splits(cv_release, "dev") + _splits(cv_release, "test")
    expected = [c.transcript for c in _splits(cv_release, "train")
                if c.voice not in {h.voice for h in held} and c.transcript not in {h.transcript for h in held}]
    got = [row["transcript"] for row in _csv(release / "clips" / "train-all.csv")]
    assert sorted(got) == sorted(expected)
    assert report.notes["train_all"] == {"rows": len(expected), "held_out": 10 - len(expected)}


def test_corrupted_rows_are_each_skipped_with_their_reason(cv_release, tmp_path):
    release = copy_release(cv_release, tmp_path / "cv")
    expected_skips = corrupt_train(release, cv_release)
    n_train = len(_splits(cv_release, "train"))
    report = prepare_cv(release, options=ImportOptions(label_filter=EN, jobs=2))
    counts = report.counts("train")
    assert counts["rows"] == n_train + 9
    assert counts["imported"] == n_train + 1  # the non-ASCII sentence is valid for en
    assert counts["skipped"] == expected_skips
    saved = json.loads((release / "clips" / "import_report.json").read_text(encoding="utf-8"))
    assert saved["collections"]["train"] == counts
    reasons = {(row["audio"], row["reason"]) for row in saved["skipped"]}
    assert {("missing.mp3", "missing_clip"), ("zero.mp3", "unreadable_audio"), ("garbage.mp3", "unreadable_audio"),
            ("long.mp3", "too_long"), ("short.mp3", "too_short"), ("digits.mp3", "invalid_label"),
            ("empty-sentence.mp3", "empty_sentence")} <= reasons
    zero = next(row for row in saved["skipped"] if row["audio"] == "zero.mp3")
    assert "0 bytes" in zero["detail"]
    assert zero["line"] == n_train + 3  # header is line 1
    transcripts = [row["transcript"] for row in _csv(release / "clips" / "train.csv")]
    assert "café crème is served at noon" in transcripts
    assert report.counts("dev")["imported"] == len(_splits(cv_release, "dev"))


def test_alphabet_filter_and_normalize_handle_non_ascii(cv_release, tmp_path):
    release = copy_release(cv_release, tmp_path / "cv")
    corrupt_train(release, cv_release)
    strict = LabelFilter(validate=validate_label_en, alphabet=load_alphabet())
    report = prepare_cv(release, options=ImportOptions(label_filter=strict, jobs=1), sets=["train"])
    assert report.counts("train")["skipped"]["invalid_label"] == 2
    normalized = LabelFilter(validate=validate_label_en, alphabet=load_alphabet(), normalize=True)
    report = prepare_cv(release, options=ImportOptions(label_filter=normalized, jobs=1), sets=["train"])
    assert report.counts("train")["skipped"]["invalid_label"] == 1
    assert "cafe creme is served at noon" in [row["transcript"] for row in _csv(release / "clips" / "train.csv")]


def test_rerun_resumes_and_redoes_broken_outputs(cv_release, tmp_path):
    release = copy_release(cv_release, tmp_path / "cv")
    prepare_cv(release, options=ImportOptions(label_filter=EN, jobs=1), sets=["validated"])
    wavs = sorted((release / "clips").glob("*.wav"))
    stamps = {wav: wav.stat().st_mtime_ns for wav in wavs}
    wavs[0].write_bytes(wavs[0].read_bytes()[:1000])  # an interrupted write from an older tool
    wavs[1].unlink()
    report = prepare_cv(release, options=ImportOptions(label_filter=EN, jobs=1), sets=["validated"])
    assert report.counts("validated")["imported"] == 10
    assert all(wav.stat().st_mtime_ns == stamps[wav] for wav in wavs[2:])
    assert wavs[1].is_file() and wavs[0].stat().st_size > 1000


def test_archive_is_extracted_and_imported(cv_release, tmp_path):
    archive = tmp_path / "cv-corpus-1.0-en.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(cv_release.out_dir, arcname="cv-corpus-1.0/en")
    report = prepare_cv(archive, options=ImportOptions(label_filter=EN, jobs=1), sets=["dev"])
    assert report.counts("dev")["imported"] == len(_splits(cv_release, "dev"))
    assert (tmp_path / "cv-corpus-1.0-en" / "cv-corpus-1.0" / "en" / "clips" / "dev.csv").is_file()


@pytest.mark.parametrize(("name", "kind", "why"), [
    ("../escape.txt", tarfile.REGTYPE, "path outside the target"),
    ("/tmp/sttx-absolute.txt", tarfile.REGTYPE, "absolute path"),
    ("link", tarfile.SYMTYPE, "link outside the target"),
])
def test_unsafe_archive_is_refused_and_named(tmp_path, name, kind, why):
    archive = tmp_path / "cv-corpus-evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        member = tarfile.TarInfo(name)
        member.type = kind
        if kind == tarfile.SYMTYPE:
            member.linkname = "../../outside"
        tar.addfile(member, None if kind != tarfile.REGTYPE else __import__("io").BytesIO(b""))
    with pytest.raises(CorpusError, match=f"refused member '{name}' \\({why}\\)"):
        prepare_cv(archive, extract_dir=tmp_path / "x" / "y")
    assert not (tmp_path / "x" / "escape.txt").exists()
    assert not Path("/tmp/sttx-absolute.txt").exists()


def test_cli_with_a_validator_file_and_space_after_every_character(cv_release, tmp_path, pm):
    release = copy_release(cv_release, tmp_path / "cv")
    validator = tmp_path / "validate_upper.py"
    validator.write_text("def validate_label(label):\n    return label.upper().rstrip('.')\n")
    result = CliRunner().invoke(build_cli(pm), [
        "import", "cv", str(release), "--sets", "dev", "--jobs", "1", "--validate-label-locale", str(validator),
        "--space_after_every_character", "--absolute_paths"])
    assert result.exit_code == 0, result.output
    assert f"dev: Imported {len(_splits(cv_release, 'dev'))} samples" in result.output
    rows = _csv(release / "clips" / "dev.csv")
    first = _splits(cv_release, "dev")[0]
    assert rows[0]["transcript"] == " ".join(first.sentence.upper().rstrip("."))
    assert Path(rows[0]["wav_filename"]).is_absolute()


def test_unusable_corpus_is_one_line_error(tmp_path, pm):
    runner = CliRunner()
    result = runner.invoke(build_cli(pm), ["import", "cv", str(tmp_path)])
    assert result.exit_code == 1
    assert "no Common Voice TSVs" in result.output and len(result.output.strip().splitlines()) == 1
    (tmp_path / "train.tsv").write_text("client_id\tfile\ttext\n")
    with pytest.raises(CorpusError, match=r"train\.tsv: no path or sentence column"):
        prepare_cv(tmp_path)
    result = runner.invoke(build_cli(pm), ["import", "cv", str(tmp_path), "--validate_label_locale", "zz"])
    assert result.exit_code == 2 and "unknown label validator 'zz'" in result.output


def test_paths_without_mp3_suffix_as_in_early_releases(cv_release, tmp_path):
    release = copy_release(cv_release, tmp_path / "cv")
    dev = release / "dev.tsv"
    dev.write_text(dev.read_text(encoding="utf-8").replace(".mp3\t", "\t"), encoding="utf-8")
    assert ".mp3" not in dev.read_text(encoding="utf-8")
    report = prepare_cv(release, options=ImportOptions(label_filter=EN, jobs=1), sets=["dev"])
    assert report.counts("dev")["imported"] == len(_splits(cv_release, "dev"))
