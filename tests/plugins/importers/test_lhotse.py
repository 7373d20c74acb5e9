"""`sttx import lhotse` on generated lhotse manifests (.jsonl.gz as lhotse writes them): offsets, channels, skips."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.contract.errors import UsageError
from sttx.core.data.importing import CorpusError, LabelFilter
from sttx.plugins.importers._common import ImportOptions
from sttx.plugins.importers.lhotse_manifests import collection_name, prepare_lhotse
from sttx.plugins.validators.en import validate_label_en
from tests.plugins.importers.manifest_trees import RATE, accounted, csv_rows, join, sample

EN = ImportOptions(label_filter=LabelFilter(validate=validate_label_en), jobs=2)


def _write(path: Path, items: list[dict]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(item) + "\n" for item in items)
    return path


def _recording(ident: str, source: str, kind: str = "file", channels: tuple[int, ...] = (0,), **extra) -> dict:
    return {"id": ident, "sources": [{"type": kind, "channels": list(channels), "source": source}],
            "sampling_rate": RATE, "num_samples": 160000, "duration": 10.0, **extra}


def _sup(ident: str, rec: str, start: float, duration: float, text: str | None, channel: int = 0) -> dict:
    return {"id": ident, "recording_id": rec, "start": start, "duration": duration, "channel": channel,
            "text": text, "language": "English", "speaker": ident.split("-")[0]}


def _cut(ident: str, recording: dict, start: float, duration: float, sups: list[dict], kind: str = "MonoCut",
         channel: int | list[int] = 0) -> dict:
    return {"id": ident, "start": start, "duration": duration, "channel": channel, "supervisions": sups,
            "recording": recording, "type": kind}


@pytest.fixture
def corpus(tmp_path: Path) -> dict:
    """cuts.jsonl.gz: 14 supervisions in 11 cuts (one without supervisions); 6 import, 8 skip for 6 reasons."""
    clips = sample(6)
    spans = join([clip for clip, _ in clips[:3]], tmp_path / "audio" / "long.wav")
    left, right = clips[3][0], clips[4][0]
    stereo = np.zeros((max(len(left), len(right)), 2), dtype=np.float32)
    stereo[: len(left), 0], stereo[: len(right), 1] = left, right
    soundfile.write(tmp_path / "audio" / "stereo.wav", stereo, RATE)
    soundfile.write(tmp_path / "audio" / "piped.flac", clips[5][0], RATE)
    long = _recording("long", "audio/long.wav")  # relative: resolved against the audio root
    two = _recording("two", str(tmp_path / "audio" / "stereo.wav"), channels=(0, 1))
    piped = _recording("piped", f"sox {tmp_path / 'audio' / 'piped.flac'} -t wav -", kind="command")
    (s1, e1), (s2, e2), (s3, e3) = spans
    late = s2 - 0.2  # a cut that starts before its supervisions: their starts are relative to it
    cuts = [
        _cut("c1", long, 0.0, e1, [_sup("a-1", "long", 0.0, e1 - s1, clips[0][1])]),
        _cut("c2", long, late, e3 - late, [_sup("a-2", "long", s2 - late, e2 - s2, clips[1][1]),
                                           _sup("b-3", "long", s3 - late, e3 - s3, clips[2][1])]),
        _cut("c3", two, 0.0, 3.0, [_sup("c-4", "two", 0.0, len(left) / RATE, clips[3][1], channel=0),
                                   _sup("c-5", "two", 0.0, len(right) / RATE, clips[4][1], channel=1)],
             kind="MultiCut", channel=[0, 1]),
        _cut("c4", _recording("web", "https://example.com/a.wav", kind="url"), 0, 2, [_sup("d-6", "web", 0, 2, "x")]),
        _cut("c5", _recording("gone", "audio/gone.wav"), 0, 2, [_sup("d-7", "gone", 0, 2, "the audio is gone")]),
        _cut("c6", {**long, "transforms": [{"name": "Speed", "kwargs": {"factor": 1.1}}]}, 0, 2,
             [_sup("d-8", "long", 0, 2, "sped up")]),
        _cut("c7", long, 0.0, 1.0, [_sup("e-9", "long", 0.0, 1.0, None),
                                    _sup("a-1", "long", 0.0, e1 - s1, clips[0][1]),
                                    _sup("e-10", "long", 0.0, 0.2, "far too many words for a fifth of a second")]),
        _cut("c8", long, s3, 5.0, [_sup("e-11", "long", 0.0, 5.0, "this runs past the end of the recording")]),
        {"id": "mix", "tracks": [{"cut": _cut("t", long, 0, 1, [_sup("f-12", "long", 0, 1, "mixed")])}],
         "type": "MixedCut"},
        _cut("c9", long, 0.0, 1.0, []),
        _cut("c10", piped, 0.0, len(clips[5][0]) / RATE, [_sup("g-13", "piped", 0, len(clips[5][0]) / RATE,
                                                               clips[5][1])]),
    ]
    return {"cuts": _write(tmp_path / "demo_cuts_dev.jsonl.gz", cuts), "root": tmp_path, "clips": clips,
            "long": long, "spans": spans}


def test_one_row_per_supervision_cut_out_with_every_skip_counted(corpus):
    report = prepare_lhotse([corpus["cuts"]], audio_root=corpus["root"], allow_pipes=True, options=EN)
    counts = report.counts("demo_dev")
    assert counts["rows"] == 14 and counts["imported"] == 6
    assert counts["skipped"] == {"duplicate": 1, "missing_clip": 1, "unsupported_source": 3,
                                 "unreadable_audio": 1, "empty_sentence": 1, "too_short": 1}
    assert accounted(report, ["demo_dev"]) and report.notes["cuts_without_supervisions"] == 1
    out = corpus["root"] / "sttx_import"
    rows = {row["transcript"]: out / row["wav_filename"] for row in csv_rows(out / "demo_dev.csv")}
    assert set(rows) == {text for _, text in corpus["clips"]}
    for number in (1, 2, 3, 4):  # offsets relative to a late cut; each channel of the stereo recording alone
        clip, text = corpus["clips"][number]
        cut, rate = soundfile.read(rows[text], dtype="float32")
        assert rate == RATE and abs(len(cut) - len(clip)) <= 1, text
        assert np.abs(cut[: len(clip)] - clip[: len(cut)]).max() < 1e-3, text
    saved = json.loads((out / "import_report.json").read_text(encoding="utf-8"))
    why = {row["line"]: (row["reason"], row["detail"]) for row in saved["skipped"]}
    assert why[4] == ("unsupported_source", "recording 'web' is a url source (sttx reads local files only)")
    assert why[6] == ("unsupported_source", "recording 'long' applies transforms (Speed)")
    assert why[9] == ("unsupported_source", "a MixedCut")


def test_command_sources_need_allow_pipes(corpus, pm):
    with pytest.raises(UsageError, match=r"line 11: recording 'piped' is read through a command"):
        prepare_lhotse([corpus["cuts"]], audio_root=corpus["root"], options=EN)
    result = CliRunner().invoke(build_cli(pm), ["import", "lhotse", str(corpus["cuts"])])
    assert result.exit_code == 2 and "pass --allow_pipes" in result.output


def test_recordings_and_supervisions_through_the_cli(corpus, pm, tmp_path):
    clips = corpus["clips"]
    spans = corpus["spans"]
    recordings = _write(tmp_path / "demo_recordings_train.jsonl.gz", [corpus["long"]])
    sups = [_sup(f"s-{n}", "long", spans[n][0], spans[n][1] - spans[n][0], clips[n][1].upper()) for n in range(3)]
    sups.append(_sup("s-9", "elsewhere", 0.0, 1.0, "a recording nobody listed"))
    supervisions = _write(tmp_path / "demo_supervisions_train.jsonl.gz", sups)
    result = CliRunner().invoke(build_cli(pm), [
        "import", "lhotse", "--recordings", str(recordings), "--supervisions", str(supervisions),
        "--audio_root", str(corpus["root"]), "--out-dir", str(tmp_path / "out"), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "demo_train: Imported 3 samples" in result.output
    assert "Skipped 1 samples that have no audio file" in result.output
    rows = csv_rows(tmp_path / "out" / "demo_train.csv")
    assert [row["wav_filename"] for row in rows] == [f"clips/demo_train/s-{n}.wav" for n in range(3)]
    assert [row["transcript"] for row in rows] == [text for _, text in clips[:3]]


def test_malformed_manifests_are_one_line_errors_naming_file_and_line(corpus, pm, tmp_path):
    broken = tmp_path / "broken_cuts.jsonl.gz"
    with gzip.open(broken, "wt") as handle:
        handle.write(json.dumps(_cut("ok", corpus["long"], 0, 1, [])) + "\n{not json\n")
    result = CliRunner().invoke(build_cli(pm), ["import", "lhotse", str(broken)])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "broken_cuts.jsonl.gz line 2: not JSON" in result.output
    no_duration = _sup("x", "long", 0, 1, "text")
    del no_duration["duration"]
    _write(broken, [_cut("c", corpus["long"], 0, 1, [no_duration])])
    with pytest.raises(CorpusError, match=r"broken_cuts\.jsonl\.gz line 1: 'duration' should be int or float"):
        prepare_lhotse([broken])
    recordings = _write(tmp_path / "recordings.jsonl.gz", [corpus["long"]])
    with pytest.raises(UsageError, match="holds recordings, not cuts; pass it with --recordings"):
        prepare_lhotse([recordings])
    (tmp_path / "cuts.txt").write_text("{}\n")
    with pytest.raises(CorpusError, match=r"cuts\.txt: not a lhotse manifest"):
        prepare_lhotse([tmp_path / "cuts.txt"])


def test_collection_names_drop_the_manifest_kind():
    assert collection_name(Path("librispeech_cuts_dev-clean.jsonl.gz")) == "librispeech_dev-clean"
    assert collection_name(Path("cuts.jsonl.gz")) == "cuts"
    assert collection_name(Path("mine.json")) == "mine"


def test_json_lists_and_pre_0_8_cut_type_are_read(corpus, tmp_path):
    """lhotse writes .json manifests as one list, and called MonoCut 'Cut' before v0.8."""
    clip, text = corpus["clips"][0]
    old = _cut("old", corpus["long"], 0.0, 2.0, [_sup("o-1", "long", 0.0, len(clip) / RATE, text)], kind="Cut")
    (tmp_path / "old.json").write_text(json.dumps([old]))
    report = prepare_lhotse([tmp_path / "old.json"], audio_root=corpus["root"], options=EN)
    assert report.counts("old")["imported"] == 1
