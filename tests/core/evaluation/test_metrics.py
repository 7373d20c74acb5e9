"""WER/CER per sample and per corpus (DeepSpeech's definitions and its 1.0 cap), and the report sort order."""

from __future__ import annotations

import pytest

from sttx.core.evaluation.metrics import (
    char_error_rate,
    corpus_cer,
    corpus_rate,
    corpus_wer,
    score_sample,
    sort_like_deepspeech,
    word_error_rate,
)


def test_known_values_for_one_sample() -> None:
    score = score_sample("a.wav", "the cat sat", "the bat sat down", 2.5)
    assert (score.word_distance, score.word_length) == (2, 3)  # one substitution, one insertion
    assert (score.char_distance, score.char_length) == (6, 11)  # c->b, then " down" inserted
    assert score.wer == pytest.approx(2 / 3)
    assert score.cer == pytest.approx(6 / 11)
    assert score.loss == 2.5


def test_exact_match_scores_zero() -> None:
    score = score_sample("a.wav", "hello world", "hello world", 0.1)
    assert (score.wer, score.cer, score.word_distance, score.char_distance) == (0.0, 0.0, 0, 0)


def test_empty_hypothesis_costs_every_reference_unit() -> None:
    score = score_sample("a.wav", "two words", "", 9.0)
    assert (score.word_distance, score.char_distance) == (2, 9)
    assert (score.wer, score.cer) == (1.0, 1.0)


def test_empty_reference_is_defined() -> None:
    assert score_sample("a.wav", "", "", 0.0).cer == 0.0
    assert score_sample("a.wav", "", "x", 0.0).cer == 1.0


def test_per_sample_rates_are_not_capped() -> None:
    score = score_sample("a.wav", "a", "x y z", 1.0)
    assert score.wer == 3.0


def test_corpus_rate_is_total_distance_over_total_length() -> None:
    samples = [score_sample("a", "one two three four", "one two", 1.0), score_sample("b", "five", "five", 1.0)]
    assert corpus_wer(samples) == pytest.approx(2 / 5)  # not the mean of 0.5 and 0.0
    assert corpus_cer(samples) == pytest.approx((11 + 0) / (18 + 4))  # " three four" deleted


def test_corpus_rates_are_capped_at_one() -> None:
    samples = [score_sample("a", "a", "x y z w", 1.0)]
    assert corpus_wer(samples) == 1.0
    assert corpus_rate([7], [2]) == 1.0
    assert corpus_rate([], []) == 0.0


def test_text_level_helpers() -> None:
    assert word_error_rate(["a b c", "d"], ["a x c", "d"]) == pytest.approx(1 / 4)
    assert char_error_rate(["ab", "cd"], ["ab", "c"]) == pytest.approx(1 / 4)
    with pytest.raises(ValueError, match=r"shorter|longer"):
        word_error_rate(["a"], [])


def test_sort_is_loss_descending_then_stable_by_wer() -> None:
    low_wer_low_loss = score_sample("1", "a b", "a b", 1.0)
    low_wer_high_loss = score_sample("2", "a b", "a b", 5.0)
    high_wer = score_sample("3", "a b", "a c", 9.0)
    ordered = sort_like_deepspeech([low_wer_low_loss, high_wer, low_wer_high_loss])
    assert [s.wav_filename for s in ordered] == ["2", "1", "3"]


def test_bytes_mode_sorts_by_cer() -> None:
    one_word_many_chars = score_sample("1", "abcdef", "abxxxx", 1.0)  # WER 1, CER 4/6
    two_words_one_char = score_sample("2", "ab cd", "ab cx", 1.0)  # WER 1/2, CER 1/5
    three = score_sample("3", "ab", "zz", 0.5)  # WER 1, CER 1
    by_wer = sort_like_deepspeech([one_word_many_chars, two_words_one_char, three])
    by_cer = sort_like_deepspeech([one_word_many_chars, two_words_one_char, three], bytes_mode=True)
    assert [s.wav_filename for s in by_wer] == ["2", "1", "3"]
    assert [s.wav_filename for s in by_cer] == ["2", "1", "3"]
    swapped = score_sample("4", "abcdefghij x", "abcdefghij y", 0.1)  # WER 1/2, CER 1/12
    assert sort_like_deepspeech([two_words_one_char, swapped], bytes_mode=True)[0].wav_filename == "4"
    assert sort_like_deepspeech([two_words_one_char, swapped])[0].wav_filename == "2"  # equal WER: higher loss first
