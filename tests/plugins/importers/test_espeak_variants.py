"""Random espeak-ng speakers: the variant files, the data dir that holds them, and corpora spoken with them."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.plugins.importers.espeak import _espeak, read_sentences, speak, synthesize_corpus
from sttx.plugins.importers.espeak_variants import data_paths_with, random_variant, variant_name, write_variants

TEXT = "The birch canoe slid on the smooth planks."
#: every keyword a generated variant may use, with the number of values it takes
KEYWORDS = {"language": 1, "name": 1, "gender": 1, "pitch": 2, "formant": 4, "voicing": 1, "consonants": 2,
            "roughness": 1, "flutter": 1, "tone": 6, "breath": 8, "breathw": 6, "echo": 2}


def test_variants_are_well_formed_and_differ():
    texts = [random_variant(np.random.default_rng(i), f"v{i}") for i in range(200)]
    assert len(set(texts)) == 200
    for text in texts:
        lines = [line.split() for line in text.splitlines()]
        assert all(KEYWORDS[words[0]] == len(words) - 1 for words in lines), text
        assert [int(words[1]) for words in lines if words[0] == "formant"] == list(range(9))
        pitch = next(words for words in lines if words[0] == "pitch")
        assert 40 <= int(pitch[1]) <= int(pitch[2]) <= 400
    pitches = [int(text.split("pitch ")[1].split()[0]) for text in texts]
    assert min(pitches) < 80 and max(pitches) > 160  # deep and high voices both occur


def test_write_variants_is_deterministic(tmp_path):
    names = write_variants(tmp_path / "a", 3, seed=9)
    assert names == [variant_name(9, i) for i in range(3)] == sorted(p.name for p in (tmp_path / "a").iterdir())
    write_variants(tmp_path / "b", 3, seed=9)
    write_variants(tmp_path / "c", 3, seed=10)
    for name in names:
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()
    assert (tmp_path / "a" / names[0]).read_text().split("\n", 2)[2] != \
        (tmp_path / "c" / variant_name(10, 0)).read_text().split("\n", 2)[2]


def test_generated_variants_are_spoken_and_stock_voices_unchanged(tmp_path):
    names = write_variants(tmp_path, 2, seed=1)
    plain = speak(TEXT, "en-us", 160, 50)[0]
    # without the data dir espeak-ng silently ignores an unknown variant
    assert np.array_equal(speak(TEXT, f"en-us+{names[0]}", 160, 50)[0], plain)
    with data_paths_with([tmp_path / name for name in names], _espeak()) as data_paths:
        first = speak(TEXT, f"en-us+{names[0]}", 160, 50, data_paths[names[0]])[0]
        second = speak(TEXT, f"en-us+{names[1]}", 160, 50, data_paths[names[1]])[0]
        stock = speak(TEXT, "en-us+m7", 160, 50, data_paths[names[0]])[0]
        assert np.array_equal(speak(TEXT, "en-us", 160, 50, data_paths[names[1]])[0], plain)
    assert not np.array_equal(first, plain) and not np.array_equal(first, second)
    assert np.array_equal(stock, speak(TEXT, "en-us+m7", 160, 50)[0])


def test_more_variants_than_espeak_ng_lists_at_once(tmp_path):
    # espeak-ng keeps at most 349 voice files in its list; beyond that voices vanish ("voice does not exist")
    names = write_variants(tmp_path, 300, seed=2)
    with data_paths_with([tmp_path / name for name in names], _espeak()) as data_paths:
        assert len(set(data_paths.values())) > 1
        for name in (names[0], names[-1]):
            for voice in ("en-us", "en-029", "en"):
                assert not np.array_equal(speak(TEXT, f"{voice}+{name}", 160, 50, data_paths[name])[0],
                                          speak(TEXT, voice, 160, 50)[0])


def test_corpus_with_random_variants(tmp_path):
    sentences = read_sentences()
    one = synthesize_corpus(sentences, tmp_path / "a", count=12, voices=["en-us+m3", "en"], seed=3,
                            random_variants=4, jobs=2)
    two = synthesize_corpus(sentences, tmp_path / "b", count=12, voices=["en-us+m3", "en"], seed=3,
                            random_variants=4, jobs=1)
    names = [variant_name(3, i) for i in range(4)]
    assert sorted(p.name for p in (tmp_path / "a" / "variants").iterdir()) == names
    voices = {clip.voice for clip in one.clips}
    possible = {"en-us+m3", "en"} | {f"{lang}+{name}" for lang in ("en-us", "en") for name in names}
    assert voices <= possible and len(voices - {"en-us+m3", "en"}) >= 3
    assert one.clips == two.clips
    for clip in one.clips:
        assert (tmp_path / "a" / clip.path).read_bytes() == (tmp_path / "b" / clip.path).read_bytes()


def test_cli_random_variants(tmp_path, pm):
    result = CliRunner().invoke(build_cli(pm), ["import", "espeak", "--count", "2", "--voices", "en-us",
                                                "--random_variants", "2", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "variants").iterdir()) == [variant_name(0, 0), variant_name(0, 1)]
    result = CliRunner().invoke(build_cli(pm), ["import", "espeak", "--random_variants", "-1", "--out",
                                                str(tmp_path / "x")])
    assert result.exit_code == 2 and "--random_variants" in result.output
