"""The augmentation grammar: DeepSpeech's oracle table, declared parameters and errors that point at the token."""

from __future__ import annotations

import random

import pytest

from sttx.core.contract.errors import GrammarError
from sttx.core.contract.grammar import (
    AugmentationSpec,
    ParamDecl,
    ValueRange,
    format_augmentation,
    parse_augmentation,
    parse_range,
)

# reference/deepspeech-facts.md §5.2, rows from DeepSpeech's tests and runs of its code
RANGE_ORACLE = [
    ("1", int, (1, 1, 0)),
    ("1~3", int, (1, 1, 3)),
    ("1:2", int, (1, 2, 0)),
    ("1:2~3", int, (1, 2, 3)),
    ("1.0", float, (1.0, 1.0, 0.0)),
    ("1.0~3.0", float, (1.0, 1.0, 3.0)),
    ("1.0:2.0", float, (1.0, 2.0, 0.0)),
    ("1.0:2.0~3.0", float, (1.0, 2.0, 3.0)),
    ("-0.2:1.2", float, (-0.2, 1.2, 0.0)),
    ("2000:4000", int, (2000, 4000, 0)),
    ("50:20~10", float, (50.0, 20.0, 10.0)),
    ("0~0.5", float, (0.0, 0.0, 0.5)),
    (" 3 ", int, (3, 3, 0)),
    ("-3:-1", int, (-3, -1, 0)),
    ("1e3", float, (1000.0, 1000.0, 0.0)),
]


@pytest.mark.parametrize(("text", "kind", "expected"), RANGE_ORACLE)
def test_parse_range_matches_deepspeech(text, kind, expected):
    parsed = parse_range(text, kind)
    assert (parsed.start, parsed.end, parsed.r) == expected
    assert all(type(value) is kind for value in (parsed.start, parsed.end, parsed.r))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("1.5", int),
        ("1e3", int),
        ("1:2:3", int),
        ("1~2~3", int),
        ("3~", int),
        ("", float),
        ("a", float),
        ("inf", float),
        ("1~-2", float),
    ],
)
def test_parse_range_rejects(text, kind):
    with pytest.raises(GrammarError) as caught:
        parse_range(text, kind)
    assert caught.value.text == text


PICK_ORACLE = [
    ((1, 3, 0, int), 0.0, 1),
    ((1, 3, 0, int), 0.5, 2),
    ((1, 3, 0, int), 1.0, 3),
    ((1.0, 2.0, 0.0, float), 0.5, 1.5),
    ((1, 3, 0, int), 0.25, 2),  # 1.5 rounds half-to-even
    ((1, 3, 0, int), 0.75, 2),  # 2.5 rounds to 2
    ((0, 5, 0, int), 0.3, 2),
    ((0, 5, 0, int), 0.7, 4),
    ((1, 3, 0, int), -1.0, 1),  # clock clamped
    ((1, 3, 0, int), 2.0, 3),
    ((10, 0, 0, int), 0.5, 5),
    ((12000, 8000, 0, int), 0.5, 10000),
    ((48000, 16000, 0, int), 0.25, 40000),
]


@pytest.mark.parametrize(("fields", "clock", "expected"), PICK_ORACLE)
def test_pick_matches_deepspeech(fields, clock, expected):
    value = ValueRange(*fields).pick(clock, random.Random(0))
    assert value == expected
    assert type(value) is fields[3]


@pytest.mark.parametrize("kind", [int, float])
@pytest.mark.parametrize(("low_clock", "low", "high"), [(0.0, 0, 22000), (0.4, 8000, 32000), (0.8, 16000, 40000)])
def test_randomized_picks_stay_in_bounds_and_vary(kind, low_clock, low, high):
    rng = random.Random(4568)
    value_range = ValueRange(kind(10000), kind(30000), kind(10000), kind)
    picks = [value_range.pick(low_clock + rng.random() * 0.1, rng) for _ in range(100)]
    assert all(low <= pick <= high for pick in picks)
    assert len(set(picks)) > 80


def test_spec_without_brackets_and_with_empty_brackets():
    assert parse_augmentation("volume") == AugmentationSpec("volume", {})
    assert parse_augmentation("volume[]") == AugmentationSpec("volume", {})


def test_documented_example_parses_with_inferred_types():
    spec = parse_augmentation("overlay[p=0.5,source=noise.sdb,layers=1,snr=50:20~10]")
    assert spec.params == {"p": 0.5, "source": "noise.sdb", "layers": 1, "snr": ValueRange(50, 20, 10, int)}


DECLARED = {
    "reverb": {
        "p": ParamDecl(name="p", kind="float", low=0.0, high=1.0),
        "delay": ParamDecl(name="delay", kind="float_range", low=0.0),
        "decay": ParamDecl(name="decay", kind="float_range"),
    },
    "codec": {"bitrate": ParamDecl(name="bitrate", kind="int_range", low=1)},
    "warp": {"num_t": ParamDecl(name="num_t", kind="int_range", aliases=("nt",))},
}


def test_declared_values_are_typed():
    spec = parse_augmentation("reverb[p=0.1,delay=50.0~30.0,decay=10.0:2.0~1.0]", DECLARED)
    assert spec.params == {"p": 0.1, "delay": ValueRange(50.0, 50.0, 30.0), "decay": ValueRange(10.0, 2.0, 1.0)}
    assert parse_augmentation("codec[bitrate=48000:16000]", DECLARED).params["bitrate"] == ValueRange(
        48000, 16000, 0, int
    )


def test_aliases_map_to_canonical_names():
    assert parse_augmentation("warp[nt=4]", DECLARED).params == {"num_t": ValueRange(4, 4, 0, int)}
    with pytest.raises(GrammarError, match="given twice"):
        parse_augmentation("warp[nt=4,num_t=3]", DECLARED)


@pytest.mark.parametrize(
    ("text", "token", "message"),
    [
        ("reverb[delay=fast]", "fast", "invalid value 'fast' for delay"),
        ("reverb[dela=5]", "dela", "unknown parameter 'dela' for reverb; valid: p, delay, decay"),
        ("reverbb[p=0.1]", "reverbb", "unknown augmentation 'reverbb'; known: codec, reverb, warp"),
        ("codec[bitrate=1.5]", "1.5", "expected an integer range"),
        ("reverb[p=2]", "2", "out of range"),
        ("reverb[p=0.1", "", "missing ']'"),
        ("reverb[noise.sdb]", "noise.sdb", "expected key=value, got 'noise.sdb'"),
        ("reverb[p=a=b]", "=b", "unexpected '='"),
        ("Volume", "Volume", "lower case"),
        ("reverb[p=0.1] x", "x", "unexpected 'x'"),
        ("reverb[p=0.1,]", "]", "expected a parameter name"),
    ],
)
def test_errors_point_at_the_token(text, token, message):
    with pytest.raises(GrammarError) as caught:
        parse_augmentation(text, DECLARED)
    error = caught.value
    assert message in error.message
    assert text[error.position :].startswith(token)
    assert error.caret().splitlines()[1].index("^") == error.position + 2


def test_quoted_values_keep_separators():
    spec = parse_augmentation('overlay[source="a,b[1].wav"]')
    assert spec.params == {"source": "a,b[1].wav"}
    assert parse_augmentation(format_augmentation(spec)) == spec


def test_canonical_format():
    spec = AugmentationSpec("tempo", {"p": 0.5, "factor": ValueRange(1.0, 1.0, 0.5), "on": True, "name": "true"})
    assert format_augmentation(spec) == 'tempo[p=0.5,factor=1.0~0.5,on=true,name="true"]'
