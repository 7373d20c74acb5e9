"""The .scorer format: Coqui's layout byte for byte, Coqui's files read, bad ones refused in one line."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sttx.core.data.alphabet import Alphabet, UTF8Alphabet, load_alphabet
from sttx.core.inference.scorer import (
    ScorerError,
    check_scorer,
    read_scorer,
    read_trie_words,
    update_scorer_params,
    write_scorer,
)
from sttx.core.inference.scorer.fst import minimal_acceptor
from tests.core.inference.scorer_files import ab_b_scorer, kenlm_binary

SPACE_AB = Alphabet([" ", "a", "b"], source="ab.txt")
#: a TRIE magic inside the KenLM tables must not be taken for the scorer's header
PAYLOAD = b"\x01\x02EIRT\x06\x00\x00\x00" + bytes(range(256)) * 3


@pytest.fixture
def lm(tmp_path: Path) -> Path:
    path = tmp_path / "lm.binary"
    path.write_bytes(kenlm_binary(payload=PAYLOAD))
    return path


def test_written_scorer_is_byte_identical_to_the_layout_coqui_reads(tmp_path: Path, lm: Path) -> None:
    expected = ab_b_scorer(tmp_path / "coqui.scorer", lm.read_bytes()).read_bytes()
    info = write_scorer(lm, ["b", "ab", "b"], SPACE_AB, tmp_path / "sttx.scorer", alpha=0.75, beta=1.85)
    assert (tmp_path / "sttx.scorer").read_bytes() == expected
    assert info.kenlm_size == lm.stat().st_size
    assert (info.utf8_mode, info.alpha, info.beta, info.version) == (False, 0.75, 1.85, 6)
    assert (info.n_states, info.n_arcs) == (4, 4)


def test_a_scorer_laid_out_by_coqui_loads(tmp_path: Path, lm: Path) -> None:
    """A file made as DeepSpeech 0.9 / Coqui 1.x's generate_scorer_package makes them (hand-packed here)."""
    path = ab_b_scorer(tmp_path / "release.scorer", lm.read_bytes(), alpha=0.931289039105002, beta=1.1834137581510284)
    info = read_scorer(path)
    assert (info.alpha, info.beta) == (0.931289039105002, 1.1834137581510284)
    assert info.kenlm.order == 3 and info.kenlm.counts == (100, 101, 102) and not info.kenlm.has_vocabulary
    assert read_trie_words(path, SPACE_AB) == {"ab", "b"}
    check_scorer(info, SPACE_AB)


def test_trie_holds_the_vocabulary_minus_words_outside_the_alphabet(tmp_path: Path, lm: Path) -> None:
    alphabet = load_alphabet()
    words = ["hello", "world", "don't", "café", "x2", "<unk>", "</s>", "a", "ab", "abc", "b"]
    write_scorer(lm, words, alphabet, tmp_path / "k.scorer")
    assert read_trie_words(tmp_path / "k.scorer", alphabet) == {"hello", "world", "don't", "a", "ab", "abc", "b"}


def test_bytes_mode_scorer_round_trips_any_text_and_refuses_an_alphabet(tmp_path: Path, lm: Path) -> None:
    words = {"café", "日本", "naïve", "a"}
    info = write_scorer(lm, words, UTF8Alphabet(), tmp_path / "u.scorer")
    assert info.utf8_mode
    assert read_trie_words(tmp_path / "u.scorer") == words
    check_scorer(info, UTF8Alphabet())
    with pytest.raises(ScorerError, match=r"u\.scorer is for bytes output mode, but the model uses alphabet"):
        check_scorer(info, load_alphabet())


def test_alphabet_scorer_refused_in_bytes_mode(tmp_path: Path, lm: Path) -> None:
    info = write_scorer(lm, ["ab"], SPACE_AB, tmp_path / "a.scorer")
    with pytest.raises(ScorerError, match=r"a\.scorer was built for an alphabet, but the model uses bytes output"):
        check_scorer(info, UTF8Alphabet())


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ([" ", "a"], r"uses trie label 3, outside the 2 labels of alphabet other\.txt"),
        (["a", "b", " "], r"do not end with the space label of alphabet other\.txt \(label 3\)"),
        (["a", "b", "c"], r"alphabet other\.txt has no space label"),
    ],
)
def test_scorer_for_another_alphabet_is_refused(tmp_path: Path, lm: Path, labels: list[str], message: str) -> None:
    info = write_scorer(lm, ["ab", "b"], SPACE_AB, tmp_path / "ab.scorer")
    with pytest.raises(ScorerError, match=message) as caught:
        check_scorer(info, Alphabet(labels, source="other.txt"))
    assert "ab.scorer" in str(caught.value) or "other.txt" in str(caught.value)
    assert "\n" not in str(caught.value)


