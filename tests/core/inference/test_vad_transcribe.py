"""VAD segmentation and transcription of a long synthesized recording with pauses, through every MODEL kind;
short clips are transcribed whole."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sttx.core.contract.errors import UsageError
from sttx.core.data.audio import read_audio, write_audio
from sttx.core.inference.transcribe import collect_audio_files, transcribe_paths
from sttx.core.inference.vad import VadOptions, frame_decisions, vad_segments, voiced_runs
from tests.plugins.exporters.conftest import random_weights, synthesize

SENTENCES = ["the first sentence is short", "then a pause and another one follows", "and a last one"]
PAUSE = 2.0


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[int, int]]]:
    """espeak-ng sentences joined by 2 s of silence (> 10 s); returns the file and each sentence's span in ms."""
    folder = tmp_path_factory.mktemp("long")
    parts, spans, position = [np.zeros(int(16000 * PAUSE), np.float32)], [], PAUSE
    for index, text in enumerate(SENTENCES):
        speech = read_audio(synthesize(text, folder / f"s{index}.wav"))
        spans.append((int(position * 1000), int((position + len(speech) / 16000) * 1000)))
        parts += [speech, np.zeros(int(16000 * PAUSE), np.float32)]
        position += len(speech) / 16000 + PAUSE
        (folder / f"s{index}.wav").unlink()
    path = folder / "long.wav"
    write_audio(path, np.concatenate(parts), 16000)
    assert position * 1000 > VadOptions().outlier_duration_ms, "the recording must be long enough to be split"
    return path, spans


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sttx.core.data.alphabet import load_alphabet
    from sttx.core.inference.export_options import ExportOptions
    from sttx.plugins.exporters.tflite import convert_tflite

    path = tmp_path_factory.mktemp("model") / "output_graph.tflite"
    path.write_bytes(convert_tflite(random_weights(), load_alphabet().serialize(), ExportOptions()))
    return path


def test_vad_finds_each_sentence(recording: tuple[Path, list[tuple[int, int]]]) -> None:
    path, spans = recording
    segments = vad_segments(read_audio(path))
    assert len(segments) == len(spans)
    for segment, (start, end) in zip(segments, spans, strict=True):
        assert start - 330 <= segment.start_ms <= start - 200  # espeak speaks from its first frame; 300 ms before
        assert end - 400 <= segment.end_ms <= end + 330  # espeak ends with up to 0.4 s of silence of its own
        assert len(segment.audio) == (segment.end_ms - segment.start_ms) * 16


def test_outliers_are_cut_only_in_pauses(recording: tuple[Path, list[tuple[int, int]]]) -> None:
    """1.5 s of padding merges all three sentences into one stretch longer than 10 s, which is then cut, in the
    middle of a pause between sentences and nowhere else."""
    path, spans = recording
    audio = read_audio(path)
    options = VadOptions(padding_ms=1500)
    segments = vad_segments(audio, options=options)
    assert len(segments) >= 2 and segments[0].end_ms == segments[1].start_ms
    runs = [(first * 30, end * 30) for first, end in voiced_runs(frame_decisions(audio, 16000, options))]
    for segment in segments:
        held = [run for run in runs if segment.start_ms <= run[0] and run[1] <= segment.end_ms]
        assert segment.end_ms - segment.start_ms <= options.outlier_duration_ms or len(held) == 1
    for first, end in runs:  # each voiced run whole in one segment
        assert sum(s.start_ms <= first and end <= s.end_ms for s in segments) == 1
    pauses = [(end, start) for (_, end), (start, _) in itertools.pairwise(spans)]
    for segment in segments[1:]:
        assert any(after <= segment.start_ms <= before for after, before in pauses)


def test_short_clip_is_transcribed_whole(model_file: Path, speech_clip: Path) -> None:
    """A clip shorter than --outlier_duration_ms: the default (VAD on) gives exactly what --novad gives."""
    from sttx.cli import build_cli
    from sttx.core.contract.plugins import get_plugin_manager

    (default,) = transcribe_paths(model_file, [speech_clip], vad=VadOptions())
    (whole,) = transcribe_paths(model_file, [speech_clip], vad=None)
    assert default == whole and len(default.segments) == 1 and default.segments[0].start_ms == 0
    cli = build_cli(get_plugin_manager(load_entrypoints=False))
    outputs = [CliRunner().invoke(cli, ["transcribe", str(model_file), str(speech_clip), *flags]).output
               for flags in ([], ["--vad", "false"], ["--vad-padding-ms", "0", "--vad_aggressiveness", "0"])]
    assert outputs[0].strip() == default.text and len(set(outputs)) == 1
    bad = CliRunner().invoke(cli, ["transcribe", str(model_file), str(speech_clip), "--vad_padding_ms", "-5"])
    assert bad.exit_code == 2 and "--vad_padding_ms" in bad.output


