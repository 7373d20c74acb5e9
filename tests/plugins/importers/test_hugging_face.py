"""`sttx import hf` on local datasets in the layouts `datasets` writes (save_to_disk, parquet): nothing downloaded."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import soundfile
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.contract.errors import UsageError
from sttx.core.data.importing import CorpusError, LabelFilter
from sttx.plugins.importers._common import ImportOptions
from sttx.plugins.importers.hugging_face import prepare_hf
from sttx.plugins.validators.en import validate_label_en
from tests.plugins.importers.manifest_trees import RATE, accounted, csv_rows, sample

EN = ImportOptions(label_filter=LabelFilter(validate=validate_label_en), jobs=2)
# the schema metadata datasets 5.2 writes for an Audio column and a string column
FEATURES = {"info": {"features": {"audio": {"_type": "Audio"}, "text": {"dtype": "string", "_type": "Value"}}}}


def _encoded(audio: np.ndarray, rate: int = RATE, file_format: str = "FLAC") -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, audio, rate, format=file_format)
    return buffer.getvalue()


def _table(rows: list[tuple[dict | None, str]], text: str = "text") -> pa.Table:
    audio_type = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    schema = pa.schema([("audio", audio_type), (text, pa.string())],
                       metadata={"huggingface": json.dumps(FEATURES)})
    return pa.table({"audio": [cell for cell, _ in rows], text: [words for _, words in rows]}, schema=schema)


def _save_to_disk(table: pa.Table, folder: Path) -> None:
    """What Dataset.save_to_disk writes (checked against datasets 5.2): an Arrow stream, state.json, info."""
    folder.mkdir(parents=True)
    with pa.OSFile(str(folder / "data-00000-of-00001.arrow"), "wb") as sink, \
            pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=4)
    state = {"_data_files": [{"filename": "data-00000-of-00001.arrow"}], "_fingerprint": "0", "_split": None}
    (folder / "state.json").write_text(json.dumps(state))
    (folder / "dataset_info.json").write_text(json.dumps(FEATURES["info"]))


@pytest.fixture
def dataset(tmp_path: Path) -> dict:
    """A DatasetDict on disk: train has 11 rows (4 good, 7 bad in 5 ways), test 2 good rows."""
    clips = sample(6)
    (tmp_path / "ds" / "files").mkdir(parents=True)
    soundfile.write(tmp_path / "ds" / "files" / "kept.wav", clips[3][0], RATE)
    stereo44 = np.repeat(soundfile.read(io.BytesIO(_encoded(clips[1][0])))[0][:, None], 2, axis=1)
    train = [
        ({"bytes": _encoded(clips[0][0]), "path": "0.flac"}, clips[0][1]),
        ({"bytes": _encoded(stereo44, RATE, "WAV"), "path": "1.wav"}, clips[1][1]),
        ({"bytes": _encoded(clips[2][0], RATE, "OGG"), "path": None}, clips[2][1]),
        ({"bytes": None, "path": "files/kept.wav"}, clips[3][1]),  # not embedded: read from the path
        (None, "no audio at all"),
        ({"bytes": None, "path": "files/gone.wav"}, "the file is gone"),
        ({"bytes": b"RIFF garbage", "path": "bad.wav"}, "garbage bytes"),
        ({"bytes": b"", "path": None}, "zero bytes"),
        ({"bytes": _encoded(clips[0][0]), "path": "x.flac"}, ""),
        ({"bytes": _encoded(clips[0][0]), "path": "y.flac"}, "room 101"),
        ({"bytes": _encoded(clips[0][0][:3200]), "path": "z.flac"}, "far too many words for a fifth of a second"),
    ]
    test = [({"bytes": _encoded(clip), "path": f"t{n}.flac"}, text) for n, (clip, text) in enumerate(clips[4:])]
    _save_to_disk(_table(train), tmp_path / "ds" / "train")
    _save_to_disk(_table(test), tmp_path / "ds" / "test")
    (tmp_path / "ds" / "dataset_dict.json").write_text(json.dumps({"splits": ["train", "test"]}))
    return {"path": tmp_path / "ds", "clips": clips, "train": train, "test": test}


def test_save_to_disk_dataset_every_row_accounted(dataset):
    report = prepare_hf(dataset["path"], options=EN)
    assert report.counts("train")["rows"] == 11 and report.counts("train")["imported"] == 4
    assert report.counts("train")["skipped"] == {"missing_clip": 2, "unreadable_audio": 2, "empty_sentence": 1,
                                                 "invalid_label": 1, "too_short": 1}
    assert report.counts("test") | {"imported_seconds": 0, "total_seconds": 0} == {
        "rows": 2, "imported": 2, "skipped": {}, "imported_seconds": 0, "total_seconds": 0}
    assert accounted(report, ["train", "test"])
    out = dataset["path"] / "sttx_import"
    rows = csv_rows(out / "train.csv")
    assert [row["wav_filename"] for row in rows] == [f"clips/train/{n:07d}.wav" for n in range(4)]
    assert [row["transcript"] for row in rows] == [text for _, text in dataset["clips"][:4]]
    for number, (row, (clip, _)) in enumerate(zip(rows, dataset["clips"], strict=False)):
        audio, rate = soundfile.read(out / row["wav_filename"], dtype="float32")
        assert rate == RATE and len(audio) == len(clip)
        error = np.sqrt(np.mean((audio - clip) ** 2) / np.mean(clip**2))
        assert error < (0.2 if number == 2 else 1e-3), (number, error)  # row 2 went through lossy Ogg Vorbis
    saved = json.loads((out / "import_report.json").read_text(encoding="utf-8"))
    why = {row["line"]: (row["reason"], row["detail"]) for row in saved["skipped"]}
    assert why[4] == ("missing_clip", "the audio cell holds no bytes and no path")
    assert why[5][0] == "missing_clip" and why[5][1].endswith("files/gone.wav")
    assert why[7] == ("unreadable_audio", "empty data (0 bytes)")
    stamps = [(out / row["wav_filename"]).stat().st_mtime_ns for row in rows]
    again = prepare_hf(dataset["path"], splits=["train"], options=EN)
    assert list(again.outcomes) == ["train"] and again.counts("train") == report.counts("train")
    assert [(out / row["wav_filename"]).stat().st_mtime_ns for row in rows] == stamps  # resumed


def test_parquet_files_through_the_cli(dataset, tmp_path, pm):
    data = tmp_path / "hub" / "data"
    data.mkdir(parents=True)
    shutil.copytree(dataset["path"] / "files", tmp_path / "hub" / "files")  # relative paths start at the dataset
    pq.write_table(_table(dataset["train"][:4], text="sentence"), data / "train-00000-of-00002.parquet")
    pq.write_table(_table(dataset["train"][4:6], text="sentence"), data / "train-00001-of-00002.parquet")
    pq.write_table(_table(dataset["test"], text="sentence"), data / "test-00000-of-00001.parquet")
    result = CliRunner().invoke(build_cli(pm), ["import", "hf", str(tmp_path / "hub"), "--split", "train",
                                                "--out_dir", str(tmp_path / "out"), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "train: Imported 4 samples" in result.output and "Skipped 2 samples that have no audio file" in result.output
    assert [row["transcript"] for row in csv_rows(tmp_path / "out" / "train.csv")] == [
        text for _, text in dataset["clips"][:4]]
    assert not (tmp_path / "out" / "test.csv").exists()


def test_decoded_arrays_are_read_too(tmp_path):
    clip, text = sample(1)[0]
    table = pa.table({"audio": [{"array": clip.tolist(), "sampling_rate": RATE}], "text": [text]})
    pq.write_table(table, tmp_path / "decoded.parquet")
    report = prepare_hf(tmp_path / "decoded.parquet", options=EN)
    assert report.counts("decoded")["imported"] == 1


def test_names_that_are_not_local_and_bad_datasets_are_one_line_errors(dataset, pm, tmp_path):
    result = CliRunner().invoke(build_cli(pm), ["import", "hf", "openslr/librispeech_asr"])
    assert result.exit_code == 2 and "sttx reads local copies only and downloads nothing" in result.output
    with pytest.raises(UsageError, match="no such local path"):
        prepare_hf(tmp_path / "nothing-here")
    result = CliRunner().invoke(build_cli(pm), ["import", "hf", str(dataset["path"]), "--text_column", "words"])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "data-00000-of-00001.arrow: no column 'words' (it has audio, text); name one with --text_column" in (
        result.output)
    with pytest.raises(CorpusError, match="no split dev; it has train, test"):
        prepare_hf(dataset["path"], splits=["dev"])
    (dataset["path"] / "test" / "data-00000-of-00001.arrow").write_bytes(b"not arrow at all")
    with pytest.raises(CorpusError, match=r"test/data-00000-of-00001\.arrow: cannot read"):
        prepare_hf(dataset["path"], splits=["test"])
    (dataset["path"] / "test" / "state.json").unlink()
    with pytest.raises(CorpusError, match=r"test/state\.json: cannot read"):
        prepare_hf(dataset["path"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="no Hugging Face dataset"):
        prepare_hf(tmp_path / "empty")
