"""evaluate() on a fake model with fixed logits: per-file figures, DeepSpeech's report lines and order, JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sttx.core.data.alphabet import Alphabet
from sttx.core.evaluation.evaluator import EvaluationResult, evaluate, file_result, format_report, write_test_output
from sttx.core.evaluation.metrics import score_sample

tf = pytest.importorskip("tensorflow")

ALPHABET = Alphabet([" ", "a", "b", "c"])
BLANK = ALPHABET.blank  # 4
N_CLASSES = ALPHABET.n_classes


def fake_model(features: object, training: bool = False) -> object:
    """Logits are the first n_classes feature channels: the test writes the path it wants decoded there."""
    if training:
        raise AssertionError("evaluation must run with training=False")
    return features[:, :, :N_CLASSES] * 10.0


def path_features(path: list[int], frames: int) -> np.ndarray:
    features = np.zeros((frames, 26), np.float32)
    full = path + [BLANK] * (frames - len(path))
    features[np.arange(frames), full] = 1.0
    return features


def batch_dataset(items: list[tuple[str, str, list[int]]], frames: int = 12, lengths: list[int] | None = None) -> Any:
    """One batch from (id, reference text, emitted frame path) triples; ``lengths``: valid frames of each."""
    labels = [ALPHABET.encode(text) for _, text, _ in items]
    width = max(len(label) for label in labels)
    batch = {
        "features": np.stack([path_features(path, frames) for _, _, path in items]),
        "feature_lengths": np.asarray(lengths or [frames] * len(items), np.int32),
        "labels": np.stack([np.pad(label, (0, width - len(label))) for label in labels]).astype(np.int32),
        "label_lengths": np.asarray([len(label) for label in labels], np.int32),
        "ids": np.asarray([sample_id.encode() for sample_id, _, _ in items]),
    }
    return tf.data.Dataset.from_tensors(batch)


def spaced(text: str) -> list[int]:
    """A frame path that emits ``text`` exactly (blank between every label, so repeats survive)."""
    return [index for char in text for index in (ALPHABET.encode(char)[0], BLANK)]


@pytest.fixture(scope="module")
def result() -> EvaluationResult:
    first = batch_dataset([("right.wav", "ab c", spaced("ab c")), ("wrong.wav", "ab c", spaced("ab b"))])
    second = batch_dataset([("empty.wav", "cab", [])])
    return evaluate(fake_model, {"one.csv": first, "two.csv": second}, ALPHABET, report_count=1, progress=False)


def test_per_file_figures(result: EvaluationResult) -> None:
    one, two = result.files
    assert one.name == "one.csv" and two.name == "two.csv"
    assert one.wer == pytest.approx(1 / 4) and one.cer == pytest.approx(1 / 8)
    assert (two.wer, two.cer) == (1.0, 1.0)
    assert [s.res for s in two.samples] == [""]
    assert one.loss == pytest.approx(np.mean([s.loss for s in one.samples]))
    right, wrong = sorted(one.samples, key=lambda s: s.wav_filename)
    assert right.loss < wrong.loss  # the model is sure of "ab c", so the wrong reference costs more
    assert right.loss >= 0.0


def test_frames_past_the_length_are_ignored_and_the_step_is_reused() -> None:
    from sttx.core.evaluation.evaluator import make_eval_step

    items = [("cut.wav", "ab", [*spaced("ab"), 3]), ("full.wav", "abc", spaced("abc"))]  # "c" after the end
    dataset = batch_dataset(items, lengths=[4, 12])
    first = evaluate(fake_model, {"x.csv": dataset}, ALPHABET, progress=False)
    assert {s.wav_filename: s.res for s in first.samples} == {"cut.wav": "ab", "full.wav": "abc"}
    assert first.files[0].cer == 0.0
    step = make_eval_step(fake_model)
    assert make_eval_step(fake_model) is step  # built once per model: no retracing every epoch
    assert step.experimental_get_tracing_count() == 1


def test_report_format_and_order(result: EvaluationResult) -> None:
    lines = format_report(result).splitlines()
    one = result.files[0]
    assert lines[0] == f"Test on one.csv - WER: {one.wer:f}, CER: {one.cer:f}, loss: {one.loss:f}"
    assert lines[1] == "-" * 80
    assert lines[2:4] == ["Best WER:", "-" * 80]
    best = one.samples[0]
    assert lines[4] == f"WER: {best.wer:f}, CER: {best.cer:f}, loss: {best.loss:f}"
    assert lines[5:8] == [" - wav: right.wav", ' - src: "ab c"', ' - res: "ab c"']
    assert lines[9] == "Median WER:"
    assert lines[11 + 1] == " - wav: wrong.wav"  # median of 2 samples with count 1: index 1
    worst = lines.index("Worst WER:")
    assert lines[worst + 3] == " - wav: wrong.wav"
    assert any(line.startswith("Test on two.csv - WER: 1.000000, CER: 1.000000") for line in lines)


def test_report_blocks_of_a_bigger_set() -> None:
    samples = [score_sample(f"{i}.wav", "a b c d", " ".join("abcd"[: 4 - i % 5]), float(i)) for i in range(10)]
    report = format_report(EvaluationResult(files=(file_result("x.csv", samples),), report_count=3))
    wavs = [line[len(" - wav: ") :] for line in report.splitlines() if line.startswith(" - wav:")]
    # WER ascending; among equal WER, loss descending: WER 0 is i=5 and i=0, WER 1/4 is 6 and 1, ...
    ordered = [s.wav_filename for s in file_result("x.csv", samples).samples]
    assert ordered == ["5.wav", "0.wav", "6.wav", "1.wav", "7.wav", "2.wav", "8.wav", "3.wav", "9.wav", "4.wav"]
    assert wavs[:3] == ordered[:3]
    assert wavs[3:6] == ordered[4:7]  # median block: 3 samples centred at index 5
    assert wavs[6:] == ordered[-3:]


def test_test_output_file(result: EvaluationResult, tmp_path: Path) -> None:
    path = write_test_output(result, tmp_path / "out" / "test.json")
    rows = json.loads(path.read_text(encoding="utf-8"))
    keys = ["wav_filename", "src", "res", "loss", "char_distance", "char_length", "word_distance", "word_length"]
    assert list(rows[0]) == [*keys, "cer", "wer"]
    assert [row["wav_filename"] for row in rows] == ["right.wav", "wrong.wav", "empty.wav"]
    assert rows[1]["res"] == "ab b" and rows[1]["word_distance"] == 1 and rows[1]["char_distance"] == 1
    assert "  " in path.read_text(encoding="utf-8").splitlines()[1]  # indented


def test_json_keeps_non_ascii(tmp_path: Path) -> None:
    samples = [score_sample("é.wav", "café", "cafe", 1.0)]
    path = write_test_output(EvaluationResult(files=(file_result("x", samples),)), tmp_path / "t.json")
    assert "café" in path.read_text(encoding="utf-8")
