"""Transfer learning: which layers ``--drop_source_layers N`` re-initialises and ``--freeze_source_layers N`` keeps.

DeepSpeech drops the last N of (layer_2, layer_3, lstm, layer_5, layer_6): N=1 is the output layer only, N=5
everything but layer_1; it clamps N >= 6 to 5 with a warning. Its plain substring match also re-initialised
``beta2_power`` for N=5; sttx matches whole layer names instead.

``--freeze_source_layers N`` follows the never-released DeepSpeech PR #3247, whose users pass the same N as to
``--drop_source_layers``: the same last N layers stay trainable and every other (loaded) layer is kept fixed, so
``--drop_source_layers 1 --freeze_source_layers 1`` trains only the new output layer. N smaller than the drop
count would freeze freshly initialised layers and is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sttx.core.contract.errors import UsageError

log = logging.getLogger(__name__)

#: the model's trainable layers in order, as DeepSpeech (and sttx's model plugin) name them
LAYERS = ("layer_1", "layer_2", "layer_3", "lstm", "layer_5", "layer_6")
DROPPABLE = LAYERS[1:]


def dropped_layers(n: int, layers: tuple[str, ...] = LAYERS) -> tuple[str, ...]:
    """The layers ``--drop_source_layers n`` re-initialises: the last n of ``layers`` but the first (for
    DeepSpeech, of layer_2..layer_6; another model plugin declares its own order)."""
    if n < 0:
        raise UsageError(f"--drop_source_layers must be 0 or more, not {n}")
    droppable = layers[1:]
    if n > len(droppable):
        log.warning("--drop_source_layers %d: at most %d layers can be dropped; dropping %d", n, len(droppable),
                    len(droppable))
        n = len(droppable)
    return droppable[len(droppable) - n :] if n else ()


def frozen_layers(n: int, drop: int = 0, layers: tuple[str, ...] = LAYERS) -> tuple[str, ...]:
    """The layers ``--freeze_source_layers n`` keeps fixed: all but the last n, which must cover the dropped ones."""
    if n < 0:
        raise UsageError(f"--freeze_source_layers must be 0 or more, not {n}")
    if n == 0:
        return ()
    trainable = dropped_layers(n, layers)
    if len(dropped_layers(drop, layers)) > len(trainable):
        raise UsageError(
            f"--freeze_source_layers {n} with --drop_source_layers {drop} would freeze re-initialised layers; "
            f"give --freeze_source_layers at least {drop} (the layers it leaves trainable are the dropped ones)"
        )
    return tuple(name for name in layers if name not in trainable)


def layer_of(variable_name: str, layers: tuple[str, ...] = LAYERS) -> str | None:
    """The layer a variable belongs to: ``layer_3/kernel:0`` -> layer_3, DeepSpeech's LSTM scope -> lstm.

    Optimizer slots as sttx checkpoints name them (``optimizer/layer_6_kernel_momentum``) belong to their layer.
    """
    for prefix in ("optimizer/inner/", "optimizer/"):
        if variable_name.startswith(prefix):
            return _slot_layer(variable_name[len(prefix):], layers)
    head = variable_name.split("/", 1)[0].split(":", 1)[0]
    if head in layers:
        return head
    for layer in layers:  # a layer's parts are named <layer>_...: layer_1_norm, block_3_attention
        if head.startswith(f"{layer}_"):
            return layer
    return "lstm" if head in ("cudnn_lstm", "lstm_cell") else None


def _slot_layer(slot: str, layers: tuple[str, ...] = LAYERS) -> str | None:
    """Keras names a slot after its variable's path with ``/`` as ``_``: layer_1_norm_gamma_momentum."""
    return next((layer for layer in layers if slot.startswith(f"{layer}_")), None)


def split_variables(names: Iterable[str], drop: int, layers: tuple[str, ...] = LAYERS) -> tuple[list[str], list[str]]:
    """(to load, to re-initialise) among checkpoint variable names, by whole layer names."""
    dropped = set(dropped_layers(drop, layers))
    load: list[str] = []
    init: list[str] = []
    for name in names:
        (init if layer_of(name, layers) in dropped else load).append(name)
    return load, init


def apply_freeze(model: Any, n: int, drop: int = 0, layers: tuple[str, ...] = LAYERS) -> tuple[str, ...]:
    """Set ``trainable = False`` on the frozen layers of a Keras model (and their parts); returns them."""
    frozen = frozen_layers(n, drop, layers)
    for layer in model.layers:
        if layer_of(layer.name, layers) in frozen:
            layer.trainable = False
    return frozen


def reinitialize(model: Any, layers: Iterable[str]) -> None:
    """Give the named Keras layers fresh initial weights (their initializers; biases zero)."""
    wanted = set(layers)
    for layer in model.layers:
        if layer_of(layer.name) not in wanted:
            continue
        for variable in layer.weights:
            initializer = _initializer_for(layer, variable)
            variable.assign(initializer(variable.shape, variable.dtype))


def _initializer_for(layer: Any, variable: Any) -> Any:
    import keras

    short = variable.path.rsplit("/", 1)[-1] if hasattr(variable, "path") else variable.name
    table = {
        "kernel": getattr(layer, "kernel_initializer", None),
        "recurrent_kernel": getattr(getattr(layer, "cell", layer), "recurrent_initializer", None),
        "gamma": keras.initializers.Ones(),
    }
    chosen = table.get(short)
    if chosen is None and short == "kernel":
        chosen = getattr(getattr(layer, "cell", layer), "kernel_initializer", None)
    return chosen or keras.initializers.Zeros()
