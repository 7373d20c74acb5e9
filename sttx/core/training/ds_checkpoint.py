"""Import DeepSpeech 0.9 / Coqui STT 1.x TF1 checkpoints (LSTMBlockFused or CuDNN trained) into sttx's model."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from sttx.core.contract.errors import SttxError

log = logging.getLogger(__name__)

LSTM_SCOPE = "cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell"
CUDNN_OPAQUE = "cudnn_lstm/opaque_kernel"
DENSE = ("layer_1", "layer_2", "layer_3", "layer_5", "layer_6")
#: checkpoint state files in DeepSpeech's load order for inference (best dev first, then the latest)
STATE_FILES = ("best_dev_checkpoint", "checkpoint")


class CheckpointImportError(SttxError):
    """A TF1 checkpoint is missing a variable or has an unexpected shape (names the checkpoint and variable)."""


def checkpoint_prefix(path: str | Path) -> str | None:
    """The checkpoint prefix of a dir (best_dev, then latest) or of a prefix given directly; None if none."""
    import tensorflow as tf

    path = Path(path)
    if path.is_dir():
        for state_file in STATE_FILES:
            state = tf.train.get_checkpoint_state(str(path), latest_filename=state_file)
            if state and state.model_checkpoint_path:
                found = Path(state.model_checkpoint_path)
                return str(found if found.is_absolute() else path / found)
        return None
    return str(path) if Path(f"{path}.index").exists() else None


def is_deepspeech_checkpoint(path: str | Path) -> bool:
    """True when ``path`` holds a TF1 checkpoint with DeepSpeech's variable names."""
    prefix = checkpoint_prefix(path)
    if prefix is None:
        return False
    import tensorflow as tf

    return "layer_1/weights" in dict(tf.train.list_variables(prefix))


