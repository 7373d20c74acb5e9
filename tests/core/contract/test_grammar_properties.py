"""Property tests of the grammar (1000 examples per property): round trips, bounds, types, monotonic clock."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from sttx.core.contract.errors import GrammarError
from sttx.core.contract.grammar import (
    AugmentationSpec,
    ParamDecl,
    ValueRange,
    format_augmentation,
    parse_augmentation,
    parse_range,
)

EXAMPLES = settings(max_examples=1000, deadline=None)

ints = st.integers(-(10**6), 10**6)
floats = st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False)
identifiers = st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True)
# a string may hold one kind of quote, not both (the canonical form quotes with the other kind)
strings = st.text(max_size=12).filter(lambda text: not ('"' in text and "'" in text))


@st.composite
def value_ranges(draw, kind=None):
    kind = kind or draw(st.sampled_from([int, float]))
    numbers = ints if kind is int else floats
    radius = st.integers(0, 10**5) if kind is int else st.floats(0, 1e6, allow_nan=False)
    return ValueRange(draw(numbers), draw(numbers), draw(radius), kind)


VALUES = {
    "bool": st.booleans(),
    "int": ints,
    "float": floats,
    "str": strings,
    "int_range": value_ranges(int),
    "float_range": value_ranges(float),
}


@st.composite
def declared_specs(draw):
    name = draw(identifiers)
    keys = draw(st.lists(identifiers, unique=True, max_size=5))
    declarations, params = {}, {}
    for key in keys:
        kind = draw(st.sampled_from(sorted(VALUES)))
        declarations[key] = ParamDecl(name=key, kind=kind)
        params[key] = draw(VALUES[kind])
    return AugmentationSpec(name, params), {name: declarations}


@EXAMPLES
@given(declared_specs())
def test_canonical_form_round_trips(case):
    spec, declarations = case
    assert parse_augmentation(format_augmentation(spec), declarations) == spec


@EXAMPLES
@given(value_ranges())
def test_range_text_round_trips(value_range):
    assert parse_range(str(value_range), value_range.kind) == value_range


@EXAMPLES
@given(value_ranges(), st.floats(-2, 3, allow_nan=False), st.integers(0, 2**32 - 1))
def test_pick_stays_within_bounds(value_range, clock, seed):
    low, high = value_range.bounds()
    assert low <= value_range.pick(clock, random.Random(seed)) <= high


@EXAMPLES
@given(value_ranges(int), st.floats(-2, 3, allow_nan=False), st.integers(0, 2**32 - 1))
def test_int_ranges_yield_ints(value_range, clock, seed):
    assert type(value_range.pick(clock, random.Random(seed))) is int


@EXAMPLES
@given(value_ranges(), st.floats(-1, 2, allow_nan=False), st.floats(-1, 2, allow_nan=False))
def test_pick_is_monotonic_in_the_clock_without_radius(value_range, clock_a, clock_b):
    fixed = ValueRange(value_range.start, value_range.end, value_range.kind(0), value_range.kind)
    early, late = sorted((clock_a, clock_b))
    rng = random.Random(0)
    first, second = fixed.pick(early, rng), fixed.pick(late, rng)
    assert first <= second if fixed.end >= fixed.start else first >= second


@EXAMPLES
@given(st.text(alphabet=st.sampled_from("abz_[]=,:~.-+e0159 \"'\\\n"), max_size=30) | st.text(max_size=30))
def test_arbitrary_text_raises_only_grammar_errors(text):
    declarations = {"a": {"b": ParamDecl(name="b", kind="float_range"), "c": ParamDecl(name="c", kind="int")}}
    for attempt in (
        lambda: parse_augmentation(text),
        lambda: parse_augmentation(text, declarations),
        lambda: parse_range(text, int),
        lambda: parse_range(text, float),
    ):
        try:
            attempt()
        except GrammarError as error:
            assert 0 <= error.position <= len(text)
