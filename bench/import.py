"""Benchmark: Common Voice mp3 -> 16 kHz wav, in-process (libsndfile + soxr) vs a sox subprocess per clip; and
whole importers (cv, ljspeech, tedlium) on the same audio.

    .venv/bin/python bench/import.py [--clips 80] [--jobs 1,2] [--part convert] [--part importers]

Synthesizes a Common Voice layout with espeak-ng (48 kHz mp3, as Common Voice ships). Part "convert" converts
the same clips both ways with each worker count and prints clips/s, audio-seconds/s (x real time) and the ratio;
the sox way is what DeepSpeech's import_cv2 did (pysox Transformer: one sox process per clip). Part "importers"
lays the same audio out as LJSpeech (22.05 kHz wav) and TED-LIUM (16 kHz SPHERE talks cut by STM segments) and
times each importer end to end (listing, conversion, judging, CSVs) on --importer_jobs workers.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from import_layouts import IMPORTERS, run_importers  # bench/import_layouts.py, beside this script

from sttx.plugins.importers._common import convert_all
from sttx.plugins.importers.espeak import read_sentences, synthesize_corpus


def sox_one(job: tuple[str, str]) -> None:
    source, target = job
    subprocess.run(["sox", source, "-r", "16000", "-c", "1", "-b", "16", target], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children (sox processes, pool workers): robust to a busy host."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(run, sources: list[Path], out: Path, jobs: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run."""
    cpu = cpu_seconds()
    wall = run(sources, out, jobs)
    return wall, cpu_seconds() - cpu


def run_sox(sources: list[Path], out: Path, jobs: int) -> float:
    out.mkdir(parents=True)
    work = [(str(src), str(out / (src.stem + ".wav"))) for src in sources]
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:  # threads only wait on the sox processes
        list(pool.map(sox_one, work))
    return time.perf_counter() - start


def run_inprocess(sources: list[Path], out: Path, jobs: int) -> float:
    out.mkdir(parents=True)
    work = [(str(src), str(out / (src.stem + ".wav")), 16000) for src in sources]
    start = time.perf_counter()
    results = convert_all(work, jobs, show=False)  # includes starting the worker processes
    elapsed = time.perf_counter() - start
    failed = [r.error for r in results if r.output is None]
    if failed:
        raise SystemExit(f"in-process conversion failed: {failed[:3]}")
    return elapsed


def compare_conversion(sources: list[Path], root: Path, audio: float, jobs_list: str, repeat: int) -> None:
    print(f"{'jobs':>4}  {'way':<22} {'clips/s':>8} {'audio s/s':>10} {'CPU ms/clip':>12}")
    for jobs in (int(j) for j in jobs_list.split(",")):
        walls = {}
        for way, run in (("sox subprocess/clip", run_sox), ("in-process sf+soxr", run_inprocess)):
            runs = [measure(run, sources, root / f"{way[:3]}-{jobs}-{n}", jobs) for n in range(repeat)]
            wall, cpu = min(runs)
            walls[way] = wall
            print(f"{jobs:>4}  {way:<22} {len(sources) / wall:>8.1f} {audio / wall:>9.0f}x "
                  f"{1000 * cpu / len(sources):>12.1f}")
        ratio = walls["sox subprocess/clip"] / walls["in-process sf+soxr"]
        print(f"{jobs:>4}  ratio in-process / sox (wall clock): {ratio:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=80)
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument("--repeat", type=int, default=2, help="best of N runs per configuration")
    parser.add_argument("--part", action="append", choices=["convert", "importers"],
                        help="what to measure (repeatable) [default: both]")
    parser.add_argument("--importers", default=",".join(IMPORTERS), help="importers timed by part 'importers'")
    parser.add_argument("--importer_jobs", type=int, default=2, help="workers for part 'importers'")
    args = parser.parse_args()
    parts = args.part or ["convert", "importers"]
    if "convert" in parts and shutil.which("sox") is None:
        raise SystemExit("sox is not installed")
    with tempfile.TemporaryDirectory(prefix="sttx-bench-import-") as tmp:
        root = Path(tmp)
        report = synthesize_corpus(read_sentences(), root / "cv", count=args.clips, seed=1, layout="cv",
                                   sample_rate=48000, jobs=2)
        sources = [root / "cv" / clip.path for clip in report.clips]
        audio = report.duration
        print(f"{len(sources)} Common Voice style clips, 48 kHz mp3, {audio:.1f} s of audio")
        if "convert" in parts:
            compare_conversion(sources, root, audio, args.jobs, args.repeat)
        if "importers" in parts:
            run_importers(report, root, args.importers.split(","), args.importer_jobs, args.repeat)


if __name__ == "__main__":
    main()