def _ifco(blocks: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(blocks, axis=-1).astype(np.float32)


def split_fused_lstm(kernel: np.ndarray, bias: np.ndarray, forget_bias: float = 0.0) -> tuple[np.ndarray, ...]:
    """TF1 ``[x, h] @ kernel`` with gates (i, j, f, o) -> Keras kernel, recurrent kernel, bias with (i, f, c, o).

    ``forget_bias`` is what the TF1 cell added at run time (0 in DeepSpeech); Keras has none, so it is folded in.
    """
    n = bias.shape[0] // 4
    i, j, f, o = np.split(kernel, 4, axis=1)
    bi, bj, bf, bo = np.split(bias, 4)
    keras_kernel = _ifco([i, f, j, o])
    return keras_kernel[:-n], keras_kernel[-n:], _ifco([bi, bf + forget_bias, bj, bo])


def split_cudnn_opaque(params: np.ndarray, n_input: int, n: int) -> tuple[np.ndarray, ...]:
    """CuDNN canonical LSTM params (W_i,f,c,o [n, n_in]; R_i,f,c,o [n, n]; 8 biases) -> Keras i, f, c, o."""
    sizes = [n * n_input] * 4 + [n * n] * 4 + [n] * 8
    if params.size != sum(sizes):
        raise CheckpointImportError(f"{CUDNN_OPAQUE} has {params.size} values, expected {sum(sizes)}")
    parts = np.split(params.ravel(), np.cumsum(sizes)[:-1])
    kernel = _ifco([p.reshape(n, n_input).T for p in parts[:4]])
    recurrent = _ifco([p.reshape(n, n).T for p in parts[4:8]])
    bias = _ifco([parts[8 + k] + parts[12 + k] for k in range(4)])  # cuDNN adds input and recurrent biases
    return kernel, recurrent, bias


def read_deepspeech_weights(path: str | Path, relu_clip: float = 20.0) -> Any:
    """The 12 (or 14+ with LayerNorm) inference variables of a DeepSpeech checkpoint as AcousticWeights."""
    import tensorflow as tf

    from sttx.core.training.acoustic_weights import AcousticWeights, Dense

    prefix = checkpoint_prefix(path)
    if prefix is None:
        raise CheckpointImportError(f"no TF1 checkpoint (checkpoint or best_dev_checkpoint file) in {path}")
    reader = tf.train.load_checkpoint(prefix)
    shapes = reader.get_variable_to_shape_map()

    def get(name: str) -> np.ndarray:
        if name not in shapes:
            raise CheckpointImportError(f"checkpoint {prefix} has no variable {name!r}")
        return np.asarray(reader.get_tensor(name), np.float32)

    dense = {}
    for name in DENSE:
        norm = [f"{name}/LayerNorm/gamma", f"{name}/LayerNorm/beta"]
        gamma, beta = (get(v) for v in norm) if all(v in shapes for v in norm) else (None, None)
        dense[name] = Dense(get(f"{name}/weights"), get(f"{name}/bias"), gamma, beta, norm_epsilon=1e-12)
    n = dense["layer_5"].kernel.shape[0]
    if f"{LSTM_SCOPE}/kernel" in shapes:
        lstm = split_fused_lstm(get(f"{LSTM_SCOPE}/kernel"), get(f"{LSTM_SCOPE}/bias"))
    elif CUDNN_OPAQUE in shapes:
        lstm = split_cudnn_opaque(get(CUDNN_OPAQUE), dense["layer_3"].kernel.shape[1], n)
    else:
        raise CheckpointImportError(f"checkpoint {prefix} has neither {LSTM_SCOPE}/kernel nor {CUDNN_OPAQUE}")
    kernel, recurrent, bias = lstm
    return AcousticWeights(dense, kernel, recurrent, bias, relu_clip=relu_clip)


def read_flags(path: str | Path) -> dict[str, str]:
    """flags.txt of a checkpoint dir: DeepSpeech's ``--name=value`` lines or Coqui's JSON (empty if absent)."""
    file = Path(path) / "flags.txt"
    if not file.is_file():
        return {}
    text = file.read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        return {key: str(value) for key, value in json.loads(text).items()}
    return dict(re.findall(r"^--([A-Za-z0-9_]+)=(.*)$", text, flags=re.MULTILINE))


def load_into_model(model: Any, weights: Any, skip: Iterable[str] = ()) -> list[str]:
    """Set a DeepSpeech-shaped Keras model's layers from AcousticWeights; layers in ``skip`` keep their values.

    :param skip: layer names to leave alone (``sttx.core.training.transfer.dropped_layers(N)`` for --drop_source_layers)
    :returns: the layers loaded
    """
    skipped, loaded = set(skip), []
    for name, layer in weights.dense.items():
        if name in skipped:
            continue
        model.get_layer(name).set_weights([layer.kernel, layer.bias])
        if layer.norm_gamma is not None:
            model.get_layer(f"{name}_norm").set_weights([layer.norm_gamma, layer.norm_beta])
        loaded.append(name)
    if "lstm" not in skipped:
        model.get_layer("lstm").set_weights([weights.lstm_kernel, weights.lstm_recurrent, weights.lstm_bias])
        loaded.append("lstm")
    return loaded


def import_into_model(model: Any, path: str | Path, skip: Iterable[str] = ()) -> list[str]:
    """``--load_checkpoint_dir`` holding a DeepSpeech/Coqui TF1 checkpoint: load it into ``model`` (by layer).

    Raises CheckpointImportError naming the variable when a shape does not fit the model (n_hidden, alphabet).
    """
    weights = read_deepspeech_weights(path)
    for name, layer in weights.dense.items():
        expected = tuple(model.get_layer(name).get_weights()[0].shape)
        if name not in set(skip) and expected != layer.kernel.shape:
            raise CheckpointImportError(
                f"checkpoint {path}: {name}/weights has shape {layer.kernel.shape}, the model needs {expected}"
            )
    return load_into_model(model, weights, skip)


def restore_deepspeech(path: str | Path, alphabet_path: str | Path | None = None) -> tuple[Any, Any, float]:
    """(AcousticWeights, alphabet, relu_clip) of a DeepSpeech checkpoint dir; the alphabet must fit layer_6."""
    from sttx.core.data.alphabet import Alphabet, load_alphabet

    flags = read_flags(path)
    relu_clip = float(flags.get("relu_clip", 20.0))
    weights = read_deepspeech_weights(path, relu_clip)
    candidates = [alphabet_path, Path(path) / "alphabet.txt", flags.get("alphabet_config_path")]
    file = next((Path(c) for c in candidates if c and Path(c).is_file()), None)
    alphabet: Alphabet = Alphabet.from_file(file) if file else load_alphabet()
    if alphabet.n_classes != weights.n_classes:
        raise CheckpointImportError(
            f"checkpoint {path} has {weights.n_classes} output classes but alphabet "
            f"{file or 'default'} gives {alphabet.n_classes}; pass the training alphabet"
        )
    return weights, alphabet, relu_clip