def test_tlog_and_json_timings(recording, model_file: Path) -> None:
    path, spans = recording
    (result,) = transcribe_paths(model_file, [path], vad=VadOptions(), tlog=True)
    tlog = json.loads(path.with_suffix(".tlog").read_text())
    assert [entry["start"] for entry in tlog] == [s.start_ms for s in result.segments]
    assert len(tlog) == len(spans) and all(entry["transcript"] for entry in tlog)
    for segment in result.segments:
        starts = [start for _, start in segment.tokens]
        assert starts == sorted(starts) and segment.start_ms <= starts[0] and starts[-1] <= segment.end_ms
        assert "".join(text for text, _ in segment.tokens) == segment.transcript
    with pytest.raises(UsageError, match="--force"):
        transcribe_paths(model_file, [path], vad=VadOptions(), tlog=True)


def test_all_model_kinds_agree(tmp_path: Path, recording, speech_clip: Path) -> None:
    """An export dir, its .tflite, its SavedModel and the DeepSpeech checkpoint give the same transcript."""
    from sttx.core.contract.plugins import get_plugin_manager
    from sttx.core.data.alphabet import load_alphabet
    from sttx.core.inference.export import export_model
    from sttx.core.inference.model_source import ExportSource
    from tests.core.training.ds_tf1 import ds_variables, write_checkpoint

    checkpoint = write_checkpoint(tmp_path / "ckpt", ds_variables(n_hidden=24))
    registry = get_plugin_manager(load_entrypoints=False).registries().exporters
    float_tflite = {"export_quantize": False}  # int8 (the default) may read a random model's frames differently
    export_model(ExportSource.from_checkpoint_dir(checkpoint), float_tflite, tmp_path / "tfl", ["tflite"],
                 registry=registry)
    export_model(checkpoint, {}, tmp_path / "sm", ["savedmodel"], registry=registry)
    texts = {str(model): transcribe_paths(model, [speech_clip])[0].text
             for model in (tmp_path / "tfl", tmp_path / "tfl" / "output_graph.tflite", tmp_path / "sm", checkpoint)}
    assert len(set(texts.values())) == 1, texts
    assert load_alphabet().can_encode(next(iter(texts.values())))


def test_cli_text_json_and_folders(tmp_path: Path, model_file: Path, speech_clip: Path) -> None:
    from sttx.cli import build_cli
    from sttx.core.contract.plugins import get_plugin_manager

    (tmp_path / "sub").mkdir()
    for target in (tmp_path / "a.wav", tmp_path / "sub" / "b.wav"):
        target.write_bytes(speech_clip.read_bytes())
    cli = build_cli(get_plugin_manager(load_entrypoints=False))
    flat = CliRunner().invoke(cli, ["transcribe", str(model_file), str(tmp_path), "--novad"])
    assert flat.exit_code == 0, flat.output
    assert flat.output.count("\n") == 1 and flat.output.strip()  # one file, printed as its bare text
    deep = CliRunner().invoke(cli, ["transcribe", str(model_file), str(tmp_path), "--recursive", "--json"])
    assert deep.exit_code == 0, deep.output
    rows = json.loads(deep.output)
    assert [Path(row["path"]).name for row in rows] == ["a.wav", "b.wav"]
    assert rows[0]["segments"][0]["tokens"][0]["start_ms"] >= rows[0]["segments"][0]["start"]
    assert collect_audio_files([tmp_path], recursive=True) == [tmp_path / "a.wav", tmp_path / "sub" / "b.wav"]


@pytest.fixture(scope="module")
def speech_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthesize("one more clip to transcribe", tmp_path_factory.mktemp("clip") / "clip.wav")


def test_cli_decoder_flags(tmp_path: Path, model_file: Path, speech_clip: Path) -> None:
    """--scorer picks the beam decoder: words come from the LM's vocabulary, tokens keep their timings."""
    from sttx.cli import build_cli
    from sttx.core.contract.plugins import get_plugin_manager
    from tests.plugins.decoders.arpa import write_arpa

    arpa = write_arpa(["one more clip to transcribe", "a clip"], tmp_path / "lm.arpa")
    cli = build_cli(get_plugin_manager(load_entrypoints=False))
    greedy = CliRunner().invoke(cli, ["transcribe", str(model_file), str(speech_clip), "--novad"])
    fused = CliRunner().invoke(cli, ["transcribe", str(model_file), str(speech_clip), "--novad", "--json",
                                     "--scorer", str(arpa), "--beam_width", "16", "--lm_beta", "3"])
    assert greedy.exit_code == 0 and fused.exit_code == 0, fused.output
    (row,) = json.loads(fused.output)
    words = row["transcript"].split()
    assert words and set(words) <= {"one", "more", "clip", "to", "transcribe", "a"}
    assert row["transcript"] != greedy.output.strip()  # a random model's letters are not words
    tokens = row["segments"][0]["tokens"]
    assert "".join(token["text"] for token in tokens) == row["transcript"]
    assert [t["start_ms"] for t in tokens] == sorted(t["start_ms"] for t in tokens)
    bad = CliRunner().invoke(cli, ["transcribe", str(model_file), str(speech_clip), "--decoder", "greedy",
                                   "--scorer", str(arpa)])
    assert bad.exit_code == 2 and "--decoder greedy does not use a language model" in bad.output
