"""The en validator reproduces DeepSpeech's validate_label_eng; --validate_label_locale resolves names and files."""

from __future__ import annotations

import pytest

from sttx.core.contract.errors import UnknownNameError, UsageError
from sttx.core.data.importing import LabelFilter, normalize_transcript, resolve_label_validator, to_ascii, too_short
from sttx.plugins.validators.en import validate_label_en


@pytest.mark.parametrize(("label", "expected"), [
    ("this is a 1 2 3 test", None),  # DeepSpeech's own test case
    ("toto", "toto"),
    ("toto1234", None),
    ("toto1234[{[{[]", None),
    ("Hello, World!", "hello world"),
    ("well-known  self_made", "well known self made"),
    ('He said: "Stop; now?"', "he said stop now"),
    ("a (b)", None),
    ("x < y", None),
    ("fish & chips", None),
    ("a*b", None),
    ("don't", "don't"),
    ("Café", "café"),  # non-ASCII passes, as in DeepSpeech
    (" . ", None),
    ("a -- b", "a b"),
    ("a - - b", "a b"),  # DeepSpeech collapses spaces before removing punctuation
    ("a . b", "a  b"),  # ...so removed punctuation can leave a double space, as DeepSpeech's does
])
def test_matches_deepspeech(label, expected):
    assert validate_label_en(label) == expected


def test_registered_as_en(pm):
    assert pm.registries().label_validators.get("en") is validate_label_en


def test_resolution(pm, tmp_path, caplog):
    registry = pm.registries().label_validators
    assert resolve_label_validator("en", registry) is validate_label_en
    assert resolve_label_validator(None, registry) is validate_label_en
    assert "No --validate_label_locale" in caplog.text
    with pytest.raises(UnknownNameError, match="'qq'"):
        resolve_label_validator("qq", registry)
    with pytest.raises(UsageError, match=r"nope\.py: no such file"):
        resolve_label_validator(str(tmp_path / "nope.py"), registry)
    module = tmp_path / "validate_locale_fra.py"
    module.write_text("def validate_label(label):\n    return label\n")
    assert resolve_label_validator(str(module), registry)("Ça va") == "Ça va"
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    with pytest.raises(UsageError, match="defines no validate_label"):
        resolve_label_validator(str(empty), registry)


def test_label_filter_chain_order():
    from sttx.core.data.alphabet import load_alphabet

    chain = LabelFilter(validate=validate_label_en, normalize=True, alphabet=load_alphabet())
    assert chain("Crème Brûlée!") == "creme brulee"
    assert LabelFilter(validate=validate_label_en, alphabet=load_alphabet())("Crème") is None
    assert to_ascii("Straße") == "Strae"  # DeepSpeech's --normalize drops what has no ASCII decomposition


def test_too_short_rule_and_default_normalisation():
    assert too_short(16000, 16000, "x" * 51)  # 1 s = 50 frames of 20 ms
    assert not too_short(16000, 16000, "x" * 50)
    assert normalize_transcript("It's a Well-Known café, isn't it?") == "it's a well known cafe isn't it"
