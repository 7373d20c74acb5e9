"""Benchmark (c) per model: each model's `sttx train` flags, its FLOPs per audio second, and the per-epoch table.

``bench/train.py --part c --model deepspeech|conformer|both``: with ``both`` the two models train one after the
other on the same corpus, with the same wall-time budget each and the same dev set, and a table compares them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

MODELS = ("deepspeech", "conformer")
#: the conformer trains with its plugin's defaults (optimiser, schedule, SpecAugment); the bench adds only what
#: bench (c) fixes for every model: dev batch, bfloat16, no progress bars
CONFORMER_FLAGS = ["--model", "conformer", "--dev_batch_size", "32", "--automatic_mixed_precision",
                   "--show_progressbar", "false"]
#: seconds an epoch of 12000 clips takes on 2 cores, so --epochs sizes the learning-rate schedule to the budget
#: (deepspeech: 300 measured on the shared machine, kept so its (c) run stays the one in docs/benchmarks.md;
#: 205-265 on a quiet one; conformer xs at batch 8: 232-237 once epoch ends no longer stalled, see
#: batching.prefetched; 200-208 without dropout, its default since)
EPOCH_SECONDS = {"deepspeech": 300, "conformer": 203}
#: seconds of each epoch's evaluation of 300 dev clips, which a small training set does not dilute (deepspeech: 0,
#: so that its runs in docs/benchmarks.md keep their schedules)
DEV_SECONDS = {"deepspeech": 0.0, "conformer": 4.0}


def planned_epochs(model: str, minutes: float, train_clips: int, dev_clips: int) -> int:
    """The epochs that fill ``minutes`` of wall time: what --epochs sizes the learning-rate schedule by."""
    epoch = EPOCH_SECONDS[model] * train_clips / 12000 + DEV_SECONDS[model] * dev_clips / 300
    return max(1, round(minutes * 60 / epoch))
CLIP_SECONDS = 3.0  # the corpus' typical clip: attention cost grows with it

_EPOCH = re.compile(r"Epoch (\d+) \|.*?dev loss [\d.]+ WER ([\d.]+) CER ([\d.]+).*?\| ([\d.]+) samples/s")
_PARAMETERS = re.compile(r"model, ([\d,]+) parameters")


def deepspeech_flops(n_hidden: int, n_classes: int = 29) -> float:
    """Forward FLOPs of one audio second (50 MFCC frames): 2 x the multiply-adds of every layer and the LSTM."""
    from sttx.plugins.models.deepspeech import N_WINDOW

    n = n_hidden
    per_frame = N_WINDOW * n + 3 * n * n + 8 * n * n + n * n_classes
    return 2.0 * 50 * per_frame


def conformer_flops(dim: int, layers: int, kernel: int, clip_seconds: float = CLIP_SECONDS,
                    n_classes: int = 29) -> float:
    """Forward FLOPs of one audio second (100 log-mel frames, 25 after subsampling) in a clip of ``clip_seconds``
    (the attention's share grows with the clip)."""
    d, channels, frames = dim, dim // 2, 25
    subsampling = 50 * 40 * channels * 9 + frames * 20 * channels * channels * 9 + frames * channels * 20 * d
    positions = 2 * frames * clip_seconds  # relative positions per utterance, per second of it
    attention = frames * 4 * d * d + positions * d * d / clip_seconds + 3 * frames * (frames * clip_seconds) * d
    block = frames * (16 * d * d + 3 * d * d + kernel * d) + attention
    return 2.0 * (subsampling + layers * block + frames * d * n_classes)


def model_flags(model: str, deepspeech_flags: list[str]) -> list[str]:
    """The `sttx train` flags bench (c) gives ``model``."""
    return list(deepspeech_flags) if model == "deepspeech" else list(CONFORMER_FLAGS)


def flops_per_second(model: str, flags: list[str]) -> float:
    """FLOPs per audio second of the geometry the flags choose."""
    def flag(name: str, default: str) -> str:
        return flags[flags.index(name) + 1] if name in flags else default

    if model == "deepspeech":
        return deepspeech_flops(int(flag("--n_hidden", "2048")))
    from sttx.plugins.models.conformer import PRESETS

    preset = PRESETS[flag("--model_size", "xs")]
    return conformer_flops(int(flag("--conformer_dim", str(preset.dim))),
                           int(flag("--conformer_layers", str(preset.layers))),
                           int(flag("--conformer_kernel", str(preset.kernel))))


def read_log(path: Path) -> dict[str, Any]:
    """Parameters and per-epoch (epoch, dev WER, dev CER, samples/s) of a `sttx train` log."""
    text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    found = _PARAMETERS.search(text)
    epochs = [(int(e), float(w), float(c), float(r)) for e, w, c, r in _EPOCH.findall(text)]
    return {"parameters": int(found.group(1).replace(",", "")) if found else 0, "epochs": epochs}


def print_table(results: dict[str, dict[str, Any]]) -> None:
    """One block per model: parameters, FLOPs, samples/s, then dev CER/WER per epoch."""
    for model, result in results.items():
        rates = [rate for *_, rate in result["epochs"]]
        rate = f"{sum(rates) / len(rates):.1f}" if rates else "-"
        print(f"  {model}: {result['parameters']:,} parameters, {result['flops'] / 1e9:.2f} GFLOP per audio second "
              f"(forward), {rate} samples/s; final dev CER {result['cer']:.1%} WER {result['wer']:.1%}")
        for epoch, wer, cer, samples in result["epochs"]:
            print(f"    epoch {epoch}: dev CER {cer:.1%} WER {wer:.1%} ({samples:.1f} samples/s)")
