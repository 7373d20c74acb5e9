"""DeepSpeech CSV: reading rules (relative paths, optional wav_filesize, errors naming rows) and the writer."""

from __future__ import annotations

import csv
import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from sttx.core.contract.errors import DataError
from sttx.core.data.audio import read_audio
from sttx.core.data.collections import probe_collection, read_collections
from sttx.plugins.formats.csv_format import read_csv, write_csv


def _write(path, rows, header=("wav_filename", "wav_filesize", "transcript")):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_relative_paths_resolve_against_the_csv_folder(tmp_path, speech_dir):
    one = speech_dir / "one.wav"
    path = _write(
        speech_dir / "set.csv",
        [["one.wav", one.stat().st_size, "the quick brown fox"], [str(speech_dir / "two.wav"), "", "two"]],
    )
    refs = list(read_csv(path))
    assert refs[0].id == str(one)
    assert refs[0].size == one.stat().st_size
    assert refs[1].size == (speech_dir / "two.wav").stat().st_size  # missing wav_filesize: the file's size
    assert refs[0].origin == f"{path} row 1"
    sample = refs[0].load()
    assert sample.transcript == "the quick brown fox"
    np.testing.assert_array_equal(sample.audio, read_audio(one))


def test_wav_filesize_column_is_optional(tmp_path, speech_dir):
    path = _write(tmp_path / "no_size.csv", [[str(speech_dir / "one.wav"), "x"]], header=("wav_filename", "transcript"))
    (ref,) = read_csv(path)
    assert ref.size == (speech_dir / "one.wav").stat().st_size


@pytest.mark.parametrize(
    ("header", "rows", "problem"),
    [
        (("wav_filename", "wav_filesize"), [["a.wav", "1"]], "header: missing column\\(s\\) transcript"),
        (("path", "transcript"), [["a.wav", "x"]], "header: missing column\\(s\\) wav_filename"),
        (
            ("wav_filename", "wav_filesize", "transcript"),
            [["a.wav", "1", "ok"], ["b.wav", "1"]],
            "row 2: no transcript",
        ),
        (("wav_filename", "wav_filesize", "transcript"), [["", "1", "x"]], "row 1: no wav_filename"),
        (("wav_filename", "wav_filesize", "transcript"), [["a.wav", "big", "x"]], "row 1: wav_filesize 'big'"),
    ],
)
def test_malformed_csv_names_file_and_row(tmp_path, header, rows, problem):
    path = _write(tmp_path / "bad.csv", rows, header=header)
    with pytest.raises(DataError, match=problem) as caught:
        list(read_csv(path))
    assert str(path) in str(caught.value)


def test_several_files_comma_separated(tmp_path, speech_dir, pm):
    formats = pm.registries().sample_formats
    first = _write(tmp_path / "a.csv", [[str(speech_dir / "one.wav"), 1, "one"]])
    second = _write(tmp_path / "b.csv", [[str(speech_dir / "two.wav"), 2, "two"]])
    refs = read_collections(f"{first},{second}", formats)
    assert [ref.transcript for ref in refs] == ["one", "two"]
    with pytest.raises(DataError, match=r"missing\.csv: no such"):
        read_collections([str(tmp_path / "missing.csv")], formats)
    with pytest.raises(DataError, match=r"data\.txt: no sample format"):
        read_collections([str(tmp_path / "data.txt")], formats)


def test_refs_pickle_and_load_from_threads(tmp_path, speech_dir):
    path = _write(
        tmp_path / "t.csv", [[str(speech_dir / "one.wav"), 1, "one"], [str(speech_dir / "two.wav"), 1, "two"]]
    )
    refs = pickle.loads(pickle.dumps(list(read_csv(path))))
    expected = [ref.load().audio for ref in refs]
    with ThreadPoolExecutor(4) as pool:
        loaded = list(pool.map(lambda ref: ref.load().audio, refs * 8))
    for index, audio in enumerate(loaded):
        np.testing.assert_array_equal(audio, expected[index % 2])


def test_writer_puts_wavs_beside_the_csv(tmp_path, speech_dir):
    samples = [
        ref.load()
        for ref in read_csv(_write(tmp_path / "in.csv", [[str(speech_dir / "one.wav"), 1, 'a, "quoted" text']]))
    ]
    target = tmp_path / "out" / "set.csv"
    target.parent.mkdir()
    assert write_csv(samples, target) == 1
    with target.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [
        {
            "wav_filename": "set/sample00000000.wav",
            "wav_filesize": str((target.parent / "set" / "sample00000000.wav").stat().st_size),
            "transcript": 'a, "quoted" text',
        }
    ]
    (ref,) = read_csv(target)
    np.testing.assert_array_equal(ref.load().audio, samples[0].audio)
    with pytest.raises(DataError, match="already exists"):
        write_csv(samples, target)
    absolute = tmp_path / "abs.csv"
    write_csv(samples, absolute, absolute_paths=True)
    assert (tmp_path / "abs" / "sample00000000.wav").resolve().as_posix() in absolute.read_text()


def test_a_binary_or_legacy_encoded_csv_names_the_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"wav_filename,wav_filesize,transcript\na.wav,1,caf\xe9\n")
    with pytest.raises(DataError, match=r"latin1\.csv line 2: not UTF-8 text"):
        list(read_csv(path))
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    with pytest.raises(DataError, match=r"binary\.csv line 1: not UTF-8 text"):
        list(read_csv(binary))


def test_probe_reads_only_the_header_and_first_row(tmp_path, speech_dir, pm):
    formats = pm.registries().sample_formats
    good = _write(tmp_path / "ok.csv", [[str(speech_dir / "one.wav"), 1, "one"], ["", 1, "broken row"]])
    probe_collection(good, formats)  # the second row's fault is the reader's to report, row by row
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "empty.csv").write_bytes(b"")
    for name, problem in [("folder.csv", "a folder"), ("empty.csv", "the file is empty"), ("nope.csv", "no such")]:
        with pytest.raises(DataError, match=problem) as caught:
            probe_collection(tmp_path / name, formats)
        assert name in str(caught.value)
