"""`sttx export` end to end from a DeepSpeech TF1 checkpoint: tflite, SavedModel, model card, zip, parity."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.inference.export_options import ExportOptions
from sttx.core.inference.loading import load_model
from sttx.core.inference.model_card import read_model_card
from sttx.core.inference.reference import libstt_features
from sttx.core.inference.runtimes import SavedModelAcoustic, TFLiteAcoustic, WeightsAcoustic
from sttx.plugins.exporters.parity import ParityError, compare, enforce
from tests.core.training.ds_tf1 import ds_variables, write_checkpoint
from tests.plugins.exporters.conftest import random_weights


def _scorer(root: Path) -> Path:
    """A scorer for the English alphabet (its KenLM part only a header: export never reads the model)."""
    from sttx.core.data.alphabet import load_alphabet
    from sttx.core.inference.scorer import write_scorer
    from tests.core.inference.scorer_files import kenlm_binary

    (root / "lm.binary").write_bytes(kenlm_binary(payload=bytes(64)))
    write_scorer(root / "lm.binary", ["she", "had", "your", "dark", "suit"], load_alphabet(), root / "kenlm.scorer")
    return root / "kenlm.scorer"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from sttx.core.contract.plugins import get_plugin_manager

    root = tmp_path_factory.mktemp("export")
    checkpoint = write_checkpoint(root / "ckpt", ds_variables(n_hidden=24))
    scorer = _scorer(root)
    args = ["export", "--checkpoint_dir", str(checkpoint), "--export_dir", str(root / "out"), "--export_savedmodel",
            "--export_zip", "--export_author_id", "me", "--export_model_name", "tiny", "--export_language", "en-US",
            "--export_min_ds_version", "0.9.3", "--export-license", "MPL-2.0", "--scorer", str(scorer),
            "--export_quantize", "false"]  # float, so the parity below is exact to 1e-4
    result = CliRunner().invoke(build_cli(get_plugin_manager(load_entrypoints=False)), args)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return root / "out", checkpoint


def test_files_and_model_card(exported: tuple[Path, Path]) -> None:
    out, _ = exported
    names = {path.name for path in out.iterdir()}
    assert {"output_graph.tflite", "saved_model.pb", "alphabet.txt", "exported.scorer"} <= names
    header, description = read_model_card(out / "me_tiny_0.0.1.md")
    assert header["author"] == "me" and header["model_name"] == "tiny" and header["language"] == "en-US"
    assert header["min_stt_version"] == "0.9.3" and header["license"] == "MPL-2.0" and header["runtime"] == "tflite"
    assert "acoustic_model_url" in header and description == "<description of the model>"


def test_zip_bundles_everything(exported: tuple[Path, Path]) -> None:
    out, _ = exported
    with zipfile.ZipFile(out.with_suffix(".zip")) as archive:
        names = set(archive.namelist())
    assert {"output_graph.tflite", "saved_model.pb", "exported.scorer", "me_tiny_0.0.1.md"} <= names
    with zipfile.ZipFile(out.with_suffix(".zip")) as archive:
        assert archive.read("exported.scorer") == (out.parent / "kenlm.scorer").read_bytes()


@pytest.mark.parametrize(("damage", "message", "code"),
                         [("alphabet", "built for another alphabet", 1), ("cut", "is cut short", 2)])
def test_export_refuses_a_scorer_libstt_could_not_use(exported: tuple[Path, Path], tmp_path: Path, damage: str,
                                                      message: str, code: int) -> None:
    """A scorer for another alphabet or a damaged one (a usage error: --scorer_path is read as it is parsed) is a
    one-line error, before anything is written."""
    from sttx.core.contract.plugins import get_plugin_manager
    from sttx.core.data.alphabet import Alphabet
    from sttx.core.inference.scorer import write_scorer

    _, checkpoint = exported
    scorer = _scorer(tmp_path)
    if damage == "alphabet":  # 40 labels: the trie's labels stop fitting the model's 28
        write_scorer(tmp_path / "lm.binary", ["ß"], Alphabet([" ", *"abcdefghijklmnopqrstuvwxyz0123456789é'z"[:38],
                                                               "ß"]), scorer)
    else:
        scorer.write_bytes(scorer.read_bytes()[:-5])
    args = ["export", "--checkpoint_dir", str(checkpoint), "--export_dir", str(tmp_path / "out"), "--export_tflite",
            "--export_zip", "--scorer_path", str(scorer)]
    result = CliRunner().invoke(build_cli(get_plugin_manager(load_entrypoints=False)), args)
    assert result.exit_code == code and message in result.output and str(scorer) in result.output
    assert len([line for line in result.output.splitlines() if line.startswith("Error")]) == 1
    assert not (tmp_path / "out.zip").exists()


def test_exports_agree_with_the_checkpoint(exported: tuple[Path, Path], speech: list[Path]) -> None:
    from sttx.core.data.audio import read_audio
    from sttx.core.training.ds_checkpoint import read_deepspeech_weights

    out, checkpoint = exported
    reference = WeightsAcoustic(read_deepspeech_weights(checkpoint))
    features = libstt_features(read_audio(speech[0]))
    expected = reference.probabilities(features)
    np.testing.assert_allclose(TFLiteAcoustic(out / "output_graph.tflite").probabilities(features), expected, atol=1e-4)
    np.testing.assert_allclose(SavedModelAcoustic(out).probabilities(features), expected, atol=1e-4)
    runtime, alphabet = load_model(out)  # an export dir picks its .tflite
    assert isinstance(runtime, TFLiteAcoustic) and alphabet.n_classes == 29


def test_savedmodel_signatures(exported: tuple[Path, Path], speech: list[Path]) -> None:
    import tensorflow as tf

    from sttx.core.data.audio import read_audio
    from sttx.core.data.features import mfcc

    out, _ = exported
    loaded = tf.saved_model.load(str(out))
    assert set(loaded.signatures) == {"compute_features", "forward_from_features"}
    result = loaded.signatures["compute_features"](input_wavfile=tf.constant(speech[0].read_bytes()))
    expected = mfcc(tf.constant(read_audio(speech[0]))).numpy()
    np.testing.assert_allclose(result["features"].numpy(), expected, atol=1e-4)
    assert int(result["features_len"]) == len(expected)
    batch = np.zeros((2, 30, 26), np.float32)
    batch[0], batch[1, :20] = expected[:30], expected[:20]
    probs = loaded.signatures["forward_from_features"](features=tf.constant(batch), features_len=tf.constant([30, 20]))
    probs = probs["probs"].numpy()
    assert probs.shape == (2, 30, 29)
    alone = loaded.signatures["forward_from_features"](features=tf.constant(batch[1:, :20]),
                                                       features_len=tf.constant([20]))["probs"].numpy()
    np.testing.assert_allclose(probs[1, :20], alone[0], atol=1e-5)  # padding beyond features_len is ignored


def test_zip_needs_an_empty_dir(exported: tuple[Path, Path]) -> None:
    from sttx.core.contract.plugins import get_plugin_manager

    out, checkpoint = exported
    args = ["export", "--checkpoint_dir", str(checkpoint), "--export_dir", str(out), "--export_zip"]
    result = CliRunner().invoke(build_cli(get_plugin_manager(load_entrypoints=False)), args)
    assert result.exit_code == 2 and "empty --export_dir" in result.output


def test_parity_fails_when_export_differs(tmp_path: Path, alphabet) -> None:
    from sttx.plugins.exporters.tflite import convert_tflite

    path = tmp_path / "other.tflite"
    path.write_bytes(convert_tflite(random_weights(seed=1), alphabet.serialize(), ExportOptions(export_quantize=False)))
    report = compare(WeightsAcoustic(random_weights(seed=2)), TFLiteAcoustic(path), alphabet, [], str(path))
    with pytest.raises(ParityError, match="tolerance"):
        enforce(report, 1e-3, lossy=False)
    assert enforce(report, 1e-3, lossy=True) is report


def test_sttx_checkpoint_export_and_transcribe(tmp_path: Path, alphabet, speech: list[Path]) -> None:
    """An sttx training checkpoint dir exports with parity (Keras reference) and transcribes as its .tflite."""
    from types import SimpleNamespace

    from sttx.core.contract.plugins import get_plugin_manager
    from sttx.core.inference.transcribe import transcribe_paths
    from sttx.core.training import checkpoints
    from sttx.plugins.models.deepspeech import build_model

    model = build_model(SimpleNamespace(n_hidden=32), alphabet.n_classes)
    rng = np.random.default_rng(9)
    model.set_weights([w + rng.standard_normal(w.shape).astype(np.float32) * 0.2 for w in model.get_weights()])
    geometry = {"model": "deepspeech", "n_hidden": 32, "relu_clip": 20.0, "layer_norm": False}
    checkpoints.save(tmp_path / "ckpt", checkpoints.BEST, 7, checkpoints.tracked_variables(model, None),
                     {"model": geometry})
    alphabet.write(tmp_path / "ckpt" / "alphabet.txt")
    args = ["export", "--checkpoint_dir", str(tmp_path / "ckpt"), "--export_dir", str(tmp_path / "out"),
            "--noexport_quantize"]  # float: the same transcripts as the checkpoint
    result = CliRunner().invoke(build_cli(get_plugin_manager(load_entrypoints=False)), args)
    assert result.exit_code == 0, result.output + repr(result.exception)
    from_checkpoint = transcribe_paths(tmp_path / "ckpt", speech)
    from_export = transcribe_paths(tmp_path / "out" / "output_graph.tflite", speech)
    assert [r.text for r in from_checkpoint] == [r.text for r in from_export]
    assert all(r.text for r in from_export)


def test_default_export_is_int8_as_in_coqui(exported: tuple[Path, Path], tmp_path: Path) -> None:
    """Coqui STT 1.4's --export_quantize defaults to true: `sttx export` writes int8 weights unless told otherwise;
    --export_float16 alone replaces the int8 default (no conflict)."""
    from sttx.core.contract.plugins import get_plugin_manager
    from sttx.plugins.exporters.check import check_tflite

    float_out, checkpoint = exported  # exported with --export_quantize false
    cli = build_cli(get_plugin_manager(load_entrypoints=False))
    runs = {"default": [], "float16": ["--export_float16"], "float": ["--noexport_quantize"]}
    paths = {}
    for name, flags in runs.items():
        args = ["export", "--checkpoint_dir", str(checkpoint), "--export_dir", str(tmp_path / name), *flags]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output + repr(result.exception)
        paths[name] = tmp_path / name / "output_graph.tflite"
    int8 = {name: _weight_types(path) for name, path in paths.items()}
    assert np.int8 in int8["default"] and np.int8 not in int8["float16"] and np.int8 not in int8["float"]
    assert np.float16 in int8["float16"]
    assert paths["default"].stat().st_size < 0.6 * paths["float"].stat().st_size
    assert paths["float"].read_bytes() == (float_out / "output_graph.tflite").read_bytes()
    assert "DEQUANTIZE" not in check_tflite(paths["float"]).ops


def _weight_types(path: Path) -> set[type]:
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_path=str(path))
    return {np.dtype(detail["dtype"]).type for detail in interpreter.get_tensor_details()}
