"""Open what `sttx transcribe MODEL` names: an export dir, a .tflite, a SavedModel dir or a checkpoint dir."""

from __future__ import annotations

from pathlib import Path

from sttx.core.data.alphabet import Alphabet
from sttx.core.inference.model_source import ExportSource
from sttx.core.inference.reference import Acoustic
from sttx.core.inference.runtimes import (
    ModelLoadError,
    SavedModelAcoustic,
    TFLiteAcoustic,
    UtteranceTFLiteAcoustic,
    is_utterance_tflite,
)


def load_model(path: str | Path, num_threads: int = 1) -> tuple[Acoustic, Alphabet]:
    """MODEL for transcribe: an export dir, a .tflite, a SavedModel dir or a checkpoint dir."""
    path = Path(path)
    check_model_path(path)
    if path.is_file():
        runtime = (UtteranceTFLiteAcoustic(path, num_threads) if is_utterance_tflite(path)
                   else TFLiteAcoustic(path, num_threads))
        return runtime, runtime.alphabet()
    tflites = sorted(path.glob("*.tflite"))
    if tflites:  # an export dir with both: the .tflite is what deployments run
        return load_model(tflites[0], num_threads)
    if (path / "saved_model.pb").exists():
        return SavedModelAcoustic(path), _dir_alphabet(path)
    source = ExportSource.from_checkpoint_dir(path)
    return source.reference(), source.alphabet


_EXPECTED = "; sttx expects a .tflite export, an export dir, a SavedModel dir or a checkpoint dir"


def check_model_path(path: str | Path) -> None:
    """The mistakes a MODEL argument can hold, found without TensorFlow: so they fail before it loads.

    A file must be a TFLite flatbuffer; a folder must hold a .tflite, a saved_model.pb or a checkpoint.
    """
    path = Path(path)
    if path.is_file():
        if path.suffix != ".tflite":
            raise ModelLoadError(f"model {path} is neither a .tflite file nor a directory{_EXPECTED}")
        _check_tflite(path)
    elif not path.is_dir():
        raise ModelLoadError(f"model {path} does not exist{_EXPECTED}")
    elif tflites := sorted(path.glob("*.tflite")):
        _check_tflite(tflites[0])
    elif (path / "saved_model.pb").exists():
        _dir_alphabet(path)
    elif not _has_checkpoint(path):
        raise ModelLoadError(f"model dir {path} holds no .tflite, saved_model.pb or checkpoint")


def _has_checkpoint(path: Path) -> bool:
    """sttx's checkpoints are train-<step>/ and best_dev-<step>/ folders; DeepSpeech's are <prefix>.index files."""
    from sttx.core.training.checkpoints import BEST, TRAIN, list_checkpoints

    return any(list_checkpoints(path, kind) for kind in (BEST, TRAIN)) or any(path.glob("*.index"))


def _check_tflite(path: Path) -> None:
    with path.open("rb") as handle:
        head = handle.read(8)
    # a FlatBuffer carries its file identifier at bytes 4-7; TFLite's is TFL3
    if head[4:8] != b"TFL3":
        problem = "empty" if not head else "not a TFLite flatbuffer (no TFL3 identifier)"
        raise ModelLoadError(f"model {path} is {problem}; sttx expects a .tflite exported by `sttx export` or "
                             "DeepSpeech/Coqui STT")


def _dir_alphabet(path: Path) -> Alphabet:
    if not (path / "alphabet.txt").exists():
        raise ModelLoadError(f"SavedModel {path} has no alphabet.txt beside it")
    return Alphabet.from_file(path / "alphabet.txt")
