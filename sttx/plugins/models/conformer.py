"""Conformer-CTC: 4x convolutional subsampling of 80 log-mel features, Conformer blocks, a CTC output layer.

Each block (Gulati et al. 2020) is macaron-shaped: half a feed-forward module, multi-head self-attention with
relative positional encoding, a convolution module (pointwise conv, GLU, depthwise conv, LayerNorm, swish,
pointwise conv), the other half feed-forward module, then a LayerNorm. Layer names carry their block
(``block_3_attention``...), so ``--drop_source_layers N`` re-initialises the output layer and the last N-1 blocks.

With --inter_ctc_weight w, a second CTC output layer on a middle block (training only: it is never among the
model's outputs) adds w x its loss to (1 - w) x the final one, which speeds up learning of the blocks below it.

Padded frames (the batch's zero padding) are masked out of the attention and zeroed before every convolution, so
a clip's outputs do not depend on what it is batched with.
"""

from __future__ import annotations

from typing import Any

import attrs

from sttx import hookimpl
from sttx.core.contract.errors import UsageError
from sttx.core.contract.frontend import FrontEnd, output_frames
from sttx.core.contract.registry import ModelArchitecture

#: 80 log-mel filters over 25 ms windows every 10 ms, each channel normalised over the utterance
FRONT_END = FrontEnd(kind="logmel", n_features=80, window_ms=25.0, hop_ms=10.0, normalise="utterance")
SUBSAMPLING = 4


@attrs.frozen
class Geometry:
    """The dimensions of one Conformer."""

    dim: int
    layers: int
    heads: int
    kernel: int
    ff_multiplier: int = 4


#: xs (2.3M parameters with 29 labels) trains on 2 CPU cores; s and m have the geometry of Gulati et al.'s
#: Conformer-S and -M (8.4M and 26.2M here: the subsampling convolutions have d/2 channels, not d)
PRESETS = {
    "xs": Geometry(dim=144, layers=4, heads=4, kernel=15),
    "s": Geometry(dim=144, layers=16, heads=4, kernel=31),
    "m": Geometry(dim=256, layers=16, heads=4, kernel=31),
}
DEFAULT_PRESET = "xs"

#: what `sttx train --model conformer` uses unless the flag is given (NeMo/ESPnet-like recipe, scaled to CPUs)
DEFAULTS: dict[str, Any] = {
    "model_size": DEFAULT_PRESET,
    "learning_rate": 0.002,
    "lr_schedule": "cosine",
    "warmup_steps": 500,
    "lr_final_ratio": 0.05,
    "beta2": 0.98,
    "epsilon": 1e-9,
    "train_batch_size": 8,  # 1-epoch probes on (c): CER 25.9% at 8 against 29.1% at 16 (and 26.8% at 4, slower)
    "dev_batch_size": 16,
    "test_batch_size": 16,
    # none: on (c) 1-epoch probes 24.8% dev CER at 0 and at 0.05 against 26.3% at 0.1, and a step 20% faster
    # without the random masks; 20 minutes on (c), 12.5% against 14.4% (docs/benchmarks.md)
    "dropout_rate": 0.0,
    # intermediate CTC (Lee & Watanabe 2021) on the middle block: 20 minutes on (c), 11.8% dev CER against 12.5%
    # without it (docs/benchmarks.md)
    "inter_ctc_weight": 0.3,
    # pitch and tempo vary the voice: on 1000 plain clips 24.9% dev CER against 27.1% without them; on (c)'s
    # 12000 clips 14.4% against 14.7% (docs/benchmarks.md)
    "augment": ("frequency_mask[n=2,size=13]", "time_mask[domain=features,n=4,size=25]", "pitch[p=0.5,pitch=1~0.1]",
                "tempo[p=0.5,factor=1~0.1]"),
}


def geometry(config: Any) -> Geometry:
    """The preset --model_size names, with --conformer_dim/_layers/_heads/_kernel (when > 0) replacing its fields."""
    size = getattr(config, "model_size", "") or DEFAULT_PRESET
    if size not in PRESETS:
        raise UsageError(f"--model_size {size!r}: the conformer model has the sizes {', '.join(PRESETS)}")
    chosen = PRESETS[size]
    changes = {field: int(getattr(config, f"conformer_{field}", 0) or 0) for field in ("dim", "layers", "heads",
                                                                                          "kernel")}
    chosen = attrs.evolve(chosen, **{key: value for key, value in changes.items() if value > 0})
    if chosen.dim % chosen.heads:
        raise UsageError(f"--conformer_dim {chosen.dim} must be a multiple of --conformer_heads {chosen.heads}")
    if chosen.kernel % 2 == 0:
        raise UsageError(f"--conformer_kernel {chosen.kernel} must be odd (the convolution is centred)")
    return chosen


