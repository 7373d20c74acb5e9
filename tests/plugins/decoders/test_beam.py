"""The greedy and beam decoders: Coqui's no-scorer search, KenLM fusion on a vocabulary, hot words, settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sttx.core.contract.decoding import DEFAULT_ALPHA, DEFAULT_BETA, DecodeSettings, parse_hot_words
from sttx.core.contract.errors import UsageError
from sttx.core.data.alphabet import load_alphabet
from sttx.core.evaluation.decoders import choose_decoder, decode_outputs
from sttx.core.inference.scorer import ScorerError
from sttx.plugins.decoders.beam import PrefixBeamDecoder, create_beam
from sttx.plugins.decoders.greedy import create_greedy
from sttx.plugins.decoders.language_model import read_arpa_vocabulary
from sttx.plugins.decoders.prefix_search import pruned_log_probs
from tests.plugins.decoders.arpa import write_arpa
from tests.plugins.exporters.ctc_beam import prefix_beam_search as reference_search

TEXT = ["the cat sat on the mat", "the dog sat on the log", "a cat and a dog", "the man ran to the van"]


@pytest.fixture(scope="module")
def alphabet():
    return load_alphabet()


@pytest.fixture(scope="module")
def arpa(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_arpa(TEXT, tmp_path_factory.mktemp("lm") / "lm.arpa")


def spoken(alphabet, text: str, *, sure: float = -0.05, other: float = -8.0) -> np.ndarray:
    """Log-probabilities of a model that clearly says ``text``: each letter two frames, then a blank."""
    frames: list[int] = []
    for i, char in enumerate(text):
        if i and text[i - 1] == char:
            frames.append(alphabet.blank)
        frames += [alphabet.encode(char)[0]] * 2 + [alphabet.blank]
    scores = np.full((len(frames), alphabet.n_classes), other)
    scores[np.arange(len(frames)), frames] = sure
    return (scores - np.logaddexp.reduce(scores, axis=1, keepdims=True)).astype(np.float32)


def random_log_probs(rng: np.random.Generator, steps: int, classes: int, spread: float) -> np.ndarray:
    scores = rng.standard_normal((steps, classes)) * spread
    return (scores - np.logaddexp.reduce(scores, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("beam", [1, 3, 16])
def test_prefix_search_is_coquis(alphabet, beam: int) -> None:
    """Candidates and scores equal a plain transcription of Coqui's algorithm (checked against libstt)."""
    rng = np.random.default_rng(beam)
    decoder = PrefixBeamDecoder(DecodeSettings(beam_width=beam), alphabet)
    for spread in (0.5, 1.5, 3.0, 6.0):
        log_probs = random_log_probs(rng, 50, alphabet.n_classes, spread)
        expected = reference_search(np.exp(log_probs.astype(np.float64)), beam, alphabet.blank, top_n=300)[:3]
        found = decoder.decode(log_probs, 3)
        assert [h.labels for h in found] == [labels for labels, _ in expected]
        assert [h.score for h in found] == pytest.approx([score for _, score in expected], abs=1e-4)
        assert all(len(h.timesteps) == len(h.labels) and list(h.timesteps) == sorted(h.timesteps) for h in found)


def test_beam_without_scorer_reads_a_clear_model_as_greedy_does(alphabet) -> None:
    log_probs = spoken(alphabet, "hello world")
    beam = create_beam(DecodeSettings(beam_width=8), alphabet).decode(log_probs)[0]
    greedy = create_greedy(DecodeSettings(), alphabet).decode(log_probs)[0]
    assert beam.text == greedy.text == "hello world"
    assert beam.timesteps == greedy.timesteps  # each letter starts where its first frame is
    assert greedy.score == pytest.approx(float(log_probs.max(axis=1).sum()))


def test_cutoff_prob_keeps_the_likeliest_labels_as_coqui() -> None:
    probs = np.array([0.05, 0.6, 0.25, 0.1])
    labels, log_probs = pruned_log_probs(probs, 0.8, 300)
    assert labels.tolist() == [1, 2]  # 0.6 + 0.25 reaches 0.8
    assert log_probs == pytest.approx(np.log(probs[[1, 2]]))
    assert pruned_log_probs(probs, 0.99, 2)[0].tolist() == [1, 2]  # at most cutoff_top_n
    assert pruned_log_probs(probs, 1.0, 2)[0].tolist() == [0, 1, 2, 3]  # Coqui: top_n acts only with cutoff_prob


def test_scorer_corrects_words_to_its_vocabulary(alphabet, arpa: Path) -> None:
    log_probs = spoken(alphabet, "the cet sat on the mad")
    plain = create_beam(DecodeSettings(beam_width=16), alphabet).decode(log_probs)[0]
    fused = create_beam(DecodeSettings(beam_width=16, scorer_path=str(arpa)), alphabet)
    best = fused.decode(log_probs, 3)
    assert plain.text == "the cet sat on the mad"
    assert best[0].text == "the cat sat on the mat"
    vocabulary = set(read_arpa_vocabulary(str(arpa)))
    assert all(set(h.text.split()) <= vocabulary for h in best)  # restricted as Coqui's trie restricts
    assert best[0].timesteps[:3] == (0, 3, 6) and "scorer" in fused.description


