"""`sttx lm build` end to end with KenLM's real tools, on the sentences sttx ships."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.cli.lm import lm_group
from sttx.core.data.alphabet import default_alphabet_path, load_alphabet
from sttx.core.inference.scorer import check_scorer, read_scorer, read_trie_words

SENTENCES = default_alphabet_path().parent / "sentences.txt"


def _run(pm, *args: str):
    return CliRunner().invoke(build_cli(pm), ["lm", "build", *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def built(kenlm_tools, tmp_path_factory) -> tuple[Path, str]:
    from sttx.core.contract.plugins import get_plugin_manager

    out = tmp_path_factory.mktemp("lm") / "scorer"
    result = _run(get_plugin_manager(load_entrypoints=False, disabled=set()), "--text", str(SENTENCES), "--out",
                  str(out), "--show_progressbar", "false")
    assert result.exit_code == 0, result.output
    return out, result.output


def test_build_writes_a_scorer_whose_trie_is_the_vocabulary(built: tuple[Path, str]) -> None:
    out, output = built
    assert {path.name for path in out.iterdir()} == {"kenlm.scorer", "lm.binary", "vocab-500000.txt"}
    info = read_scorer(out / "kenlm.scorer")
    check_scorer(info, load_alphabet())
    assert info.kenlm_size == (out / "lm.binary").stat().st_size  # the KenLM part is build_binary's output as is
    assert info.kenlm.order == 5 and info.kenlm.model_type == "quant_array_trie" and not info.kenlm.has_vocabulary
    vocabulary = (out / "vocab-500000.txt").read_text(encoding="utf-8").split()
    assert read_trie_words(out / "kenlm.scorer") == set(vocabulary)
    # the text's own words, normalised independently: lower case, punctuation gone, apostrophes kept
    raw = SENTENCES.read_text(encoding="utf-8").lower()
    expected = {word.strip(".,?!;:\"") for word in raw.replace("-", " ").split()}
    assert set(vocabulary) == expected - {""}
    assert "it's" in vocabulary
    assert "with --discount_fallback (small text)" in output and "600 of 600 lines kept" in output


def test_top_k_keeps_the_most_frequent_words_and_filters_the_model(kenlm_tools, pm, tmp_path: Path) -> None:
    text = tmp_path / "t.txt"
    text.write_text("the cat sat\nthe dog sat\nthe cat ran\na bird flew\n" * 3, encoding="utf-8")
    result = _run(pm, "--text", str(text), "--out", str(tmp_path / "o"), "--top_k", "3", "--order", "3",
                  "--prune", "0")
    assert result.exit_code == 0, result.output
    counts = Counter(text.read_text().split())
    assert read_trie_words(tmp_path / "o" / "kenlm.scorer") == {w for w, _ in counts.most_common(3)}
    assert read_scorer(tmp_path / "o" / "kenlm.scorer").kenlm.counts[0] == 3 + 3  # the words + <s> </s> <unk>


def test_bytes_mode_and_the_locale_validator(kenlm_tools, pm, tmp_path: Path) -> None:
    text = tmp_path / "t.txt"
    text.write_text("Café au lait\nthe 2 cafés\nnaïve café\n", encoding="utf-8")
    result = _run(pm, "--text", str(text), "--out", str(tmp_path / "o"), "--bytes_output_mode",
                  "--validate_label_locale", "en", "--order", "2", "--default_alpha", "0.5", "--default_beta", "2")
    assert result.exit_code == 0, result.output
    info = read_scorer(tmp_path / "o" / "kenlm.scorer")
    assert info.utf8_mode and (info.alpha, info.beta) == (0.5, 2.0)
    assert read_trie_words(tmp_path / "o" / "kenlm.scorer") == {"café", "au", "lait", "naïve"}
    assert "2 of 3 lines kept" in result.output and "1 rejected by the validator" in result.output


@pytest.mark.parametrize(
    ("content", "alphabet", "message"),
    [
        ("", None, "holds no text"),
        ("\n  \n", None, "holds no text"),
        ("hello world\n", "xyz", "spells no line of .*t.txt: all 1 hold characters outside it"),
    ],
)
def test_text_giving_nothing_is_a_one_line_error(pm, tmp_path: Path, content: str, alphabet: str | None,
                                                  message: str) -> None:
    text = tmp_path / "t.txt"
    text.write_text(content, encoding="utf-8")
    args = ["--text", str(text), "--out", str(tmp_path / "o")]
    if alphabet:
        (tmp_path / "a.txt").write_text(" \n" + "\n".join(alphabet) + "\n", encoding="utf-8")
        args += ["--alphabet_config_path", str(tmp_path / "a.txt")]
    result = _run(pm, *args)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and len(result.output.strip().splitlines()) == 1
    assert pytest.importorskip("re").search(message, result.output)


def test_bad_prune_is_a_usage_error(pm, tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text("a b\n")
    result = _run(pm, "--text", str(tmp_path / "t.txt"), "--out", str(tmp_path / "o"), "--prune", "0|x")
    assert result.exit_code == 2 and "--prune '0|x'" in result.output


def test_missing_compiler_is_a_one_line_error_saying_what_to_install(pm, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no lmplz, no cmake, no c++
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("STTX_KENLM_BIN", raising=False)
    (tmp_path / "t.txt").write_text("a b\n")
    result = _run(pm, "--text", str(tmp_path / "t.txt"), "--out", str(tmp_path / "o"))
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "cmake, make, g++ not found; install them with: apt-get install cmake g++ make libboost" in result.output


def test_lm_group_is_shared_by_the_modules_that_extend_it(pm) -> None:
    import click

    cli = build_cli(pm)
    group = lm_group(cli)
    assert lm_group(cli) is group and "build" in group.commands

    @click.command("tune")
    def tune() -> None:
        click.echo("tuned")

    group.add_command(tune)
    assert CliRunner().invoke(cli, ["lm", "tune"]).output == "tuned\n"
    assert "build" in CliRunner().invoke(cli, ["lm", "--help"]).output


def test_a_kenlm_tool_failing_is_one_line_with_its_explanation(kenlm_tools, pm, tmp_path: Path) -> None:
    result = _run(pm, "--text", str(SENTENCES), "--out", str(tmp_path / "o"), "--max_arpa_memory", "bogus",
                  "--show_progressbar", "false")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: KenLM lmplz failed (exit 1): Failed to parse bogus into a memory size " \
                                    "for the leading number."
    assert not (tmp_path / "o" / "kenlm.scorer").exists()