def intermediate_ctc(config: Any, g: Geometry) -> tuple[float, int]:
    """(weight, block) of the intermediate CTC loss: --inter_ctc_weight, on --inter_ctc_block (0: the middle one)."""
    weight = float(getattr(config, "inter_ctc_weight", 0.0) or 0.0)
    block = int(getattr(config, "inter_ctc_block", 0) or 0)
    if not block and g.layers < 2:  # no block before the last to tap: the default falls away
        return 0.0, 0
    block = block or g.layers // 2
    if weight and not 1 <= block < g.layers:
        raise UsageError(f"--inter_ctc_block {block}: the intermediate CTC taps a block before the last "
                         f"(1 to {g.layers - 1} of {g.layers})")
    return weight, block if weight else 0


def layer_names(config: Any) -> tuple[str, ...]:
    """Transfer order: the subsampling, each block, the output layer."""
    blocks = geometry(config).layers
    return ("subsampling", *(f"block_{i}" for i in range(1, blocks + 1)), "output")


def parameter_count(g: Geometry, n_classes: int, *, intermediate: bool = False) -> int:
    """Trainable parameters of a geometry, without building it (``intermediate``: with the training-only
    intermediate CTC head)."""
    d, channels = g.dim, g.dim // 2
    freq = output_frames(output_frames(FRONT_END.n_features, 2), 2)  # the frequency axis halves twice too
    subsampling = (9 + 1) * channels + (9 * channels + 1) * channels + (channels * freq + 1) * d
    ffn = 2 * (d * g.ff_multiplier * d + g.ff_multiplier * d + g.ff_multiplier * d * d + d) + 2 * 2 * d
    attention = 4 * (d * d + d) + d * d + 2 * d + 2 * d
    conv = (d * 2 * d + 2 * d) + (g.kernel * d + d) + 2 * d + (d * d + d) + 2 * d
    block = ffn + attention + conv + 2 * d
    return subsampling + g.layers * block + (d + 1) * n_classes * (2 if intermediate else 1)


def build_model(config: Any, n_classes: int) -> Any:
    """A Keras model: log-mel features [B, T, 80] -> logits [B, ceil(T/4), n_classes] float32 (blank last)."""
    import keras

    from sttx.plugins.models.conformer_blocks import conformer_block, subsample

    g = geometry(config)
    policy = getattr(config, "dtype_policy", "float32")
    rate = float(getattr(config, "dropout_rate", 0.0))
    weight, tapped = intermediate_ctc(config, g)
    features = keras.Input((None, FRONT_END.n_features), name="features", dtype="float32")
    x, mask = subsample(features, g.dim, rate, policy)
    intermediate = None
    for index in range(1, g.layers + 1):
        x = conformer_block(x, mask, f"block_{index}", g, rate, policy)
        if index == tapped:  # named output_*, so --drop_source_layers re-initialises it with the output layer
            intermediate = keras.layers.Dense(n_classes, name="output_intermediate", dtype="float32")(x)
    logits = keras.layers.Dense(n_classes, name="output", dtype="float32")(x)
    model = keras.Model(features, logits, name="conformer")
    model.time_reduction = SUBSAMPLING  # read by the training step, evaluation and inference
    if intermediate is not None:
        # a tracked attribute: its head is in model.weights (so in checkpoints), never in the model's outputs
        model.intermediate_ctc = keras.Model(features, [logits, intermediate], name="conformer_intermediate_ctc")
        model.intermediate_ctc_weight = weight
    return model


@hookimpl
def register_models(register: Any) -> None:
    """Register ``conformer``."""
    register.add("conformer", ModelArchitecture(
        build=build_model, description="Conformer-CTC: 4x conv subsampling, Conformer blocks (relative-position "
        "attention, depthwise convolution), CTC", front_end=FRONT_END, time_reduction=SUBSAMPLING,
        defaults=DEFAULTS, layers=layer_names, settings=("model_size", "conformer_dim", "conformer_layers",
                                                          "conformer_heads", "conformer_kernel", "inter_ctc_weight",
                                                          "inter_ctc_block")))

