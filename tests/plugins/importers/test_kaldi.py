"""`sttx import kaldi` on generated Kaldi data dirs: segments cut from recordings, pipes, splits, bad rows counted."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

import sttx
from sttx.cli import build_cli
from sttx.core.contract.errors import UsageError
from sttx.core.contract.plugins import describe_plugins
from sttx.core.data.importing import CorpusError, LabelFilter
from sttx.plugins.importers._common import ImportOptions
from sttx.plugins.importers.kaldi import prepare_kaldi
from sttx.plugins.validators.en import validate_label_en
from tests.plugins.importers.manifest_trees import RATE, accounted, csv_rows, join, sample

EN = ImportOptions(label_filter=LabelFilter(validate=validate_label_en), jobs=2)
SKIPS = {"missing_clip": 3, "unreadable_audio": 3, "empty_sentence": 2, "invalid_label": 1, "duplicate": 1,
         "too_short": 1}


@pytest.fixture
def kaldi_dir(tmp_path: Path) -> dict:
    """data/all: 16 utterances, 5 good (3 cut from one piped recording), 11 bad in every way Kaldi dirs go bad."""
    clips = sample(5)
    audio = tmp_path / "audio"
    spans = join([clip for clip, _ in clips[:3]], audio / "long.wav")
    total = spans[-1][1]
    soundfile.write(audio / "whole.flac", clips[3][0], RATE)
    soundfile.write(audio / "other.flac", clips[4][0], RATE)
    (audio / "zero.wav").write_bytes(b"")
    runs = tmp_path / "runs.log"
    wav_scp = [
        f"rec1 echo run >> {runs}; cat {audio / 'long.wav'} |",
        "rec2 audio/whole.flac",
        f"rec3 sox {audio / 'other.flac'} -t wav -r 8000 - |",
        "rec4 audio/missing.wav",
        "rec5 audio/zero.wav",
        "rec6 false |",
    ]
    segments = [
        f"u1 rec1 {spans[0][0]} {spans[0][1]}", f"u2 rec1 {spans[1][0]} {spans[1][1]}",
        f"u3 rec1 {spans[2][0]} {spans[2][1]}", "u4 rec2 0 -1", "u5 rec3 0.0 -1", "u6 rec4 0 1.5", "u7 rec5 0 2",
        "u8 rec6 0 2", f"u10 rec1 {spans[0][0]} {spans[0][1]}", "u11 rec2 0 -1", "u12 rec1 0.0 0.3",
        f"u13 rec1 {total - 0.5:.3f} {total + 2:.3f}", "u14 rec2 0 1", "u15 ghost 0 1",
    ]
    texts = [f"u{n} {clips[n - 1][1]}" for n in range(1, 6)] + [
        "u6 the audio of this one is gone", "u7 an empty file stands here", "u8 the command fails",
        "u9 no segment for this line", "u10", "u11 room 101 is open", f"u1 {clips[0][1]}",
        "u12 " + "a sentence far too long for a third of a second " * 2, "u13 the end lies past the recording",
        "u15 the recording is not listed"]
    speakers = {"u1": "A", "u2": "A", "u3": "B", "u4": "B", "u5": "C", "u6": "C", "u7": "D", "u8": "D", "u9": "E",
                "u10": "E", "u11": "F", "u12": "F", "u13": "G", "u14": "G", "u15": "H"}
    data = tmp_path / "data" / "all"
    data.mkdir(parents=True)
    for name, lines in (("wav.scp", wav_scp), ("segments", segments), ("text", texts),
                        ("utt2spk", [f"{utt} {spk}" for utt, spk in speakers.items()])):
        (data / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"data": data, "root": tmp_path, "clips": clips, "spans": spans, "runs": runs}


def test_segments_are_cut_and_every_bad_row_is_counted(kaldi_dir):
    report = prepare_kaldi(kaldi_dir["data"], audio_root=kaldi_dir["root"], allow_pipes=True, options=EN)
    totals = {"rows": 0, "imported": 0}
    skipped: dict[str, int] = {}
    for name in ("train", "dev", "test"):
        counts = report.counts(name)
        totals = {key: totals[key] + counts[key] for key in totals}
        for reason, number in counts["skipped"].items():
            skipped[reason] = skipped.get(reason, 0) + number
    assert totals == {"rows": 16, "imported": 5}
    assert skipped == SKIPS
    assert accounted(report, ("train", "dev", "test"))
    assert kaldi_dir["runs"].read_text().count("run") == 1  # one command run for all the rows of rec1
    out = kaldi_dir["data"] / "sttx_import"
    rows = {row["transcript"]: row for name in ("train", "dev", "test") for row in csv_rows(out / f"{name}.csv")}
    assert set(rows) == {text for _, text in kaldi_dir["clips"]}
    second, text = kaldi_dir["clips"][1]
    cut, rate = soundfile.read(out / rows[text]["wav_filename"], dtype="float32")
    assert rate == 16000 and abs(len(cut) - len(second)) <= 1
    assert np.abs(cut[: len(second)] - second[: len(cut)]).max() < 1e-3  # the second utterance of rec1, exactly
    piped = soundfile.info(out / rows[kaldi_dir["clips"][4][1]]["wav_filename"])
    assert (piped.samplerate, piped.channels) == (16000, 1)  # the 8 kHz pipe output is converted back
    saved = json.loads((out / "import_report.json").read_text(encoding="utf-8"))
    why = {row["line"]: (row["reason"], row["detail"]) for row in saved["skipped"] if row["source"] == "all/text"}
    assert why[9] == ("missing_clip", "'u9' has no line in segments")
    assert why[15][0] == "missing_clip" and "'ghost' is not in wav.scp" in why[15][1]
    assert why[8][0] == "unreadable_audio" and "exit status 1" in why[8][1]
    assert why[14][0] == "unreadable_audio" and "ends after the recording" in why[14][1]


def test_split_is_speaker_disjoint_deterministic_and_sized(kaldi_dir):
    report = prepare_kaldi(kaldi_dir["data"], audio_root=kaldi_dir["root"], allow_pipes=True, options=EN,
                           dev_percent=25, test_percent=12.5)
    speakers = {name: {row.speaker for row in report.outcomes[name]} for name in ("train", "dev", "test")}
    assert not speakers["train"] & speakers["dev"] and not speakers["train"] & speakers["test"]
    assert not speakers["dev"] & speakers["test"]
    assert [len(speakers[name]) for name in ("train", "dev", "test")] == [5, 2, 1]  # of 8 speakers
    assert report.notes["speakers"] == {"train": 5, "dev": 2, "test": 1}
    clips = sorted((kaldi_dir["data"] / "sttx_import" / "clips").glob("*.wav"))
    stamps = [clip.stat().st_mtime_ns for clip in clips]
    again = prepare_kaldi(kaldi_dir["data"], audio_root=kaldi_dir["root"], allow_pipes=True, options=EN,
                          dev_percent=25, test_percent=12.5)
    assert {name: [row.line for row in rows] for name, rows in again.outcomes.items()} == {
        name: [row.line for row in rows] for name, rows in report.outcomes.items()}
    assert [clip.stat().st_mtime_ns for clip in clips] == stamps  # resumed: converted clips are reused


def test_pipes_are_refused_without_the_flag(kaldi_dir, pm):
    with pytest.raises(UsageError, match=r"wav\.scp line 1: the audio is read through a command"):
        prepare_kaldi(kaldi_dir["data"], audio_root=kaldi_dir["root"], options=EN)
    result = CliRunner().invoke(build_cli(pm), ["import", "kaldi", str(kaldi_dir["data"]),
                                                "--audio_root", str(kaldi_dir["root"])])
    assert result.exit_code == 2 and "pass --allow_pipes" in result.output
    assert not kaldi_dir["runs"].exists()


@pytest.fixture
def split_dirs(tmp_path: Path) -> Path:
    """data/{train,dev,test}: plain wav.scp paths relative to the audio root, no segments, no speakers."""
    (tmp_path / "wavs").mkdir()
    for number, (clip, text) in enumerate(sample(6)):
        folder = tmp_path / "data" / ("train", "train", "train", "train", "dev", "test")[number]
        folder.mkdir(parents=True, exist_ok=True)
        soundfile.write(tmp_path / "wavs" / f"{number}.wav", clip, RATE)
        with (folder / "wav.scp").open("a") as scp, (folder / "text").open("a") as lines:
            scp.write(f"utt{number} wavs/{number}.wav\n")
            gap = "\t" if number % 2 else " "  # Kaldi writes spaces, but tabs turn up too
            lines.write(f"utt{number}{gap}{text.upper()}\n")
    return tmp_path


def test_a_folder_of_data_dirs_keeps_its_split_through_the_cli(split_dirs, pm, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(build_cli(pm), [
        "import", "kaldi", str(split_dirs / "data"), "--audio-root", str(split_dirs), "--out_dir", str(out),
        "--jobs", "1", "--validate_label_locale", "en"])
    assert result.exit_code == 0, result.output
    assert "train: Imported 4 samples" in result.output and "dev: Imported 1 samples" in result.output
    assert [row["wav_filename"] for row in csv_rows(out / "test.csv")] == ["clips/test/utt5.wav"]
    assert csv_rows(out / "dev.csv")[0]["transcript"] == sample(5)[4][1]


def test_malformed_or_missing_files_are_one_line_errors(split_dirs, pm):
    dev = split_dirs / "data" / "dev"
    (dev / "segments").write_text("utt4 rec 0.0\n")
    with pytest.raises(CorpusError, match=r"dev/segments line 1: expected '<utterance> <recording> <start> <end>'"):
        prepare_kaldi(split_dirs / "data", audio_root=split_dirs)
    (dev / "segments").unlink()
    (dev / "wav.scp").write_text("utt4\n")
    result = CliRunner().invoke(build_cli(pm), ["import", "kaldi", str(split_dirs / "data")])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "dev/wav.scp line 1: 'utt4' has no audio" in result.output
    (dev / "text").unlink()
    (dev / "wav.scp").write_text("utt4 x.wav\n")
    with pytest.raises(CorpusError, match=r"dev/text: missing"):
        prepare_kaldi(split_dirs / "data")
    shutil.rmtree(split_dirs / "data")
    with pytest.raises(CorpusError, match=r"no wav\.scp here or in a subfolder"):
        prepare_kaldi(split_dirs)


def test_a_pipe_of_unknown_length_is_read_whole(tmp_path):
    """sox writing to a pipe cannot know the length: its header holds placeholder sizes (0x7ffff000)."""
    data = tmp_path / "sweep"
    data.mkdir()
    (data / "wav.scp").write_text("sweep sox -n -r 8000 -b 16 -c 1 -t wav - synth 3 sine 300-3300 |\n")
    (data / "text").write_text("sweep a sine sweep\n")
    (data / "segments").write_text("sweep sweep 0.5 2.5\n")
    report = prepare_kaldi(tmp_path, options=EN, allow_pipes=True)
    assert report.counts("sweep")["imported"] == 1
    assert report.counts("sweep")["imported_seconds"] == 2.0


def test_the_manifest_importers_are_built_in_plugins_with_versions(pm):
    rows = {row["name"]: row for row in describe_plugins(pm)}
    for module, name in (("kaldi", "kaldi"), ("lhotse_manifests", "lhotse"), ("hugging_face", "hf")):
        row = rows[f"sttx.plugins.importers.{module}"]
        assert row["builtin"] and row["version"] == sttx.__version__
        assert row["registered"] == {"importers": [name]}
