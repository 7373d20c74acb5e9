"""graph_params of every graph-capable built-in: draws stay inside the declared ranges at the clock, vary by seed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sttx.core.contract.grammar import ValueRange
from sttx.core.contract.registry import AugmentationRegistry

tf = pytest.importorskip("tensorflow", reason="graph augmentations are TensorFlow code")

RANGED = [
    "frequency_mask[n=1:4~1,size=2:8~2]",
    "time_mask[domain=features,n=0:3~1,size=5:50~5]",
    "gaps[n=1:3,size=20:80~10]",
    "dropout[rate=0.1:0.3~0.05]",
    "add[stddev=1:3~0.5]",
    "multiply[stddev=0.5:1~0.2]",
    "volume[dbfs=-20:-5~3]",
    "pitch[pitch=0.9:1.2~0.05]",
    "tempo[factor=0.8:1.2~0.1,max_time=900]",
    "reverb[delay=10:50~5,decay=5:15~2]",
    "resample[rate=4000:8000~500]",
    "overlay[source={noise},snr=30:10~5,layers=1:3]",
    "warp[num_t=1:3~1,num_f=2,warp_t=0.05:0.2~0.05,warp_f=0:0.1]",
]


def inside(value: ValueRange, clock: float, drawn: np.ndarray) -> bool:
    low, high = value.centre(clock) - value.r, value.centre(clock) + value.r
    if value.kind is int:
        return bool(np.all((drawn >= round(low)) & (drawn <= round(high))))
    return bool(np.all((drawn >= np.float32(low) - 1e-5) & (drawn <= np.float32(high) + 1e-5)))


@pytest.mark.parametrize("text", RANGED)
def test_draws_stay_inside_the_declared_ranges(registry: AugmentationRegistry, noise_file: Path, text: str) -> None:
    augmentation = registry.parse(text.format(noise=noise_file))
    ranges = {key: getattr(augmentation, key) for key in augmentation.declarations()
              if key != "p" and isinstance(getattr(augmentation, key), ValueRange)}
    seen: dict[str, set[float]] = {key: set() for key in ranges}
    for clock in (0.0, 0.3, 1.0):
        for seed in range(12):
            params = augmentation.graph_params(tf.constant([seed, 5], tf.int64), tf.constant(clock))
            for key, value in ranges.items():
                drawn = np.asarray(params[key]).reshape(-1)
                assert inside(value, clock, drawn), f"{text}: {key}={drawn} outside {value} at clock {clock}"
                assert drawn.dtype.kind == ("i" if value.kind is int else "f")
                seen[key].update(drawn.tolist())
    for key, value in ranges.items():
        if value.r or value.start != value.end:
            assert len(seen[key]) > 2, f"{text}: {key} never varies"
    if "max_time" in augmentation.declarations():
        assert params["max_time"] == 900.0  # plain values pass through


def test_positions_are_shares_of_the_free_room(registry: AugmentationRegistry) -> None:
    params = registry.parse("frequency_mask[n=2:5,size=3]").graph_params(tf.constant([1, 1], tf.int64), 1.0)
    assert params["where"].shape == (5,) and params["size"].shape == (5,)
    assert np.all((params["where"].numpy() >= 0) & (params["where"].numpy() < 1))
    assert int(params["n"]) == 5


@pytest.mark.parametrize("text", RANGED)
def test_runs_in_a_tf_data_map_with_unknown_lengths(registry: AugmentationRegistry, noise_file: Path,
                                                    text: str) -> None:
    """What a service worker runs: the chain traced once into a graph, lengths unknown until the data comes."""
    from sttx.core.contract.graph_augmentation import GraphContext, apply_graph_chain
    from tests.plugins.augment.conftest import speechlike

    augmentation = registry.parse(text.format(noise=noise_file))
    wave = augmentation.active_domain in ("sample", "signal")
    width = {"spectrogram": 257, "features": 26}.get(augmentation.active_domain, 0)
    data = [speechlike(0.4, seed=i) for i in range(2)] if wave else [
        np.random.default_rng(i).random((30 + i, width)).astype(np.float32) + 0.1 for i in range(2)]
    spec = tf.TensorSpec([None] if wave else [None, width], tf.float32)
    dataset = tf.data.Dataset.from_generator(lambda: iter(data), output_signature=spec).enumerate()
    context = GraphContext(sample_rate=16000, clock=tf.constant(1.0), label_length=3)  # every value moves at 1
    out = [x.numpy() for x in dataset.map(lambda i, x: apply_graph_chain([(0, augmentation)], x, seed=1, epoch=0,
                                                                           index=i, context=context))]
    for before, after in zip(data, out, strict=True):
        assert after.dtype == np.float32 and np.isfinite(after).all()
        assert after.shape[1:] == before.shape[1:] and not np.array_equal(after, before)
