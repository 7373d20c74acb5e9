"""Augmentations inside TensorFlow graphs (tf.data service workers): stateless seeds, ranges picked in graph, chains.

A graph augmentation draws with stateless random ops from a ``[2]`` int64 seed instead of a numpy generator, so
a serialized graph (a tf.data service worker) can run it. Its draws are reproducible, but not the numpy path's.
TensorFlow is imported inside the functions: importing the contract stays light.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from sttx.core.contract.grammar import ValueRange

if TYPE_CHECKING:
    import tensorflow as tf


class Augmentation(Protocol):
    """What the graph chain uses of an augmentation (sttx.core.contract.augmentation.Augmentation has it all;
    a structural type, so this module never imports the numpy contract that calls into it)."""

    name: str
    p: float

    def declarations(self) -> Mapping[str, Any]: ...
    def graph_capable(self) -> bool: ...
    def graph_params(self, seed: Any, clock: Any) -> dict[str, Any]: ...
    def graph_apply(self, data: Any, params: Mapping[str, Any], context: Any) -> Any: ...

#: The high word of every sample seed, so graph draws never reuse the numpy path's seed words by accident.
_SEED_TAG = 0x57747847


@attrs.frozen
class GraphContext:
    """What a graph augmentation may know about its sample: tensors where they vary per sample.

    Any randomness ``graph_apply`` needs beyond its params comes from a seed drawn into the params, so
    ``graph_apply`` is pure given them (and testable against the numpy ``apply``).
    """

    sample_rate: int
    clock: Any = 0.5  # float scalar tensor (or a Python float)
    label_length: Any = 0  # int32 scalar tensor (or a Python int)
    #: ms between spectrogram / feature frames (20: DeepSpeech's MFCC; 10: a log-mel front end)
    frame_ms: float = 20.0
    min_frames: Any = 0  # int32 scalar tensor (or a Python int): as AugmentContext.min_frames


def derive(seed: tf.Tensor, key: int) -> tf.Tensor:
    """A new ``[2]`` int64 seed for draw number ``key`` of ``seed`` (independent of the other keys)."""
    import tensorflow as tf

    return tf.random.experimental.stateless_fold_in(tf.cast(seed, tf.int64), tf.constant(key, tf.int64))


def sample_seed(seed: int, epoch: Any, index: Any, position: int) -> tf.Tensor:
    """The ``[2]`` int64 seed of augmentation ``position`` on sample ``index`` in ``epoch`` of a run seeded ``seed``."""
    import tensorflow as tf

    base = tf.constant([seed & 0xFFFFFFFF, _SEED_TAG], tf.int64)
    for word in (epoch, index, position):
        base = tf.random.experimental.stateless_fold_in(base, tf.cast(word, tf.int64))
    return base


def pick(value: ValueRange, clock: Any, seed: tf.Tensor) -> tf.Tensor:
    """``ValueRange.pick`` in graph: centre ``start + clock*(end-start)`` (clock clamped to [0, 1], exactly
    ``end`` at 1), uniform within ``r`` of it; float32 for float ranges, int32 rounded half-to-even for int ones."""
    import tensorflow as tf

    c = tf.clip_by_value(tf.cast(clock, tf.float64), 0.0, 1.0)
    start, end = float(value.start), float(value.end)
    low, high = sorted((start, end))
    centre = tf.where(c >= 1.0, tf.constant(end, tf.float64), tf.clip_by_value(start + c * (end - start), low, high))
    if value.r > 0:
        radius = float(value.r)
        draw = tf.random.stateless_uniform([], seed, minval=-radius, maxval=radius, dtype=tf.float64)
        centre = tf.clip_by_value(centre + draw, centre - radius, centre + radius)
    if value.kind is int:
        return tf.cast(tf.round(centre), tf.int32)  # tf.round rounds half to even, as Python's round
    return tf.cast(centre, tf.float32)


def pick_declared(augmentation: Augmentation, seed: tf.Tensor, clock: Any) -> dict[str, Any]:
    """Every declared parameter but ``p``: ranges picked in graph (each with its own seed), others as they are."""
    drawn: dict[str, Any] = {}
    for key_index, key in enumerate(augmentation.declarations()):
        if key == "p":
            continue
        value = getattr(augmentation, key)
        drawn[key] = pick(value, clock, derive(seed, key_index)) if isinstance(value, ValueRange) else value
    return drawn


def without_graph(augmentations: Sequence[Augmentation]) -> list[str]:
    """Names (in order, once each) of the augmentations that have no graph implementation."""
    names: list[str] = []
    for augmentation in augmentations:
        if not augmentation.graph_capable() and augmentation.name not in names:
            names.append(augmentation.name)
    return names


def apply_graph_chain(
    chain: Sequence[tuple[int, Augmentation]],
    data: tf.Tensor,
    *,
    seed: int,
    epoch: Any,
    index: Any,
    context: GraphContext,
) -> tf.Tensor:
    """Apply ``(position, augmentation)`` pairs in order, in graph, each seeded from (seed, epoch, index, position).

    Each step draws its ``p`` gate from its own seed, then its params (``graph_params``), then applies them, so a
    sample's draws never depend on the other augmentations, scheduling or worker count.
    """
    import tensorflow as tf

    for position, augmentation in chain:
        if augmentation.p <= 0:
            continue
        step = sample_seed(seed, epoch, index, position)

        def run(current: tf.Tensor = data, augmentation: Augmentation = augmentation, step: tf.Tensor = step) -> Any:
            params = augmentation.graph_params(derive(step, 1), context.clock)
            return tf.cast(augmentation.graph_apply(current, params, context), tf.float32)

        if augmentation.p >= 1:
            data = run()
        else:
            fires = tf.random.stateless_uniform([], derive(step, 0), dtype=tf.float64) < augmentation.p
            data = tf.cond(fires, run, lambda current=data: current)
    return data
