"""Language-model text normalisation and how KenLM's tools are found (no compiling here)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from sttx.core.contract.errors import UsageError
from sttx.core.data.alphabet import Alphabet, UTF8Alphabet, load_alphabet
from sttx.core.inference.lm.build import parse_prune
from sttx.core.inference.lm.corpus import CorpusError, Normaliser, normalise_files, top_words
from sttx.core.inference.lm.tools import TOOL_NAMES, KenLMTools, cache_dir, find_tools
from sttx.plugins.validators.en import validate_label_en


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Hello, World!", ("hello world", "")),
        ("  \"Hot-cross buns,\" she said.\n", ("hot cross buns she said", "")),
        ("It's   don't\t(maybe)", ("it's don't maybe", "")),
        ("café au lait", (None, "alphabet")),
        ("route 66", (None, "alphabet")),
    ],
)
def test_lines_are_spelt_with_the_alphabet(line: str, expected: tuple[str | None, str]) -> None:
    assert Normaliser(load_alphabet())(line) == expected


def test_validator_runs_first_and_capitals_stay_when_the_alphabet_has_them() -> None:
    assert Normaliser(load_alphabet(), validate_label_en)("route 66") == (None, "validator")
    assert Normaliser(load_alphabet(), validate_label_en)("A B-C") == ("a b c", "")
    mixed = Alphabet([" ", "A", "a", "b"])
    assert Normaliser(mixed)("Ab, ba") == ("Ab ba", "")
    assert Normaliser(UTF8Alphabet())("Café, 66!") == ("Café, 66!", "")  # bytes mode spells anything


def test_normalise_files_counts_words_and_reports_lines_left_out(tmp_path: Path) -> None:
    text = tmp_path / "t.txt"
    text.write_text("the cat\nthé cat\n\nthe dog. The end\n", encoding="utf-8")
    out = io.StringIO()
    stats = normalise_files([text], Normaliser(load_alphabet()), out)
    assert out.getvalue() == "the cat\nthe dog the end\n"
    assert (stats.lines, stats.kept, stats.outside_alphabet, stats.example_outside) == (4, 2, 1, "thé cat")
    assert top_words(stats.counts, 2) == ["the", "cat"]


def test_undecodable_and_missing_text_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"ok\ncaf\xe9\n")
    with pytest.raises(CorpusError, match=r"latin1\.txt line 2 is not UTF-8"):
        normalise_files([bad], Normaliser(load_alphabet()), io.StringIO())
    with pytest.raises(UsageError, match=r"--text .*nope\.txt"):
        normalise_files([tmp_path / "nope.txt"], Normaliser(load_alphabet()), io.StringIO())


@pytest.mark.parametrize(("text", "expected"), [("0|0|1", (0, 0, 1)), ("0 0 1", (0, 0, 1)), ("0,1", (0, 1))])
def test_prune_spellings(text: str, expected: tuple[int, ...]) -> None:
    assert parse_prune(text) == expected


@pytest.mark.parametrize("text", ["", "0|a", "0 1 0", "-1"])
def test_bad_prune_is_refused(text: str) -> None:
    with pytest.raises(UsageError, match="--prune"):
        parse_prune(text)


def _fake_tools(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in TOOL_NAMES:
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(0o755)
    return folder


def test_tools_are_found_in_the_override_then_path_then_the_cache(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("STTX_KENLM_BIN", raising=False)
    assert cache_dir() == tmp_path / "cache" / "sttx" / "kenlm" / "0.3.0" / "bin"
    assert find_tools() is None
    _fake_tools(cache_dir())
    assert find_tools() == KenLMTools.in_dir(cache_dir())
    monkeypatch.setenv("PATH", str(_fake_tools(tmp_path / "onpath")))
    assert find_tools().lmplz == tmp_path / "onpath" / "lmplz"
    monkeypatch.setenv("STTX_KENLM_BIN", str(_fake_tools(tmp_path / "mine")))
    assert find_tools().filter == tmp_path / "mine" / "filter"
    (tmp_path / "mine" / "filter").unlink()
    assert find_tools() is None  # an override lacking a tool is not silently replaced by another KenLM
