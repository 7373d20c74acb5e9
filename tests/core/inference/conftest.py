"""A model trained on clips of the shipped sample corpus, once per session, for tests whose transcripts must mean
something."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from sttx.core.training.sample_job import SAMPLE_CSV

#: the main job's schedule (sttx/core/training/sample_job.py), here over 48 files of 8 sentences
SCHEDULE = ["--n_hidden", "256", "--epochs", "50", "--learning_rate", "0.002", "--train_batch_size", "4",
            "--dropout_rate", "0", "--automatic_mixed_precision", "--checkpoint_secs", "0", "--noshow_progressbar"]
#: the model learns the first this many sample clips
TRAINED_CLIPS = 8
STEP = 320  # samples between MFCC frames (20 ms)


def sample_rows() -> list[dict[str, str]]:
    """The sample corpus's rows, ``wav_filename`` made absolute."""
    with SAMPLE_CSV.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [{**row, "wav_filename": str(SAMPLE_CSV.parent / row["wav_filename"])} for row in rows]


def write_padded_corpus(folder: Path, clips: int = TRAINED_CLIPS, copies: int = 6, seed: int = 0) -> Path:
    """The first ``clips`` sample clips, each as is and ``copies - 1`` times with 0-0.8 s of silence before and
    after, as a DeepSpeech CSV.

    espeak-ng clips start at their first phoneme; a model overfit on them alone reads ``ta`` for any word that
    follows silence, so it could not tell a segmenter that keeps pauses from one that loses speech. Real corpora
    (Common Voice, LibriSpeech) have pauses around their utterances too. The silence before a clip is a whole
    number of 20 ms feature steps: a model this small, fit on so few clips, also misreads a clip shifted by part
    of a step, which says nothing about where the segments start (sttx starts them on the feature grid).
    """
    from sttx.core.data.audio import read_audio, write_audio

    rng = np.random.default_rng(seed)
    lines = ["wav_filename,wav_filesize,transcript"]
    for index, row in enumerate(sample_rows()[:clips]):
        audio = read_audio(row["wav_filename"])
        for copy in range(copies):
            lead, trail = (STEP * int(rng.integers(0, 40)), int(rng.integers(0, 12800))) if copy else (0, 0)
            path = folder / f"{index:04d}-{copy}.wav"
            write_audio(path, np.concatenate([np.zeros(lead, np.float32), audio, np.zeros(trail, np.float32)]), 16000)
            lines.append(f"{path},{path.stat().st_size},{row['transcript']}")
    table = folder / "padded.csv"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return table


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint dir trained by `sttx train` on the padded sample clips (2-4 minutes on 2 shared cores)."""
    from click.testing import CliRunner

    from sttx.cli import build_cli
    from sttx.core.contract.plugins import get_plugin_manager

    folder = tmp_path_factory.mktemp("trained")
    table = write_padded_corpus(folder)
    command = ["train", "--train_files", str(table), "--checkpoint_dir", str(folder / "ckpt"), *SCHEDULE]
    result = CliRunner().invoke(build_cli(get_plugin_manager(load_entrypoints=False)), command)
    assert result.exit_code == 0, result.output[-2000:] + repr(result.exception)
    return folder / "ckpt"
