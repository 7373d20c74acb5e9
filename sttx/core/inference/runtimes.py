"""Acoustic-model runtimes behind one interface: a .tflite, a SavedModel, a Keras model, plain weights."""

from __future__ import annotations

import struct
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from sttx.core.contract.errors import SttxError
from sttx.core.data.alphabet import Alphabet, AlphabetError, UTF8Alphabet
from sttx.core.inference.reference import flat_windows


class ModelLoadError(SttxError):
    """A MODEL argument is not an export dir, .tflite, SavedModel or checkpoint dir (names the path)."""


def alphabet_from_blob(blob: bytes, source: str = "metadata_alphabet") -> Alphabet:
    """Parse libstt's serialized alphabet (uint16 count; per label uint16 index, uint16 length, bytes)."""
    (count,), offset, labels = struct.unpack_from("<H", blob), 2, []
    for _ in range(count):
        _, length = struct.unpack_from("<HH", blob, offset)
        labels.append(blob[offset + 4 : offset + 4 + length])
        offset += 4 + length
    try:
        return Alphabet([label.decode("utf-8") for label in labels], source=source)
    except (UnicodeDecodeError, AlphabetError):
        return UTF8Alphabet()


def is_tflite_file(path: str | Path) -> bool:
    """True when the file carries TFLite's ``TFL3`` file identifier (bytes 4 to 8 of the flatbuffer)."""
    with Path(path).open("rb") as handle:
        return handle.read(8)[4:8] == b"TFL3"


#: the tensors every DeepSpeech/Coqui STT .tflite has (libstt's contract)
EXPECTED_TENSORS = ("input_node", "previous_state_c", "previous_state_h", "logits", "metadata_alphabet")


class TFLiteAcoustic:
    """Runs an exported .tflite on TF's interpreter in ``n_steps`` chunks, carrying the LSTM state (as libstt)."""

    def __init__(self, path: str | Path, num_threads: int = 1) -> None:
        import tensorflow as tf

        self.path = Path(path)
        if not is_tflite_file(path):
            raise ModelLoadError(f"{path} is not a TFLite model (no TFL3 file identifier); sttx expects a .tflite "
                                 "exported by `sttx export` or DeepSpeech/Coqui STT")
        try:
            with warnings.catch_warnings():  # TF 2.21 announces the interpreter's move to LiteRT on every load
                warnings.simplefilter("ignore", UserWarning)
                self.interpreter = tf.lite.Interpreter(model_path=str(path), num_threads=num_threads)
            self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ModelLoadError(f"{path} is not a TFLite model ({reason}); sttx expects a .tflite exported by "
                                 "`sttx export` or DeepSpeech/Coqui STT") from None
        details = self.interpreter.get_input_details() + self.interpreter.get_output_details()
        self.index = {detail["name"]: detail["index"] for detail in details}
        shape = {detail["name"]: detail["shape"] for detail in details}
        missing = [name for name in EXPECTED_TENSORS if name not in shape]
        if missing:
            raise ModelLoadError(f"{path} is a TFLite model but not a speech-to-text export: it has no "
                                 f"{', '.join(missing)} (sttx expects DeepSpeech/Coqui STT's tensors)")
        self.n_steps, self.window, self.n_input = (int(v) for v in shape["input_node"][1:])
        self.n_hidden = int(shape["previous_state_c"][1])

    def alphabet(self) -> Alphabet:
        """The alphabet stored in the file's metadata."""
        self.interpreter.invoke()
        blob = self.interpreter.get_tensor(self.index["metadata_alphabet"])[0]
        return alphabet_from_blob(bytes(blob), f"{self.path} metadata_alphabet")

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Softmax outputs [T, n_classes] for MFCC [T, 26]."""
        windows = flat_windows(features, (self.window - 1) // 2)
        state_c = state_h = np.zeros((1, self.n_hidden), np.float32)
        outputs = []
        for start in range(0, len(windows), self.n_steps):
            chunk = windows[start : start + self.n_steps]
            batch = np.zeros((self.n_steps, chunk.shape[1]), np.float32)
            batch[: len(chunk)] = chunk
            self.interpreter.set_tensor(self.index["input_node"], batch.reshape(1, self.n_steps, self.window, -1))
            self.interpreter.set_tensor(self.index["previous_state_c"], state_c)
            self.interpreter.set_tensor(self.index["previous_state_h"], state_h)
            self.interpreter.invoke()
            outputs.append(self.interpreter.get_tensor(self.index["logits"])[: len(chunk)].copy())
            state_c = self.interpreter.get_tensor(self.index["new_state_c"]).copy()
            state_h = self.interpreter.get_tensor(self.index["new_state_h"]).copy()
        return np.concatenate(outputs) if outputs else np.zeros((0, 0), np.float32)


class KerasAcoustic:
    """A Keras model taking features [B, T, F] (MFCC [B, T, 26] for DeepSpeech) and returning logits.

    ``front_end`` and ``time_reduction`` are the model's (attached when it is built from its architecture).
    """

    def __init__(self, model: Any) -> None:
        import tensorflow as tf

        self.model = model
        self.front_end = getattr(model, "front_end", None)
        self.time_reduction = int(getattr(model, "time_reduction", 1) or 1)
        # one graph for every length: eager Keras LSTMs step in Python, which is slow for long clips
        spec = tf.TensorSpec([1, None, int(model.inputs[0].shape[-1])], tf.float32)
        self._forward = tf.function(lambda x: tf.nn.softmax(model(x, training=False)), input_signature=[spec])

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Softmax of the model's logits for one utterance."""
        return self._forward(np.asarray(features[None], np.float32)).numpy()[0]


