"""Alphabet: DeepSpeech's alphabet.txt rules, the binary metadata layout and bytes output mode."""

from __future__ import annotations

import struct

import pytest

from sttx.core.data.alphabet import Alphabet, AlphabetError, UTF8Alphabet, default_alphabet_path, load_alphabet


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"], ids=["unix", "windows", "mac"])
def test_abc_in_every_line_ending(tmp_path, ending):
    path = tmp_path / "alphabet.txt"
    path.write_bytes(ending.join([b"a", b"b", b"c", b""]))
    alphabet = Alphabet.from_file(path)
    assert alphabet.labels == ("a", "b", "c")
    assert [alphabet.encode(c) for c in "abc"] == [[0], [1], [2]]
    assert [alphabet.decode([i]) for i in range(3)] == ["a", "b", "c"]


def test_comments_escape_space_and_missing_final_newline():
    alphabet = Alphabet.from_bytes(b"# comment\n \n\\#\n\n#also comment\nx\n#x")
    assert alphabet.labels == (" ", "#", "x")
    assert alphabet.encode("x #") == [2, 0, 1]
    no_newline = Alphabet.from_bytes(b"a\nb")
    assert no_newline.labels == ("a", "b")


def test_leading_byte_order_mark_is_dropped():
    assert Alphabet.from_bytes(b"\xef\xbb\xbf# comment\r\na\r\n").labels == ("a",)


def test_default_english_alphabet():
    alphabet = load_alphabet(None)
    assert alphabet.size == 28
    assert alphabet.n_classes == 29
    assert alphabet.blank == 28
    assert alphabet.labels[0] == " "
    assert alphabet.labels[-1] == "'"
    assert alphabet.source == str(default_alphabet_path())
    assert alphabet.decode(alphabet.encode("it's a test")) == "it's a test"


def test_missing_characters_name_file_row_and_characters():
    alphabet = load_alphabet(None)
    assert alphabet.missing("héllo wörld") == {"é", "ö"}
    assert not alphabet.can_encode("héllo")
    with pytest.raises(AlphabetError) as caught:
        alphabet.encode("héllo wörld", source="train.csv", row=7)
    message = str(caught.value)
    assert "train.csv row 7" in message
    assert "'é' (U+00E9)" in message
    assert "'ö' (U+00F6)" in message
    assert caught.value.missing == ["é", "ö"]


def test_encode_splits_codepoints_so_multi_codepoint_labels_never_match():
    alphabet = Alphabet(["e", "\u0301", "é"])
    assert alphabet.encode("e\u0301") == [0, 1]  # decomposed form: two codepoints
    assert alphabet.encode("\u00e9") == [2]


def test_serialize_is_byte_exact():
    alphabet = Alphabet([" ", "a", "é"])
    expected = (
        struct.pack("<H", 3)
        + struct.pack("<HH", 0, 1) + b" "
        + struct.pack("<HH", 1, 1) + b"a"
        + struct.pack("<HH", 2, 2) + "é".encode()
    )
    assert alphabet.serialize() == expected


def test_to_text_round_trip_with_hash_label(tmp_path):
    alphabet = Alphabet([" ", "#", "a", "ß"])
    path = tmp_path / "out.txt"
    alphabet.write(path)
    assert "\\#\n" in path.read_text(encoding="utf-8")
    assert Alphabet.from_file(path) == alphabet


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"a\nb\na\n", "repeats label 0"), (b"# only comments\n", "no labels"), (b"\xff\n", "line 1 is not UTF-8")],
)
def test_bad_alphabet_files(tmp_path, content, fragment):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(AlphabetError, match=fragment) as caught:
        Alphabet.from_file(path)
    assert "bad.txt" in str(caught.value)


def test_missing_alphabet_file_names_it(tmp_path):
    with pytest.raises(AlphabetError, match=r"nope\.txt"):
        load_alphabet(tmp_path / "nope.txt")


def test_label_starting_with_hash_cannot_be_written():
    with pytest.raises(AlphabetError, match="starts with #"):
        Alphabet(["#a"]).to_text()


def test_bytes_output_mode():
    alphabet = load_alphabet("ignored.txt", bytes_mode=True)
    assert isinstance(alphabet, UTF8Alphabet)
    assert (alphabet.size, alphabet.n_classes, alphabet.blank) == (255, 256, 255)
    assert alphabet.encode(" ") == [31]
    assert alphabet.encode("é") == [0xC3 - 1, 0xA9 - 1]
    assert alphabet.can_encode("任何文字")
    assert alphabet.decode(alphabet.encode("任何 text")) == "任何 text"
    with pytest.raises(AlphabetError):
        alphabet.decode([255])
    serialized = alphabet.serialize()
    assert struct.unpack_from("<H", serialized) == (255,)
    assert serialized[2:7] == struct.pack("<HH", 0, 1) + b"\x01"
    assert len(serialized) == 2 + 255 * 5


def test_decode_rejects_blank_and_out_of_range():
    alphabet = Alphabet(["a", "b"])
    with pytest.raises(AlphabetError, match="outside"):
        alphabet.decode([2])