def test_hot_words_add_and_remove_words(alphabet, arpa: Path) -> None:
    log_probs = spoken(alphabet, "the cet sat on the mad")
    settings = {"beam_width": 16, "scorer_path": str(arpa)}
    boosted = create_beam(DecodeSettings(**settings, hot_words="mad:12"), alphabet).decode(log_probs)[0]
    assert boosted.text == "the cat sat on the mad"  # a hot word outside the vocabulary becomes spellable
    clear = spoken(alphabet, "the man ran to the van")
    assert create_beam(DecodeSettings(**settings), alphabet).decode(clear)[0].text == "the man ran to the van"
    demoted = create_beam(DecodeSettings(**settings, hot_words="van:-40"), alphabet).decode(clear)[0]
    assert "van" not in demoted.text.split()


def test_lm_weights_follow_flags_then_scorer_then_release(alphabet, arpa: Path) -> None:
    assert DecodeSettings().alpha_beta() == (DEFAULT_ALPHA, DEFAULT_BETA)
    assert DecodeSettings().alpha_beta((0.5, 2.0)) == (0.5, 2.0)
    assert DecodeSettings(lm_alpha=1.5).alpha_beta((0.5, 2.0)) == (1.5, 2.0)
    decoder = create_beam(DecodeSettings(scorer_path=str(arpa), lm_beta=3.0), alphabet)
    assert (decoder.alpha, decoder.beta) == (DEFAULT_ALPHA, 3.0)  # an ARPA file embeds no pair


def test_alpha_zero_leaves_the_acoustics_in_charge(alphabet, arpa: Path) -> None:
    """The LM weight matters: without it the acoustics win within the vocabulary."""
    log_probs = spoken(alphabet, "the dog sat on the mat")
    plain = create_beam(DecodeSettings(beam_width=16, scorer_path=str(arpa), lm_alpha=0.0), alphabet)
    assert plain.decode(log_probs)[0].text == "the dog sat on the mat"


def test_bad_decoding_flags_are_usage_errors(alphabet, tmp_path: Path) -> None:
    assert parse_hot_words("friend:2.5, enemy:-3") == (("friend", 2.5), ("enemy", -3.0))
    for bad in ("friend", "friend:lots", ":2", "a:inf"):
        with pytest.raises(UsageError, match="--hot_words"):
            parse_hot_words(bad)
    with pytest.raises(UsageError, match="--hot_words needs --scorer_path"):
        DecodeSettings(hot_words="a:1")
    with pytest.raises(UsageError, match="--cutoff_prob"):
        DecodeSettings(cutoff_prob=0.0)
    with pytest.raises(UsageError, match="no such file"):
        create_beam(DecodeSettings(scorer_path=str(tmp_path / "missing.scorer")), alphabet)
    not_a_scorer = tmp_path / "x.scorer"
    not_a_scorer.write_bytes(b"\0" * 100)
    with pytest.raises(ScorerError, match=f"scorer {not_a_scorer} is not a scorer"):
        create_beam(DecodeSettings(scorer_path=str(not_a_scorer)), alphabet)


def test_choose_decoder_defaults_like_deepspeech(pm, arpa: Path) -> None:
    registry = pm.registries().decoders
    assert choose_decoder(registry, None, DecodeSettings()).name == "greedy"
    assert choose_decoder(registry, None, DecodeSettings(scorer_path=str(arpa))).name == "beam"
    assert choose_decoder(registry, "beam", DecodeSettings()).name == "beam"
    with pytest.raises(UsageError, match="--decoder greedy does not use a language model"):
        choose_decoder(registry, "greedy", DecodeSettings(scorer_path=str(arpa)))
    with pytest.raises(UsageError, match="unknown decoder 'best'; known: beam, greedy"):
        choose_decoder(registry, "best", DecodeSettings())


def test_parallel_decoding_equals_serial(alphabet, arpa: Path) -> None:
    rng = np.random.default_rng(3)
    outputs = [random_log_probs(rng, 400, alphabet.n_classes, 3.0) for _ in range(12)]
    decoder = create_beam(DecodeSettings(beam_width=8, scorer_path=str(arpa)), alphabet)
    serial = decode_outputs(decoder, outputs, workers=1)
    assert decode_outputs(decoder, outputs, workers=2) == serial
    assert [h.text for h in serial] == [decoder.decode(o)[0].text for o in outputs]


@pytest.fixture(scope="module")
def scorer(tmp_path_factory: pytest.TempPathFactory, kenlm_tools) -> Path:
    """A real .scorer built by `sttx lm build`'s library from TEXT, with its own embedded weights."""
    from sttx.core.inference.lm.build import LmBuildConfig, build_lm

    folder = tmp_path_factory.mktemp("scorer")
    text = folder / "text.txt"
    text.write_text("\n".join(TEXT * 3) + "\n", encoding="utf-8")
    config = LmBuildConfig(text=(text,), output_dir=folder, alphabet=load_alphabet(), order=3, prune=(0, 0, 0),
                           default_alpha=0.75, default_beta=1.5, show_progressbar=False)
    return build_lm(config).scorer_path


def test_a_built_scorer_decodes_with_its_vocabulary_and_weights(alphabet, scorer: Path) -> None:
    decoder = create_beam(DecodeSettings(beam_width=16, scorer_path=str(scorer)), alphabet)
    assert (decoder.alpha, decoder.beta) == (0.75, 1.5)  # embedded in the scorer, used when no flag is given
    assert decoder.decode(spoken(alphabet, "the cet sat on the mad"))[0].text == "the cat sat on the mat"
    flagged = create_beam(DecodeSettings(scorer_path=str(scorer), lm_alpha=0.2, lm_beta=0.1), alphabet)
    assert (flagged.alpha, flagged.beta) == (0.2, 0.1)
    with pytest.raises(ScorerError, match="bytes output mode"):
        create_beam(DecodeSettings(scorer_path=str(scorer)), load_alphabet(bytes_mode=True))
