"""The stock libstt 1.4 loads scorers sttx writes and decodes with them (STT_EnableExternalScorer returns 0)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sttx.core.data.alphabet import default_alphabet_path
from sttx.core.inference.export_options import ExportOptions
from sttx.core.inference.lm.build import LmBuildConfig, build_lm
from sttx.core.inference.scorer import read_scorer, read_trie_words
from sttx.plugins.exporters.libstt import LibsttError, run_libstt
from sttx.plugins.exporters.tflite import convert_tflite

BEAM = 32


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory, weights, alphabet) -> Path:
    path = tmp_path_factory.mktemp("libstt-scorer") / "model.tflite"
    path.write_bytes(convert_tflite(weights, alphabet.serialize(), ExportOptions(export_beam_width=BEAM)))
    return path


def _build(tools, folder: Path, alphabet, binary_type: str = "trie") -> Path:
    text = folder / "text.txt"
    sentences = (default_alphabet_path().parent / "sentences.txt").read_text(encoding="utf-8")
    text.write_text(sentences + "she had your dark suit in greasy wash water all year\n", encoding="utf-8")
    config = LmBuildConfig(text=(text,), output_dir=folder / "out", alphabet=alphabet, order=3, prune=(0,),
                           binary_type=binary_type, show_progressbar=False)
    return build_lm(config, tools).scorer_path


@pytest.fixture(scope="module")
def scorer(kenlm_tools, tmp_path_factory: pytest.TempPathFactory, alphabet) -> Path:
    return _build(kenlm_tools, tmp_path_factory.mktemp("lm-text"), alphabet)


def _only_vocabulary(results, vocabulary: set[str]) -> None:
    for result in results:
        for text, _ in result.candidates:  # Coqui's trie lets only vocabulary words (the last may be unfinished)
            *words, last = text.split() or [""]
            assert set(words) <= vocabulary and any(word.startswith(last) for word in vocabulary), text


def test_libstt_loads_the_scorer_and_decodes_words_of_its_vocabulary(libstt_dir: Path, model: Path, scorer: Path,
                                                                    speech: list[Path]) -> None:
    vocabulary = read_trie_words(scorer)
    plain = run_libstt(libstt_dir, model, speech, candidates=1)
    with_lm = run_libstt(libstt_dir, model, speech, candidates=3, scorer=scorer, lm_alpha=0.75, lm_beta=1.85)
    assert [r.path for r in with_lm] == [str(w) for w in speech]
    _only_vocabulary(with_lm, vocabulary)
    # the random model spells non-words without the scorer: the scorer is what changed the output
    assert any(not set(r.candidates[0][0].split()) <= vocabulary for r in plain)
    assert any(r.candidates[0][0] for r in with_lm)


def test_libstt_uses_the_scorer_weights(libstt_dir: Path, model: Path, scorer: Path, speech: list[Path]) -> None:
    """A huge word bonus makes libstt emit more words than a huge word penalty: the weights reach the decoder."""
    more = run_libstt(libstt_dir, model, speech, candidates=1, scorer=scorer, lm_alpha=0.0, lm_beta=20.0)
    fewer = run_libstt(libstt_dir, model, speech, candidates=1, scorer=scorer, lm_alpha=0.0, lm_beta=-20.0)
    count = lambda results: sum(len(r.candidates[0][0].split()) for r in results)  # noqa: E731
    assert count(more) > count(fewer)


def test_libstt_refuses_a_damaged_scorer_and_the_harness_says_so(libstt_dir: Path, model: Path, scorer: Path,
                                                                 tmp_path: Path, speech: list[Path]) -> None:
    data = bytearray(scorer.read_bytes())
    at = read_scorer(scorer).kenlm_size
    data[at : at + 4] = b"XXXX"
    broken = tmp_path / "broken.scorer"
    broken.write_bytes(bytes(data))
    with pytest.raises(LibsttError, match=r"broken\.scorer"):
        run_libstt(libstt_dir, model, speech[:1], scorer=broken)


def test_libstt_loads_a_probing_scorer(kenlm_tools, libstt_dir: Path, model: Path, tmp_path: Path, alphabet,
                                       speech: list[Path]) -> None:
    """The header is found after KenLM's other data structure too (its size arithmetic differs from the trie's)."""
    probing = _build(kenlm_tools, tmp_path, alphabet, "probing")
    assert read_scorer(probing).kenlm.model_type == "probing"
    results = run_libstt(libstt_dir, model, speech[:1], candidates=1, scorer=probing, lm_alpha=0.75, lm_beta=1.85)
    assert results[0].candidates[0][0]
    _only_vocabulary(results, read_trie_words(probing))
