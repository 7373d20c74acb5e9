"""The stock libstt 1.4 loads scorers sttx writes and decodes with them (STT_EnableExternalScorer returns 0)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sttx.core.data.alphabet import default_alphabet_path
from sttx.core.inference.export_options import ExportOptions
from sttx.core.inference.lm.build import LmBuildConfig, build_lm
from sttx.core.inference.scorer import read_trie_words
from sttx.plugins.exporters.libstt import LibsttError, run_libstt
from sttx.plugins.exporters.tflite import convert_tflite

BEAM = 32


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory, weights, alphabet) -> Path:
    path = tmp_path_factory.mktemp("libstt-scorer") / "model.tflite"
    path.write_bytes(convert_tflite(weights, alphabet.serialize(), ExportOptions(export_beam_width=BEAM)))
    return path


@pytest.fixture(scope="module")
def scorer(kenlm_tools, tmp_path_factory: pytest.TempPathFactory, alphabet) -> Path:
    text = tmp_path_factory.mktemp("lm-text") / "text.txt"
    sentences = (default_alphabet_path().parent / "sentences.txt").read_text(encoding="utf-8")
    text.write_text(sentences + "she had your dark suit in greasy wash water all year\n", encoding="utf-8")
    config = LmBuildConfig(text=(text,), output_dir=text.parent / "out", alphabet=alphabet, order=3, prune=(0,),
                           show_progressbar=False)
    return build_lm(config, kenlm_tools).scorer_path


def test_libstt_loads_the_scorer_and_decodes_words_of_its_vocabulary(libstt_dir: Path, model: Path, scorer: Path,
                                                                    speech: list[Path]) -> None:
    vocabulary = read_trie_words(scorer)
    plain = run_libstt(libstt_dir, model, speech, candidates=1)
    with_lm = run_libstt(libstt_dir, model, speech, candidates=3, scorer=scorer, lm_alpha=0.75, lm_beta=1.85)
    assert [r.path for r in with_lm] == [str(w) for w in speech]
    for result in with_lm:
        for text, _ in result.candidates:  # Coqui's trie lets only vocabulary words (the last may be unfinished)
            *words, last = text.split() or [""]
            assert set(words) <= vocabulary and any(word.startswith(last) for word in vocabulary), text
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
    from sttx.core.inference.scorer import read_scorer

    data = bytearray(scorer.read_bytes())
    at = read_scorer(scorer).kenlm_size
    data[at : at + 4] = b"XXXX"
    broken = tmp_path / "broken.scorer"
    broken.write_bytes(bytes(data))
    with pytest.raises(LibsttError, match=r"broken\.scorer"):
        run_libstt(libstt_dir, model, speech[:1], scorer=broken)
