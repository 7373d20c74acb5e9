"""The graph half of the augmentation contract: ranges picked in graph, stateless seeds, the p gate, the chain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import numpy as np
import pytest

from sttx.core.contract.augmentation import Augmentation, AugmentContext, param
from sttx.core.contract.grammar import ValueRange
from sttx.core.contract.graph_augmentation import GraphContext, apply_graph_chain, pick, sample_seed, without_graph

tf = pytest.importorskip("tensorflow", reason="graph augmentations are TensorFlow code")

SEED = tf.constant([1, 2], tf.int64)


@attrs.frozen(kw_only=True)
class Shift(Augmentation):
    """Adds a drawn offset: graph-capable through graph_apply alone (default graph_params)."""

    name: ClassVar[str] = "shift"
    offset: Any = param(1.0, "float_range")

    def apply(self, data: np.ndarray, params: Mapping[str, Any], context: AugmentContext) -> np.ndarray:
        return data + np.float32(params["offset"])

    def graph_apply(self, data: Any, params: Mapping[str, Any], context: Any) -> Any:
        return data + params["offset"]


@attrs.frozen(kw_only=True)
class PythonOnly(Augmentation):
    name: ClassVar[str] = "python_only"

    def apply(self, data: np.ndarray, params: Mapping[str, Any], context: AugmentContext) -> np.ndarray:
        return data


def test_pick_follows_the_clock_as_value_range_pick() -> None:
    moving = ValueRange(10.0, 20.0)
    for clock in (0.0, 0.25, 0.5, 1.0, 1.7, -0.3):
        assert float(pick(moving, clock, SEED)) == pytest.approx(moving.pick(clock, np.random.default_rng()))
    assert float(pick(ValueRange.constant(3.5), 0.9, SEED)) == 3.5


def test_int_ranges_round_half_to_even() -> None:
    assert int(pick(ValueRange(0, 5, 0, int), 0.5, SEED)) == 2  # centre 2.5
    assert int(pick(ValueRange(0, 7, 0, int), 0.5, SEED)) == 4  # centre 3.5
    assert pick(ValueRange(0, 7, 0, int), 0.5, SEED).dtype == tf.int32


def test_radius_draws_stay_around_the_centre_and_follow_the_seed() -> None:
    ranged = ValueRange(0.0, 10.0, 2.0)
    draws = [float(pick(ranged, tf.constant(0.5), tf.constant([i, 0], tf.int64))) for i in range(60)]
    assert min(draws) >= 3.0 and max(draws) <= 7.0
    assert max(draws) - min(draws) > 2.0  # they spread over the range
    assert float(pick(ranged, 0.5, SEED)) == float(pick(ranged, 0.5, SEED))


def test_sample_seeds_differ_by_every_word() -> None:
    base = sample_seed(4568, 0, 3, 1).numpy()
    assert (sample_seed(4568, 0, 3, 1).numpy() == base).all()
    for other in (sample_seed(4569, 0, 3, 1), sample_seed(4568, 1, 3, 1), sample_seed(4568, 0, 4, 1),
                  sample_seed(4568, 0, 3, 2)):
        assert (other.numpy() != base).any()


def run(chain: list[tuple[int, Augmentation]], index: int, data: Any = None) -> np.ndarray:
    data = tf.zeros([4]) if data is None else data
    return apply_graph_chain(chain, data, seed=7, epoch=0, index=index, context=GraphContext(16000)).numpy()


def test_the_chain_gates_on_p_and_is_reproducible() -> None:
    assert (run([(0, Shift(p=0.0))], 0) == 0).all()
    assert (run([(0, Shift(p=1.0, offset=2.0))], 0) == 2).all()
    fired = [run([(0, Shift(p=0.5))], index)[0] for index in range(80)]
    assert 25 <= sum(fired) <= 55
    ranged = [(0, Shift(offset="0:10~5")), (1, Shift(offset="1~1"))]
    assert (run(ranged, 5) == run(ranged, 5)).all()
    assert (run(ranged, 5) != run(ranged, 6)).all()


def test_a_step_draws_the_same_whatever_comes_before_it() -> None:
    alone = run([(1, Shift(offset="0~5"))], 9)
    first = run([(0, Shift(offset="100~50"))], 9)
    both = run([(0, Shift(offset="100~50")), (1, Shift(offset="0~5"))], 9)
    np.testing.assert_allclose(both, first + alone, rtol=1e-6)
    assert alone[0] != 0 and first[0] != 100


def test_graph_capability_is_overriding_graph_apply() -> None:
    assert Shift.graph_capable() and not PythonOnly.graph_capable()
    assert without_graph([Shift(), PythonOnly(), PythonOnly(p=0.5)]) == ["python_only"]
    with pytest.raises(NotImplementedError, match="python_only has no graph implementation"):
        PythonOnly().graph_apply(tf.zeros([2]), {}, GraphContext(16000))


def test_builtins_that_run_in_graph(pm) -> None:
    registry = pm.registries().augmentations
    capable = {name for name in registry.names() if registry.get(name).graph_capable()}
    assert {"frequency_mask", "time_mask", "dropout", "add", "multiply", "volume", "gaps", "pitch", "tempo",
            "reverb", "warp", "resample", "overlay"} <= capable
    assert "codec" not in capable  # libopus runs in Python only


def test_sttx_plugins_marks_the_augmentations_that_run_in_graph(pm) -> None:
    from click.testing import CliRunner

    from sttx.cli import build_cli
    from sttx.core.contract.plugins import describe_plugins

    rows = {row["name"]: row for row in describe_plugins(pm)}
    assert rows["sttx.plugins.augment.volume"]["graph_augmentations"] == ["volume"]
    assert "graph_augmentations" not in rows["sttx.plugins.augment.codec"]
    output = CliRunner().invoke(build_cli(pm), ["plugins"]).output
    assert "  augmentations: volume (graph)\n" in output and "  augmentations: codec\n" in output
