"""The learning-rate schedule: warm-up, cosine and linear decay to the final ratio, constant by default."""

from __future__ import annotations

import math

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sttx.core.training.lr_schedule import LearningRateSchedule


def test_constant_is_one_at_every_step():
    schedule = LearningRateSchedule("constant", total_steps=100)
    assert not schedule.varies
    assert {schedule.factor(step) for step in range(0, 300, 7)} == {1.0}


def test_warmup_rises_linearly_then_holds():
    schedule = LearningRateSchedule("constant", total_steps=100, warmup_steps=4)
    assert schedule.varies
    assert [schedule.factor(step) for step in range(6)] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]


def test_cosine_and_linear_decay_end_at_the_final_ratio():
    cosine = LearningRateSchedule("cosine", total_steps=100, final_ratio=0.1)
    assert cosine.factor(0) == 1.0
    assert cosine.factor(50) == pytest.approx(0.1 + 0.9 * 0.5)
    assert cosine.factor(25) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi / 4)))
    assert cosine.factor(100) == pytest.approx(0.1) and cosine.factor(1000) == pytest.approx(0.1)
    linear = attrs.evolve(cosine, kind="linear")
    assert [linear.factor(step) for step in (0, 50, 100, 150)] == pytest.approx([1.0, 0.55, 0.1, 0.1])


def test_decay_starts_after_the_warmup():
    schedule = LearningRateSchedule("linear", total_steps=110, warmup_steps=10, final_ratio=0.0)
    assert schedule.factor(9) == 1.0
    assert schedule.factor(10) == 1.0 and schedule.factor(60) == pytest.approx(0.5)


def test_hold_keeps_the_full_rate_before_the_decay():
    schedule = LearningRateSchedule("linear", total_steps=120, warmup_steps=20, final_ratio=0.0, hold_ratio=0.5)
    assert [schedule.factor(step) for step in (19, 20, 70)] == [1.0, 1.0, 1.0]
    assert schedule.factor(95) == pytest.approx(0.5) and schedule.factor(120) == 0.0


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        LearningRateSchedule("exponential")


@given(kind=st.sampled_from(["cosine", "linear"]), total=st.integers(1, 10_000), warmup=st.integers(0, 500),
       ratio=st.floats(0.0, 1.0), hold=st.floats(0.0, 1.0), step=st.integers(0, 20_000))
def test_decay_never_rises_after_warmup_and_stays_within_bounds(kind, total, warmup, ratio, hold, step):
    schedule = LearningRateSchedule(kind, total_steps=total, warmup_steps=warmup, final_ratio=ratio,
                                    hold_ratio=hold)
    value = schedule.factor(step)
    assert 0.0 <= value <= 1.0 + 1e-12
    if step >= warmup:
        assert schedule.factor(step + 1) <= value + 1e-12
        assert value >= ratio - 1e-12
