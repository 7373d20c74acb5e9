"""`sttx data convert|alphabet|check` end to end on espeak-ng speech."""

from __future__ import annotations

import csv
import json
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.data.audio import read_audio, write_audio
from sttx.plugins.formats.csv_format import read_csv

TEXTS = {"one": "the quick brown fox", "two": "jumps over the lazy dog", "three": "hello world"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Three espeak clips at 16 kHz and a CSV listing them with relative paths."""
    folder = tmp_path_factory.mktemp("corpus")
    for name, text in TEXTS.items():
        raw = folder / f"{name}.raw.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(raw), text], check=True)
        subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(folder / f"{name}.wav")], check=True)
        raw.unlink()
    _csv(folder / "all.csv", [(f"{name}.wav", text) for name, text in TEXTS.items()])
    return folder


def _csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["wav_filename", "wav_filesize", "transcript"])
        writer.writerows([name, "", text] for name, text in rows)
    return path


def _run(pm, args):
    return CliRunner().invoke(build_cli(pm), args, catch_exceptions=False)


def test_convert_csv_sdb_jsonl_csv_keeps_transcripts_and_audio(pm, corpus, tmp_path):
    sdb, jsonl, back = tmp_path / "set.sdb", tmp_path / "set.jsonl", tmp_path / "again" / "set.csv"
    back.parent.mkdir()
    for source, target, extra in [(corpus / "all.csv", sdb, []), (sdb, jsonl, ["--jobs", "2"]), (jsonl, back, [])]:
        result = _run(pm, ["data", "convert", str(source), str(target), *extra])
        assert result.exit_code == 0, result.output
        assert "wrote 3 samples" in result.output
    original = list(read_csv(corpus / "all.csv"))
    final = list(read_csv(back))
    assert [ref.transcript for ref in final] == list(TEXTS.values())
    for before, after in zip(original, final, strict=True):
        np.testing.assert_array_equal(after.load().audio, before.load().audio)


def test_convert_to_opus_sdb_and_summary_of_skipped_rows(pm, corpus, tmp_path):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not really")
    source = _csv(tmp_path / "mixed.csv", [(str(corpus / "one.wav"), "the quick brown fox"), (str(broken), "bad")])
    target = tmp_path / "mixed.sdb"
    result = _run(pm, ["data", "convert", str(source), str(target), "--audio_type", "opus", "--bitrate", "24000"])
    assert result.exit_code == 0, result.output
    assert "wrote 1 samples" in result.output
    assert "skipped 1 samples: 1 unreadable audio" in result.output
    assert str(broken) in result.output
    assert b"application/vnd.mozilla.opus" in target.read_bytes()[:200]


def test_convert_rejects_options_that_do_not_apply(pm, corpus, tmp_path):
    result = _run(pm, ["data", "convert", str(corpus / "all.csv"), str(tmp_path / "x.csv"), "--audio_type", "opus"])
    assert result.exit_code == 2
    assert "--audio_type does not apply to .csv targets" in result.output


def test_alphabet_writes_the_labels_and_warns_about_non_nfc(pm, corpus, tmp_path):
    source = _csv(tmp_path / "nfc.csv", [(str(corpus / "one.wav"), "cafe\u0301 #1"), (str(corpus / "two.wav"), "abc")])
    output = tmp_path / "alphabet.txt"
    result = CliRunner().invoke(build_cli(pm), ["data", "alphabet", str(source), "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "not NFC-normalised" in result.output
    assert f"{source} row 1" in result.output
    from sttx.core.data.alphabet import Alphabet

    assert Alphabet.from_file(output).labels == (" ", "#", "1", "a", "b", "c", "e", "f", "\u0301")


def test_check_passes_a_good_set(pm, corpus):
    result = _run(pm, ["data", "check", str(corpus / "all.csv")])
    assert result.exit_code == 0, result.output
    assert "3 rows, 3 readable" in result.output
    assert "sample rates: 16000 x3" in result.output
    assert "no blocking problems" in result.output


def test_check_fails_a_bad_set_naming_the_rows(pm, corpus, tmp_path):
    short = tmp_path / "short.wav"
    write_audio(short, read_audio(corpus / "one.wav")[:4000], 16000)  # 0.25 s: 11 feature frames
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    train = _csv(
        tmp_path / "train.csv",
        [
            (str(corpus / "one.wav"), "the quick brown fox"),
            (str(corpus / "two.wav"), "jumps över the lazy dog"),
            (str(short), "a sentence far too long for a quarter second"),
            (str(empty), "nothing"),
            (str(corpus / "three.wav"), ""),
        ],
    )
    dev = _csv(tmp_path / "dev.csv", [(str(corpus / "one.wav"), "the quick brown fox")])
    result = _run(pm, ["data", "check", str(train), "--dev_files", str(dev)])
    assert result.exit_code == 1, result.output
    output = result.output
    assert f"ERROR: outside alphabet: 1 rows\n  {train} row 2: 'ö' (U+00F6)" in output
    assert f"ERROR: ctc infeasible: 1 rows\n  {train} row 3: 0.250 s gives 11 feature frames" in output
    assert f"ERROR: unreadable: 1 rows\n  {train} row 4: {empty}: empty file" in output
    assert f"ERROR: empty transcript: 1 rows\n  {train} row 5" in output
    assert f"ERROR: split overlap: 1 rows\n  {dev} row 1: same audio as {train} row 1 (train and dev)" in output
    assert "blocking problems found" in output


def test_check_names_the_missing_audio_file(pm, corpus, tmp_path):
    """`sttx data check` on a CSV whose audio file is gone names the CSV, the row and the file it looked for."""
    (tmp_path / "clips").mkdir()
    csv = tmp_path / "train.csv"
    csv.write_text(f"wav_filename,wav_filesize,transcript\n{corpus / 'one.wav'},1,the quick brown fox\n"
                   "clips/gone.wav,100,hello\n")
    result = _run(pm, ["data", "check", str(csv)])
    assert result.exit_code == 1, result.output
    assert f"  {csv} row 2: {tmp_path / 'clips' / 'gone.wav'}: no such file\n" in result.output


def test_check_json_and_bytes_mode(pm, corpus, tmp_path):
    source = _csv(tmp_path / "zh.csv", [(str(corpus / "one.wav"), "你好")])
    result = _run(pm, ["data", "check", str(source), "--bytes_output_mode", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["count"], report["blocking"], report["problems"]) == (1, False, [])
    assert _run(pm, ["data", "check", str(source), "--json"]).exit_code == 1


def test_check_needs_files(pm):
    result = _run(pm, ["data", "check"])
    assert result.exit_code == 2
    assert "--train_files" in result.output
