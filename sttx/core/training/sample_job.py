"""The main job: `sttx train` without data flags trains briefly on the sample corpus shipped in the package."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

#: the shipped corpus: espeak-ng speech of the shipped sentences (FLAC), a DeepSpeech CSV
SAMPLE_CSV = Path(__file__).resolve().parents[2] / "data" / "sample" / "sample.csv"

#: a short schedule that overfits the sample clips (CER <= 10% on them) in a few minutes on 2 CPU cores;
#: flags the user sets explicitly win over these
SCHEDULE: dict[str, Any] = {
    "n_hidden": 256,
    "epochs": 50,
    "learning_rate": 0.002,
    "train_batch_size": 4,
    "test_batch_size": 8,
    "dropout_rate": 0.0,
    "automatic_mixed_precision": True,
    "checkpoint_secs": 0,
    "report_count": 3,
}

DATA_FLAGS = ("train_files", "dev_files", "test_files")
#: at most this many warm-up steps in the sample job (the schedule has 500 steps in all)
SAMPLE_WARMUP_STEPS = 50

NEXT_STEPS = """\
To train on your own data:
  sttx data check train.csv dev.csv test.csv              # pre-flight check of DeepSpeech CSVs (or SDB, JSONL)
  sttx train --train_files train.csv --dev_files dev.csv --test_files test.csv \\
      --checkpoint_dir runs/mine --epochs 75 --train_batch_size 32 --early_stop
  sttx export --checkpoint_dir runs/mine --export_dir export/   # .tflite for libstt
Corpus importers: sttx import --help"""


def is_sample_job(settings: dict[str, Any]) -> bool:
    """True when no data flag was given."""
    return not any(settings.get(flag) for flag in DATA_FLAGS)


def sample_settings(settings: dict[str, Any], explicit: set[str]) -> dict[str, Any]:
    """``settings`` for the main job: the sample corpus as train and test set, the short schedule, a fresh dir.

    :param explicit: names of the flags the user gave (those keep their values)
    """
    merged = dict(settings)
    merged["train_files"] = merged["test_files"] = (str(SAMPLE_CSV),)
    merged.update({name: value for name, value in SCHEDULE.items() if name not in explicit})
    if "warmup_steps" not in explicit:  # a model's warm-up (the conformer's 500) is sized for corpora, not 40 clips
        merged["warmup_steps"] = min(int(merged.get("warmup_steps", 0)), SAMPLE_WARMUP_STEPS)
    if not (merged.get("checkpoint_dir") or merged.get("save_checkpoint_dir")):
        merged["checkpoint_dir"] = tempfile.mkdtemp(prefix="sttx-sample-")
    return merged
