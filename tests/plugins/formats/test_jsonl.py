"""NeMo JSONL manifests: fields, offsets, relative paths, errors naming the row, and the writer."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sttx.core.contract.errors import DataError
from sttx.core.data.audio import read_audio
from sttx.plugins.formats.jsonl import read_jsonl, write_jsonl


def _manifest(path, entries):
    path.write_text("".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in entries), encoding="utf-8")
    return path


def test_fields_relative_paths_and_segments(speech_dir):
    full = read_audio(speech_dir / "one.wav")
    duration = len(full) / 16000
    path = _manifest(
        speech_dir / "m.jsonl",
        [
            {"audio_filepath": "one.wav", "text": "the quick brown fox", "duration": duration},
            "",
            {"audio_filepath": str(speech_dir / "one.wav"), "text": "part", "duration": 0.25, "offset": 0.5},
        ],
    )
    first, second = read_jsonl(path)
    assert first.id == str(speech_dir / "one.wav")
    assert (first.transcript, first.duration) == ("the quick brown fox", duration)
    np.testing.assert_array_equal(first.load().audio, full)
    assert second.id == f"{speech_dir / 'one.wav'}@0.5"
    assert second.origin == f"{path} row 3"
    np.testing.assert_array_equal(second.load().audio, full[8000:12000])
    assert first.size > second.size


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "row 1: not JSON"),
        ('["a"]', "row 1: expected a JSON object"),
        ('{"text": "x"}', "row 1: missing or non-string 'audio_filepath'"),
        ('{"audio_filepath": "a.wav"}', "row 1: missing or non-string 'text'"),
        ('{"audio_filepath": "a.wav", "text": "x", "duration": "long"}', "row 1: duration 'long'"),
        ('{"audio_filepath": "a.wav", "text": "x", "offset": -1}', "row 1: offset -1"),
    ],
)
def test_malformed_manifest_names_the_row(tmp_path, line, problem):
    path = _manifest(tmp_path / "bad.json", [line])
    with pytest.raises(DataError, match=problem):
        list(read_jsonl(path))


def test_writer_round_trip(tmp_path, speech_dir):
    samples = list(
        read_jsonl(
            _manifest(tmp_path / "in.jsonl", [{"audio_filepath": str(speech_dir / "two.wav"), "text": "jumps über"}])
        )
    )
    samples = [ref.load() for ref in samples]
    target = tmp_path / "out.jsonl"
    assert write_jsonl(samples, target) == 1
    entry = json.loads(target.read_text(encoding="utf-8"))
    assert entry == {"audio_filepath": "out/sample00000000.wav", "text": "jumps über", "duration": samples[0].duration}
    (ref,) = read_jsonl(target)
    np.testing.assert_array_equal(ref.load().audio, samples[0].audio)


def test_a_line_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_bytes(b'{"audio_filepath": "a.wav", "text": "ok"}\n{"audio_filepath": "b.wav", "text": "caf\xe9"}\n')
    rows = read_jsonl(path)
    assert next(rows).transcript == "ok"
    with pytest.raises(DataError, match=r"m\.jsonl row 2: not UTF-8 text"):
        next(rows)
