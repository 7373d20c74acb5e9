"""Scaling overhead: training samples/s of 2 replicas against 1 device at the same global batch.

Run: ``nice .venv/bin/python bench/scale.py [--model deepspeech|conformer] [--n_hidden 512] [--global_batch 8]
[--epochs 3] [--rounds 2] [sttx train flags...]``

Three ``sttx train`` runs on the shipped sample corpus (each clip --copies times per epoch, 8 by default), the
global batch the same in all:
  one       OneDeviceStrategy, batch G
  mirrored  MirroredStrategy over 2 logical CPU devices (--cpu_devices 2), G/2 per replica
  2 workers MultiWorkerMirroredStrategy, 2 processes on 127.0.0.1 (TF_CONFIG), G/2 each, each process with
            half the cores (--intra_op_parallelism_threads), as each worker would have its own host's
The figure of a run is the mean samples/s of its epochs after the first (tracing and start-up excluded), as the
run's own epoch lines report it. The three runs are repeated in rounds (--rounds) and each ratio is taken within
its round, then the median: the load of a shared machine drifts between runs. All replicas share this
machine's cores, so the ratio measures what distribution costs (splitting, all-reduce, synchronisation), not a
speed-up: targets are >= 0.9x (mirrored) and >= 0.8x (2 workers).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RATE = re.compile(r"^Epoch (\d+) \|.* ([\d.]+) samples/s")


def command(args: argparse.Namespace, directory: Path, extra: list[str], batch: int) -> list[str]:
    from sttx.core.training.sample_job import SAMPLE_CSV

    geometry = ["--n_hidden", str(args.n_hidden)] if args.model == "deepspeech" else []
    return [sys.executable, "-m", "sttx", "train", "--train_files", str(SAMPLE_CSV), "--checkpoint_dir",
            str(directory), "--model", args.model, *geometry, "--epochs", str(args.epochs), "--train_batch_size",
            str(batch), "--augmentations_per_epoch", str(args.copies), "--dropout_rate", "0", "--checkpoint_secs", "0",
            "--show_progressbar", "false", "--log_level", "2", *args.train_flags, *extra]


def rate(output: str) -> float:
    """Mean samples/s over the epochs after the first."""
    rates = [float(m.group(2)) for line in output.splitlines() if (m := RATE.match(line)) and int(m.group(1)) > 1]
    if not rates:
        raise SystemExit(f"no epoch line after the first in:\n{output[-2000:]}")
    return sum(rates) / len(rates)


def run(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.Popen(cmd, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def finished(process: subprocess.Popen[str]) -> str:
    output, _ = process.communicate()
    if process.returncode:
        raise SystemExit(f"a run failed ({process.returncode}):\n{output[-3000:]}")
    return output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def two_workers(args: argparse.Namespace, directory: Path) -> float:
    cluster = {"worker": [f"127.0.0.1:{free_port()}" for _ in range(2)]}
    # two processes on one machine split its cores, as one worker per host would have its own
    threads = ["--intra_op_parallelism_threads", str(max(1, (os.cpu_count() or 2) // 2))]
    processes = [run(command(args, directory, ["--strategy", "multi_worker", *threads], args.global_batch // 2),
                     {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})})
                 for i in range(2)]
    outputs = [finished(process) for process in processes]
    return rate(outputs[0])


def one_round(args: argparse.Namespace, root: Path) -> tuple[float, float, float]:
    """samples/s of one device, mirrored and 2 workers, run back to back (the load of a shared machine drifts)."""
    g = args.global_batch
    one = rate(finished(run(command(args, root / "one", ["--strategy", "one"], g))))
    mirrored = rate(finished(run(command(args, root / "mirrored", ["--strategy", "mirrored", "--cpu_devices", "2"],
                                         g // 2))))
    workers = two_workers(args, root / "workers")
    print(f"  one device x {g}: {one:.2f}, mirrored 2 x {g // 2}: {mirrored:.2f} ({mirrored / one:.2f}x), "
          f"2 workers x {g // 2}: {workers:.2f} ({workers / one:.2f}x) samples/s", flush=True)
    return one, mirrored, workers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="deepspeech", choices=["deepspeech", "conformer"],
                        help="the model trained (the conformer at its default size, xs)")
    parser.add_argument("--n_hidden", type=int, default=512, help="the deepspeech model's width")
    parser.add_argument("--global_batch", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--copies", type=int, default=8,
                        help="each clip this many times per epoch (--augmentations_per_epoch): epochs long enough "
                             "that a step's cost, not the epoch's start, sets the rate")
    args, args.train_flags = parser.parse_known_args()  # the rest goes to every `sttx train`, e.g. --dropout_rate
    rounds = []
    for number in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="sttx-scale-") as tmp:
            print(f"round {number + 1}:", flush=True)
            rounds.append(one_round(args, Path(tmp)))
    one, mirrored, workers = (statistics.median(column) for column in zip(*rounds, strict=True))
    print(f"medians: one device {one:.2f} samples/s; mirrored over 2 logical CPUs {mirrored:.2f} = "
          f"{statistics.median(r[1] / r[0] for r in rounds):.2f}x (target >= 0.9x); 2 worker processes "
          f"{workers:.2f} = {statistics.median(r[2] / r[0] for r in rounds):.2f}x (target >= 0.8x)")
    model = f"deepspeech n_hidden {args.n_hidden}" if args.model == "deepspeech" else "conformer xs"
    flags = " ".join(args.train_flags)
    print(f"{model} {flags}, global batch {args.global_batch}, {args.epochs} epochs of the sample corpus "
          f"{args.copies} times over, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
