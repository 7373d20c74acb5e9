"""TensorFlow-free checks of a MODEL path and of a scorer, so that `transcribe` and `export` fail before TF loads."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sttx.core.data.alphabet import load_alphabet
from sttx.core.inference.loading import check_model_path
from sttx.core.inference.runtimes import ModelLoadError
from sttx.core.inference.scorer import ScorerError, read_scorer, write_scorer
from sttx.core.training import checkpoints

#: a FlatBuffer's root offset, then TFLite's file identifier
TFLITE_HEAD = b"\x1c\x00\x00\x00TFL3" + bytes(24)


@pytest.mark.parametrize(
    "make",
    [
        lambda root: (root / "model.tflite").write_bytes(TFLITE_HEAD),
        lambda root: (root / "export" / "output_graph.tflite").write_bytes(TFLITE_HEAD),
        lambda root: [(root / "export" / name).write_text("a\n") for name in ("saved_model.pb", "alphabet.txt")],
        lambda root: (root / "export" / "best_dev-7" / checkpoints.STATE_FILE).write_text("{}"),
        lambda root: (root / "export" / "model.ckpt-12.index").write_bytes(b""),  # DeepSpeech's TF1 layout
    ],
    ids=["tflite-file", "export-dir", "saved-model", "sttx-checkpoint", "deepspeech-checkpoint"],
)
def test_every_model_kind_passes(tmp_path, make):
    (tmp_path / "export" / "best_dev-7").mkdir(parents=True)
    make(tmp_path)
    model = tmp_path / "model.tflite"
    check_model_path(model if model.exists() else tmp_path / "export")


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("model.tflite", b"", "is empty"),
        ("model.tflite", b"\x00" * 40, "not a TFLite flatbuffer"),
        ("model.pb", TFLITE_HEAD, "neither a .tflite file nor a directory"),
        ("missing.tflite", None, "does not exist"),
        ("empty-dir", "dir", "holds no .tflite, saved_model.pb or checkpoint"),
    ],
)
def test_model_mistakes_name_the_path(tmp_path, name, data, problem):
    path = tmp_path / name
    if data == "dir":
        path.mkdir()
    elif data is not None:
        path.write_bytes(data)
    with pytest.raises(ModelLoadError, match=problem) as caught:
        check_model_path(path)
    assert name in str(caught.value)


def test_a_saved_model_without_its_alphabet_is_refused(tmp_path):
    (tmp_path / "saved_model.pb").write_bytes(b"x")
    with pytest.raises(ModelLoadError, match=r"no alphabet\.txt"):
        check_model_path(tmp_path)


def test_scorer_must_be_a_whole_scorer(tmp_path):
    """What ``--scorer_path`` checks at parse time (ScorerPath): the file is a KenLM binary with a trie after it."""
    from tests.core.inference.scorer_files import kenlm_binary

    (tmp_path / "lm.binary").write_bytes(kenlm_binary(payload=bytes(64)))
    good = write_scorer(tmp_path / "lm.binary", ["a", "b"], load_alphabet(), tmp_path / "kenlm.scorer").path
    read_scorer(good)
    mistakes = [("empty.scorer", b"", "is empty"), ("lm.arpa", b"\\data\\\nngram 1=3\n", "not a KenLM"),
                ("bare.scorer", (tmp_path / "lm.binary").read_bytes(), "holds no vocabulary trie")]
    for name, data, problem in mistakes:
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ScorerError, match=problem) as caught:
            read_scorer(tmp_path / name)
        assert name in str(caught.value)


def test_the_checks_do_not_import_tensorflow(tmp_path):
    (tmp_path / "model.tflite").write_bytes(TFLITE_HEAD)
    code = (
        "import sys\n"
        "from sttx.core.inference.loading import check_model_path\n"
        "from sttx.core.inference.scorer import read_scorer\n"
        f"check_model_path({str(tmp_path / 'model.tflite')!r})\n"
        f"check_model_path({str(tmp_path)!r})\n"
        "print('tensorflow' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
