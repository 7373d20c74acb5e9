"""Corpora for the importer tests, synthesized with the espeak importer (no downloads)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile

from sttx.core.data.importing import CV_COLUMNS
from sttx.plugins.importers.espeak import SynthesisReport, client_id, read_sentences, synthesize_corpus

VOICES = ["en-us+m3", "en+f2", "en-gb+m1"]  # 3 voices: the first is test, the second dev, the rest train
EXTRA = ("variant", "sentence_id")  # newer releases' columns, which the importer must ignore
LONG_SENTENCE = " ".join(["the birch canoe slid on the smooth planks"] * 6)


@pytest.fixture(scope="session")
def cv_release(tmp_path_factory: pytest.TempPathFactory) -> SynthesisReport:
    """A clean Common Voice layout: 12 clips, one in other.tsv, one in invalidated.tsv."""
    out = tmp_path_factory.mktemp("cv-release")
    return synthesize_corpus(read_sentences(), out, count=12, voices=VOICES, seed=7, layout="cv",
                             sample_rate=48000, other=1, invalidated=1)


def copy_release(report: SynthesisReport, target: Path) -> Path:
    shutil.copytree(report.out_dir, target)
    return target


def _row(client: str, path: str, sentence: str) -> dict[str, str]:
    return {"client_id": client, "path": path, "sentence": sentence, "up_votes": "2", "down_votes": "0",
            "locale": "en"}


def corrupt_train(release: Path, report: SynthesisReport) -> dict[str, int]:
    """Add one corrupted row of every kind plus a non-ASCII sentence to train.tsv, rewritten with extra header
    columns in a new order and CRLF line endings. Returns the corrupted rows' expected reasons."""
    clips = release / "clips"
    train = [clip for clip in report.clips if clip.split == "train"]
    first = train[0]
    speaker = client_id(first.voice)
    (clips / "zero.mp3").write_bytes(b"")
    (clips / "garbage.mp3").write_bytes(np.random.default_rng(0).bytes(3000))
    audio, rate = soundfile.read(clips / Path(first.path).name, dtype="float32")
    soundfile.write(clips / "long.mp3", np.tile(audio, int(11 * rate / len(audio)) + 1), rate, format="MP3")
    soundfile.write(clips / "cafe.mp3", audio, rate, format="MP3")
    rows = [_row(speaker, Path(clip.path).name, clip.sentence) for clip in train]
    rows += [
        _row(speaker, "missing.mp3", "A clip that was never downloaded."),
        _row(speaker, "zero.mp3", "An empty file stands here."),
        _row(speaker, "garbage.mp3", "Noise bytes are not audio."),
        _row(speaker, Path(first.path).name, first.sentence),  # duplicate
        _row(speaker, "empty-sentence.mp3", "  "),
        _row(speaker, "long.mp3", "Too long to keep."),
        _row(speaker, "cafe.mp3", "Café crème is served at noon."),  # non-ASCII, valid for en
    ]
    shutil.copy(clips / Path(first.path).name, clips / "empty-sentence.mp3")
    rows.append(_row(speaker, "short.mp3", LONG_SENTENCE))
    soundfile.write(clips / "short.mp3", audio[: rate // 2], rate, format="MP3")
    rows.append(_row(speaker, "digits.mp3", "Room 101 is open."))
    soundfile.write(clips / "digits.mp3", audio, rate, format="MP3")
    header = ["sentence_id", *CV_COLUMNS[:3], EXTRA[0], *CV_COLUMNS[3:]]
    lines = ["\t".join(header)] + ["\t".join(row.get(name, "") for name in header) for row in rows]
    (release / "train.tsv").write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return {"missing_clip": 1, "unreadable_audio": 2, "duplicate": 1, "empty_sentence": 1, "too_long": 1,
            "too_short": 1, "invalid_label": 1}
