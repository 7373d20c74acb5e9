"""Data-layer throughput: audio decoding and collection reading, beside the plain-Python way DeepSpeech used.

Run: ``.venv/bin/python bench/data_io.py [--clips 200] [--rows 100000]``. Prints
(a) WAV decode: sttx read_audio vs Python's ``wave`` + numpy (DeepSpeech's pcm_to_np), clips per second;
(b) 22.05 kHz WAV decode + soxr resample to 16 kHz, clips per second (DeepSpeech did not resample at all);
(c) CSV rows per second: sttx read_csv (SampleRefs) vs a bare ``csv.DictReader`` pass;
(d) SDB entries per second: index read and load of WAV and Opus entries.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np


def timed(function: Callable[[], object], repeats: int = 3) -> float:
    """Best wall time of ``repeats`` runs."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def wave_decode(path: Path) -> np.ndarray:
    """DeepSpeech's way: the wave module, int16 divided by the int16 maximum."""
    with wave.open(str(path)) as handle:
        frames = handle.readframes(handle.getnframes())
    return np.frombuffer(frames, dtype=np.int16).astype(np.float32) / 32767


def make_clips(folder: Path, count: int) -> tuple[list[Path], list[Path]]:
    """One espeak-ng sentence at 22.05 kHz and 16 kHz, copied ``count`` times."""
    raw = folder / "raw.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(raw), "speech recognition turns sound into text"], check=True)
    wav16 = folder / "s16.wav"
    subprocess.run(["sox", str(raw), "-r", "16000", "-b", "16", str(wav16)], check=True)
    return [raw] * count, [wav16] * count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, default=200)
    parser.add_argument("--rows", type=int, default=100000)
    args = parser.parse_args()
    from sttx.core.contract.samples import Sample
    from sttx.core.data.audio import read_audio
    from sttx.plugins.formats.csv_format import read_csv
    from sttx.plugins.formats.sdb import read_sdb, write_sdb

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        raw, wav16 = make_clips(folder, args.clips)
        ours = timed(lambda: [read_audio(path) for path in wav16])
        peer = timed(lambda: [wave_decode(path) for path in wav16])
        print(
            f"(a) wav decode: sttx {args.clips / ours:.0f} clips/s, wave+numpy {args.clips / peer:.0f} clips/s, "
            f"ratio {peer / ours:.2f}"
        )
        resampled = timed(lambda: [read_audio(path) for path in raw])
        print(
            f"(b) 22.05 kHz decode + soxr resample: {args.clips / resampled:.0f} clips/s "
            f"({resampled / ours:.2f}x the 16 kHz decode time)"
        )
        table = folder / "big.csv"
        with table.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["wav_filename", "wav_filesize", "transcript"])
            writer.writerows([f"clips/x{i}.wav", 1000 + i, "some transcript text"] for i in range(args.rows))
        ours = timed(lambda: list(read_csv(table)), repeats=2)
        peer = timed(lambda: list(csv.DictReader(table.open(newline=""))), repeats=2)
        print(
            f"(c) csv: sttx {args.rows / ours:.0f} rows/s, bare DictReader {args.rows / peer:.0f} rows/s, "
            f"ratio {peer / ours:.2f}"
        )
        audio = read_audio(wav16[0])
        for audio_type in ("wav", "opus"):
            sdb = folder / f"set_{audio_type}.sdb"
            samples = (Sample(id=str(i), audio=audio, transcript="x") for i in range(args.clips))
            write_sdb(samples, sdb, audio_type=audio_type)
            index = timed(lambda sdb=sdb: list(read_sdb(sdb)))
            refs = list(read_sdb(sdb))
            load = timed(lambda refs=refs: [ref.load() for ref in refs])
            print(f"(d) sdb {audio_type}: index {len(refs) / index:.0f} entries/s, load {len(refs) / load:.0f} clips/s")


if __name__ == "__main__":
    main()
