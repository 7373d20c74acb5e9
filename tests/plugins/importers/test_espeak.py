"""The espeak importer: deterministic synthesis in both layouts, the shipped sample corpus, and the CLI."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.contract.errors import UsageError
from sttx.core.data.alphabet import load_alphabet
from sttx.core.data.importing import CV_COLUMNS
from sttx.plugins.importers.espeak import (
    SAMPLE_DIR,
    SynthesisError,
    client_id,
    read_sentences,
    regenerate_sample,
    speak,
    synthesize_corpus,
)

SENTENCES = read_sentences()


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_shipped_sentences():
    assert len(SENTENCES) == 600
    assert SENTENCES[0] == "The birch canoe slid on the smooth planks."


def test_a_variant_on_a_language_code_takes_effect():
    # espeak-ng 1.51 alone drops "+f3" after "en-gb" (a language code, not a voice file) and speaks plain en-gb
    text = "The birch canoe slid on the smooth planks."
    plain, _ = speak(text, "en-gb", 160, 50)
    varied, _ = speak(text, "en-gb+f3", 160, 50)
    assert not np.array_equal(plain, varied)
    assert np.array_equal(varied, speak(text, "en+f3", 160, 50)[0])
    assert np.array_equal(speak(text, "en-us+f3", 160, 50)[0], speak(text, "gmw/en-US+f3", 160, 50)[0])


def test_csv_layout_is_deterministic_across_jobs(tmp_path):
    one = synthesize_corpus(SENTENCES, tmp_path / "a", count=4, seed=5, jobs=1)
    two = synthesize_corpus(SENTENCES, tmp_path / "b", count=4, seed=5, jobs=2)
    assert (tmp_path / "a" / "espeak.csv").read_bytes() == (tmp_path / "b" / "espeak.csv").read_bytes()
    for clip in one.clips:
        assert (tmp_path / "a" / clip.path).read_bytes() == (tmp_path / "b" / clip.path).read_bytes()
    assert one.clips == two.clips
    other = synthesize_corpus(SENTENCES, tmp_path / "c", count=4, seed=6, jobs=1)
    assert [c.sentence for c in other.clips] != [c.sentence for c in one.clips]


def test_csv_layout_content(tmp_path):
    report = synthesize_corpus(SENTENCES, tmp_path, count=3, voices=["en-us+m3"], seed=1, speed=(150, 150),
                               pitch=(40, 40), jobs=1)
    rows = _csv(tmp_path / "espeak.csv")
    assert [row["wav_filename"] for row in rows] == ["clips/0001.wav", "clips/0002.wav", "clips/0003.wav"]
    alphabet = load_alphabet()
    for row, clip in zip(rows, report.clips, strict=True):
        info = soundfile.info(tmp_path / row["wav_filename"])
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
        assert int(row["wav_filesize"]) == (tmp_path / row["wav_filename"]).stat().st_size
        assert alphabet.can_encode(row["transcript"]) and row["transcript"] == clip.transcript
        assert (clip.voice, clip.speed, clip.pitch) == ("en-us+m3", 150, 40)
        assert clip.duration == pytest.approx(info.duration)


def test_noise_is_added_at_the_requested_snr(tmp_path):
    clean = synthesize_corpus(SENTENCES, tmp_path / "clean", count=1, seed=2, jobs=1)
    noisy = synthesize_corpus(SENTENCES, tmp_path / "noisy", count=1, seed=2, noise_db=10.0, jobs=1)
    a, _ = soundfile.read(tmp_path / "clean" / clean.clips[0].path)
    b, _ = soundfile.read(tmp_path / "noisy" / noisy.clips[0].path)
    assert len(a) == len(b)
    snr = 10 * np.log10(np.mean(a**2) / np.mean((b - a) ** 2))
    assert snr == pytest.approx(10.0, abs=0.5)


def test_cv_layout(tmp_path):
    voices = ["en-us+m3", "en+f2", "en-gb+m1"]
    report = synthesize_corpus(SENTENCES, tmp_path, count=10, voices=voices, seed=4, layout="cv",
                               sample_rate=48000, other=2, invalidated=1, jobs=2)
    splits = {name: (tmp_path / f"{name}.tsv").read_text(encoding="utf-8").splitlines()
              for name in ("train", "dev", "test", "validated", "other", "invalidated")}
    assert all(lines[0].split("\t") == list(CV_COLUMNS) for lines in splits.values())
    assert len(splits["other"]) == 3 and len(splits["invalidated"]) == 2
    assert len(splits["validated"]) - 1 == 7 == sum(len(splits[n]) - 1 for n in ("train", "dev", "test"))
    for line in splits["test"][1:]:
        assert line.split("\t")[0] == client_id(voices[0])
    first = report.clips[0]
    assert first.path == "clips/common_voice_en_0001.mp3"
    info = soundfile.info(tmp_path / first.path)
    assert (info.format, info.samplerate) == ("MP3", 48000)
    assert f"\t{first.sentence}\t" in "\n".join(splits[first.split])


def test_errors(tmp_path):
    with pytest.raises(SynthesisError, match="qqq-nonexistent"):
        synthesize_corpus(SENTENCES, tmp_path, count=1, voices=["qqq-nonexistent"], jobs=1)
    with pytest.raises(UsageError, match=r"--voices en-us\+Adam: espeak-ng has no variant 'Adam'"):
        synthesize_corpus(SENTENCES, tmp_path, count=1, voices=["en-us+m3", "en-us+Adam"], jobs=1)
    with pytest.raises(UsageError, match="--count"):
        synthesize_corpus(SENTENCES, tmp_path, count=0)
    with pytest.raises(UsageError, match="must leave clips"):
        synthesize_corpus(SENTENCES, tmp_path, count=2, layout="cv", other=2)
    (tmp_path / "blank.txt").write_text("\n \n")
    with pytest.raises(UsageError, match="holds no sentences"):
        read_sentences(tmp_path / "blank.txt")


def test_cli(tmp_path, pm):
    sentences = tmp_path / "s.txt"
    sentences.write_text("One small test.\nAnother short line!\n")
    result = CliRunner().invoke(build_cli(pm), ["import", "espeak", "--sentences", str(sentences), "--count", "2",
                                                "--voices", "en-us+m3,en+f2", "--out", str(tmp_path / "o"),
                                                "--speed", "150:160", "--audio_format", "flac"])
    assert result.exit_code == 0, result.output
    assert sorted(row["transcript"] for row in _csv(tmp_path / "o" / "espeak.csv")) == [
        "another short line", "one small test"]
    result = CliRunner().invoke(build_cli(pm), ["import", "espeak", "--out", str(tmp_path / "p"), "--speed", "x"])
    assert result.exit_code == 2 and "--speed 'x'" in result.output


def test_shipped_sample_corpus():
    rows = _csv(SAMPLE_DIR / "sample.csv")
    assert len(rows) == 40
    total = sum(path.stat().st_size for path in SAMPLE_DIR.rglob("*") if path.is_file())
    assert total < 5 * 1024 * 1024
    alphabet = load_alphabet()
    for row in rows:
        info = soundfile.info(SAMPLE_DIR / row["wav_filename"])
        assert (info.format, info.samplerate, info.channels) == ("FLAC", 16000, 1)
        assert int(row["wav_filesize"]) == (SAMPLE_DIR / row["wav_filename"]).stat().st_size
        assert alphabet.can_encode(row["transcript"])


def test_sample_corpus_regenerates_identically(tmp_path):
    regenerate_sample(tmp_path)
    assert (tmp_path / "sample.csv").read_bytes() == (SAMPLE_DIR / "sample.csv").read_bytes()
    for row in _csv(SAMPLE_DIR / "sample.csv")[:5]:
        assert (tmp_path / row["wav_filename"]).read_bytes() == (SAMPLE_DIR / row["wav_filename"]).read_bytes()