class WeightsAcoustic:
    """Float64 numpy forward pass of plain weights (a reference independent of TF)."""

    def __init__(self, weights: Any) -> None:
        self.weights = weights

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Softmax outputs computed in numpy."""
        from sttx.core.training.acoustic_weights import numpy_forward

        logits = numpy_forward(self.weights, flat_windows(features))
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)


class SavedModelAcoustic:
    """A SavedModel written by sttx's (or Coqui's) savedmodel export: the ``forward_from_features`` signature."""

    def __init__(self, path: str | Path) -> None:
        import tensorflow as tf

        self.path = Path(path)
        self.forward = tf.saved_model.load(str(path)).signatures["forward_from_features"]
        self.front_end, self.time_reduction = read_front_end(self.path / FRONT_END_FILE)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Batch of one through the signature."""
        import tensorflow as tf

        out = self.forward(features=tf.constant(features[None], tf.float32), features_len=tf.constant([len(features)]))
        return out["probs"].numpy()[0]


#: written beside a SavedModel of a model with its own front end: its features, so a runtime computes the same
FRONT_END_FILE = "front_end.json"


def read_front_end(path: Path) -> tuple[Any, int]:
    """(FrontEnd or None, time reduction) from a front_end.json; (None, 1) when there is none (DeepSpeech)."""
    import json

    from sttx.core.contract.frontend import FrontEnd

    if not path.is_file():
        return None, 1
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return FrontEnd(**data["front_end"]), int(data.get("time_reduction", 1))
    except (ValueError, KeyError, TypeError) as error:
        raise ModelLoadError(f"{path} is not a valid front-end description: {error}") from error


def front_end_json(front_end: Any, time_reduction: int) -> str:
    """The text of a front_end.json (and of a whole-utterance .tflite's metadata_front_end)."""
    import json

    return json.dumps({"front_end": front_end.as_dict(), "time_reduction": time_reduction}, sort_keys=True)


class UtteranceTFLiteAcoustic:
    """A whole-utterance .tflite (sttx's ``tflite_offline`` export): features [1, T, F] in, ``probs`` out.

    Its ``metadata_alphabet`` and ``metadata_front_end`` outputs carry the alphabet and the front end.
    """

    def __init__(self, path: str | Path, num_threads: int = 1) -> None:
        import json

        import tensorflow as tf

        from sttx.core.contract.frontend import FrontEnd

        self.path = Path(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            self.interpreter = tf.lite.Interpreter(model_path=str(path), num_threads=num_threads)
        self.runner = self.interpreter.get_signature_runner("serving_default")
        meta = self.runner(features=np.zeros((1, 8, self.width), np.float32))
        data = json.loads(bytes(meta["metadata_front_end"]).decode("utf-8"))
        self.front_end, self.time_reduction = FrontEnd(**data["front_end"]), int(data["time_reduction"])
        self._alphabet_blob = bytes(meta["metadata_alphabet"])

    @property
    def width(self) -> int:
        """Features per frame the model reads."""
        return int(self.interpreter.get_signature_runner("serving_default").get_input_details()["features"]
                   ["shape_signature"][-1])

    def alphabet(self) -> Alphabet:
        """The alphabet stored in the file's metadata."""
        return alphabet_from_blob(self._alphabet_blob, f"{self.path} metadata_alphabet")

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Softmax outputs [ceil(T / time_reduction), n_classes] of one utterance."""
        return np.asarray(self.runner(features=np.asarray(features[None], np.float32))["probs"][0])


def is_utterance_tflite(path: str | Path) -> bool:
    """True for sttx's whole-utterance .tflite (a ``serving_default`` signature), False for libstt's."""
    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        interpreter = tf.lite.Interpreter(model_path=str(path))
    return "serving_default" in interpreter.get_signature_list()
