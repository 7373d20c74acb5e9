"""Open what `sttx transcribe MODEL` names: an export dir, a .tflite, a SavedModel dir or a checkpoint dir."""

from __future__ import annotations

from pathlib import Path

from sttx.core.data.alphabet import Alphabet
from sttx.core.inference.model_source import ExportSource
from sttx.core.inference.reference import Acoustic
from sttx.core.inference.runtimes import ModelLoadError, SavedModelAcoustic, TFLiteAcoustic, is_tflite_file


def load_model(path: str | Path, num_threads: int = 1) -> tuple[Acoustic, Alphabet]:
    """MODEL for transcribe: an export dir, a .tflite, a SavedModel dir or a checkpoint dir."""
    path = Path(path)
    if path.is_file() and (path.suffix == ".tflite" or is_tflite_file(path)):
        runtime = TFLiteAcoustic(path, num_threads)
        return runtime, runtime.alphabet()
    if not path.is_dir():
        raise ModelLoadError(f"model {path} is not a TFLite model; sttx expects a .tflite, an export dir, a "
                             "SavedModel dir or a checkpoint dir")
    tflites = sorted(path.glob("*.tflite"))
    if tflites:  # an export dir with both: the .tflite is what deployments run
        return load_model(tflites[0], num_threads)
    if (path / "saved_model.pb").exists():
        return SavedModelAcoustic(path), _dir_alphabet(path)
    source = ExportSource.from_checkpoint_dir(path)
    return source.reference(), source.alphabet


def _dir_alphabet(path: Path) -> Alphabet:
    if not (path / "alphabet.txt").exists():
        raise ModelLoadError(f"SavedModel {path} has no alphabet.txt beside it")
    return Alphabet.from_file(path / "alphabet.txt")
