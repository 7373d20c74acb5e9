"""`sttx import voxforge` on a folder of generated sessions: extracted folders, per-session .tgz, a flac session."""

from __future__ import annotations

import shutil

from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.data.importing import LabelFilter
from sttx.plugins.importers._common import ImportOptions
from sttx.plugins.importers.voxforge import prepare_voxforge
from sttx.plugins.validators.en import validate_label_en
from tests.plugins.importers.corpora import (
    assert_accounted,
    check_clips,
    make_voxforge_session,
    tar_folder,
    write_clip,
)

EN = ImportOptions(label_filter=LabelFilter(validate=validate_label_en), jobs=1)
SETS = ("train", "dev", "test")
SESSIONS = ("ralf-20071220-de34", "ralf-20080101-xyz", "anonymous-20080504-qvg", "anonymous-20080612-abc",
            "kim-20100101-k1m", "joe-20090303-j0e")


def _downloads(tmp_path):
    """Four sessions as downloaded archives, two already extracted, the last one recorded in flac."""
    downloads = tmp_path / "16kHz_16bit"
    for index, session in enumerate(SESSIONS):
        folder = make_voxforge_session(tmp_path / "made", session, 3 * index, "flac" if index == 5 else "wav")
        if index < 4:
            tar_folder(folder, downloads / f"{session}.tgz")
        else:
            shutil.copytree(folder, downloads / session)
    return downloads


def test_archives_and_folders_split_by_speaker(tmp_path):
    downloads = _downloads(tmp_path)
    prompts = downloads / "kim-20100101-k1m" / "etc" / "PROMPTS"
    prompts.write_text(prompts.read_text() + "kim-20100101-k1m/mfc/a0009 NEVER RECORDED\nonly-a-path\n")
    write_clip(downloads / "kim-20100101-k1m" / "wav" / "b0001.wav", 2.0, 16000)  # audio no prompt names
    report = prepare_voxforge(downloads, options=EN)
    assert assert_accounted(report) == {"missing_clip": 1, "malformed_row": 1, "empty_sentence": 1}
    assert sum(report.counts(name)["imported"] for name in SETS) == 18
    by_set = {name: {row.speaker for row in report.outcomes[name]} for name in SETS}
    ralf = [name for name in SETS if "ralf-20071220-de34" in by_set[name]]
    assert "ralf-20080101-xyz" in by_set[ralf[0]]  # one speaker's sessions stay together
    rows = [row for name in SETS for row in check_clips(downloads / "sttx_import" / f"voxforge-{name}.csv")]
    assert "the birch canoe slid on the smooth planks" in {row["transcript"] for row in rows}
    assert any(row["wav_filename"] == "clips/joe-20090303-j0e/flac/a0001.wav" for row in rows)
    extracted = downloads / "ralf-20071220-de34" / "etc" / "PROMPTS"
    stamp = extracted.stat().st_mtime_ns
    again = prepare_voxforge(downloads, options=EN)  # resumes: archives are not extracted again
    assert extracted.stat().st_mtime_ns == stamp
    assert again.counts("train") == report.counts("train")


def test_one_session_archive_through_the_cli(tmp_path, pm):
    folder = make_voxforge_session(tmp_path / "made", "anna-20120101-a1", 0)
    archive = tar_folder(folder, tmp_path / "anna-20120101-a1.tgz")
    result = CliRunner().invoke(build_cli(pm), ["import", "voxforge", str(archive), "--out_dir", str(tmp_path / "o"),
                                                "--test-percent", "0", "--dev_percent", "0"])
    assert result.exit_code == 0, result.output
    assert "train: Imported 3 samples" in result.output and "test: Imported 0 samples" in result.output
    (tmp_path / "nothing").mkdir()
    result = CliRunner().invoke(build_cli(pm), ["import", "voxforge", str(tmp_path / "nothing")])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "no VoxForge sessions" in result.output


def test_extract_dir_elsewhere_still_finds_the_sessions_already_extracted(tmp_path):
    downloads = _downloads(tmp_path)
    report = prepare_voxforge(downloads, extract_dir=tmp_path / "sessions", out_dir=tmp_path / "out", options=EN)
    assert sum(report.counts(name)["imported"] for name in SETS) == 18
    assert (tmp_path / "sessions" / "ralf-20071220-de34" / "etc" / "PROMPTS").is_file()
    assert not (downloads / "ralf-20071220-de34").exists()
    clips = sorted(path.relative_to(tmp_path / "out" / "clips").as_posix()
                   for path in (tmp_path / "out" / "clips").rglob("a0001.wav"))
    assert clips == [f"{session}/{'flac' if session.startswith('joe') else 'wav'}/a0001.wav"
                     for session in sorted(SESSIONS)]