def _corrupt(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    at = read_scorer(path).kenlm_size
    if how == "magic":
        data[at : at + 4] = b"XIRT"
    elif how == "version":
        data[at + 4 : at + 8] = struct.pack("<i", 5)
    elif how == "truncated":
        del data[-7:]
    elif how == "fst":
        data[at + 25 : at + 29] = b"\0\0\0\0"
    elif how == "trailing":
        data += b"junk"
    elif how == "kenlm":
        data[:4] = b"MMAP"
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("magic", "holds no vocabulary trie"),
        ("version", "has format version 5, sttx reads version 6"),
        ("truncated", "is cut short"),
        ("fst", "holds no vocabulary trie"),
        ("trailing", "stray bytes after its vocabulary trie"),
        ("kenlm", "is not a scorer: not a KenLM binary"),
    ],
)
def test_corrupt_scorer_is_one_line_naming_the_file(tmp_path: Path, lm: Path, how: str, message: str) -> None:
    path = tmp_path / "bad.scorer"
    write_scorer(lm, ["ab", "b"], SPACE_AB, path)
    _corrupt(path, how)
    with pytest.raises(ScorerError, match=message) as caught:
        read_scorer(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_missing_empty_and_bare_kenlm_files_are_refused(tmp_path: Path, lm: Path) -> None:
    with pytest.raises(ScorerError, match=r"scorer .*nope\.scorer does not exist"):
        read_scorer(tmp_path / "nope.scorer")
    (tmp_path / "empty.scorer").write_bytes(b"")
    with pytest.raises(ScorerError, match=r"empty\.scorer is empty"):
        read_scorer(tmp_path / "empty.scorer")
    with pytest.raises(ScorerError, match=r"lm\.binary holds no vocabulary trie"):
        read_scorer(lm)


def test_kenlm_binary_with_word_strings_is_refused_by_the_writer(tmp_path: Path) -> None:
    lm = tmp_path / "words.binary"
    lm.write_bytes(kenlm_binary(has_vocabulary=True, payload=PAYLOAD))
    with pytest.raises(ScorerError, match=r"words\.binary holds its word strings .* build_binary -v"):
        write_scorer(lm, ["ab"], SPACE_AB, tmp_path / "x.scorer")
    assert not (tmp_path / "x.scorer").exists()


def test_update_scorer_params_rewrites_alpha_and_beta_only(tmp_path: Path, lm: Path) -> None:
    path = tmp_path / "k.scorer"
    write_scorer(lm, ["ab", "b"], SPACE_AB, path, alpha=0.5, beta=0.25)
    before = path.read_bytes()
    info = update_scorer_params(path, 1.25, -0.5)
    after = path.read_bytes()
    assert (info.alpha, info.beta) == (1.25, -0.5)
    assert len(after) == len(before)
    changed = [i for i, (x, y) in enumerate(zip(before, after, strict=True)) if x != y]
    assert changed and min(changed) >= info.kenlm_size + 9 and max(changed) < info.kenlm_size + 25
    assert read_trie_words(path, SPACE_AB) == {"ab", "b"}


def _right_languages(words: set[tuple[int, ...]]) -> set[frozenset[tuple[int, ...]]]:
    """Myhill-Nerode: the minimal acceptor has one state per distinct set of suffixes after a prefix."""
    prefixes = {word[:i] for word in words for i in range(len(word) + 1)}
    return {frozenset(word[len(p) :] for word in words if word[: len(p)] == p) for p in prefixes}


@settings(max_examples=60, deadline=None)
@given(st.sets(st.lists(st.integers(1, 4), min_size=1, max_size=5).map(tuple), min_size=1, max_size=25))
def test_trie_is_minimal_deterministic_and_exact(words: set[tuple[int, ...]]) -> None:
    acceptor = minimal_acceptor(words)
    assert set(acceptor.sequences()) == words
    assert acceptor.n_states == len(_right_languages(words))
    for state in range(acceptor.n_states):
        arcs = list(acceptor.arcs_of(state))
        assert [label for label, _ in arcs] == sorted({label for label, _ in arcs})  # deterministic and sorted
    reached = {0} | {int(target) for target in acceptor.next_state}
    assert reached == set(range(acceptor.n_states))  # no state left over from the merging


#: what ds-ctcdecoder 0.7.4's fill_dictionary + save_dictionary (OpenFST Determinize, Minimize) wrote for these
#: vocabularies, read back: per state its arcs (label, next state), the final states, the property bits
OPENFST_TRIES = {
    "alphabet": (
        ["a", "ab", "b", "cab", "ca", "dab", "xyab", "ba", "bab", "abc", "c", "don't"],
        [[(2, 1), (3, 2), (4, 2), (5, 3), (25, 4)], [(1, 13), (3, 5)], [(1, 13), (2, 6)], [(2, 7), (16, 8)],
         [(26, 9)], [(1, 13), (4, 12)], [(1, 13), (3, 12)], [(3, 12)], [(15, 10)], [(2, 7)], [(28, 11)], [(21, 12)],
         [(1, 13)], []],
        [13],
        0xA5AA5A950001,
    ),
    "bytes": (
        ["a", "ab", "ba", "é", "bé"],
        [[(97, 1), (98, 2), (195, 3)], [(98, 4)], [(97, 4), (195, 3)], [(169, 4)], []],
        [1, 4],
        0xA56A5A950001,
    ),
}


@pytest.mark.parametrize("mode", sorted(OPENFST_TRIES))
def test_trie_is_numbered_as_openfst_numbers_it(mode: str) -> None:
    """States numbered as Coqui's tools number them (not simply topologically), so the files are byte-identical."""
    from sttx.core.inference.scorer import encode_vocabulary
    from sttx.core.inference.scorer.const_fst import properties

    words, arcs, finals, bits = OPENFST_TRIES[mode]
    alphabet = UTF8Alphabet() if mode == "bytes" else load_alphabet()
    acceptor = minimal_acceptor(encode_vocabulary(words, alphabet, alphabet.is_bytes)[0])
    assert [list(acceptor.arcs_of(state)) for state in range(acceptor.n_states)] == arcs
    assert [state for state in range(acceptor.n_states) if acceptor.final[state]] == finals
    assert properties(acceptor) == bits
