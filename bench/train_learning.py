"""Benchmark (c), learning: train on a synthesized corpus for a wall-time budget, then score unseen voices + sentences.

Run through ``bench/train.py --part c [--minutes 20] [--workdir DIR] [--train_clips N] [--model deepspeech|conformer|
both] [extra sttx train flags]`` (bench/train_models.py holds each model's flags and the comparison table).

The corpus comes from the espeak importer: the shipped sentences are shuffled once and split 500 / 100, and the
voices are split too. ``--split speakers`` (the default) holds out six voice variants (espeak-ng's speaker timbres:
pitch, formants, breath, voicing) so no dev voice, and no dev speaker in any accent, is heard in training, while
the accents are shared, as in a corpus split by speaker; ``--split accents`` also holds out the dev voices'
three accents (the stricter split of the first runs). Half the training clips (``--mixed_sentences``) say new
sentences strung from fragments of the 500 training sentences with a quarter of their words invented
(bench/mixed_text.py): nothing in them comes from the dev sentences. ``sttx train`` runs as a user would run it,
with a dev set every epoch and ``--epochs`` sized to the budget for its learning-rate schedule; should the budget
run out first, it gets SIGINT (Ctrl-C), which ends the run cleanly and checkpoints it. The last checkpoint, the
model as the budget left it, is then evaluated on the dev set and on part of the training set (the gap shows
memorisation); the best-dev checkpoint's dev figures are printed beside it. Extra arguments after the known ones
go to ``sttx train`` and override the defaults below.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

#: accents of the training voices; "en" is espeak-ng's British English voice file (before sttx resolved the
#: language name, "en-gb+<variant>" silently dropped the variant)
TRAIN_BASES = ("en-us", "en", "en-gb-x-rp", "en-029", "en-gb-x-gbclan")
#: their variants never occur in training; their accents only with ``--split accents``
DEV_VOICES = ("en-gb-scotland+f3", "en-us-nyc+m5", "en-gb-x-gbcwmd+m7", "en-gb-scotland+Alicia", "en-us-nyc+david",
              "en-gb-x-gbcwmd+f5")
#: every voice variant espeak-ng 1.51 ships except the six held out for dev: speaker variety is what carries a model
#: to unseen voices, as with human speech
ESPEAK_VARIANTS = (
    "Alex", "Alicia", "Andrea", "Andy", "Annie", "AnxiousAndy", "Demonic", "Denis", "Diogo", "Gene", "Gene2",
    "Henrique", "Hugo", "Jacky", "Lee", "Marco", "Mario", "Michael", "Mike", "Mr serious", "Nguyen", "RicishayMax",
    "RicishayMax2", "RicishayMax3", "Storm", "Tweaky", "UniRobot", "adam", "anika", "anikaRobot", "announcer",
    "antonio", "aunty", "belinda", "benjamin", "boris", "caleb", "croak", "david", "ed", "edward", "edward2", "f1",
    "f2", "f3", "f4", "f5", "fast", "grandma", "grandpa", "gustave", "iven", "iven2", "iven3", "iven4", "john",
    "kaukovalta", "klatt", "klatt2", "klatt3", "klatt4", "klatt5", "klatt6", "linda", "m1", "m2", "m3", "m4", "m5",
    "m6", "m7", "m8", "marcelo", "max", "michel", "miguel", "norbert", "pablo", "paul", "pedro", "quincy", "rob",
    "robert", "robosoft", "robosoft2", "robosoft3", "robosoft4", "robosoft5", "robosoft6", "robosoft7", "robosoft8",
    "sandro", "shelby", "steph", "steph2", "steph3", "travis", "victor", "whisper", "whisperf", "zac",
)
TRAIN_VARIANTS = tuple(v for v in ESPEAK_VARIANTS if v not in {voice.split("+")[1] for voice in DEV_VOICES})
DEV_BASES = tuple(dict.fromkeys(voice.split("+")[0] for voice in DEV_VOICES))


def train_voices(split: str) -> tuple[str, ...]:
    """Every training accent with every training variant; ``speakers`` adds the dev accents' other variants."""
    bases = TRAIN_BASES + (DEV_BASES if split == "speakers" else ())
    return tuple(f"{base}+{variant}" for base in bases for variant in TRAIN_VARIANTS)


DEV_SENTENCES = 100
BASELINE_CER, BASELINE_WER, TARGET_CER = 0.27, 0.71, 0.20

#: what sttx offers against memorisation, as `sttx train` flags; extra command-line arguments override them.
#: Only the cheap spectrogram masks: with 1,000 random speakers and mixed sentences the corpus itself varies
#: voice, speed and text, and the signal augmentations (pitch, tempo, reverb, noise) cost 2 cores 15% of their
#: steps, so all 4 epochs fit the budget. Strengths are fixed: with --epochs sized to the budget a start:end
#: range would harden over this short run.
TRAIN_FLAGS = [
    "--n_hidden", "512", "--train_batch_size", "16", "--dev_batch_size", "32", "--learning_rate", "0.001",
    "--dropout_rate", "0.05", "--automatic_mixed_precision", "--layer_norm",
    "--lr_schedule", "linear", "--lr_hold_ratio", "0.7",
    "--augment", "frequency_mask[p=0.5,n=1,size=1]", "--augment", "time_mask[p=0.5,n=1,size=20]",
    "--show_progressbar", "false",
]


def make_corpus(workdir: Path, train_clips: int, dev_clips: int, voices: tuple[str, ...],
                seed: int = 7, random_variants: int = 0, mixed: int = 0) -> tuple[Path, Path, float]:
    """(train.csv, dev.csv, synthesis seconds): disjoint sentences and voices; reused when already there.

    ``random_variants`` random speakers join the training voices in each of their accents; ``mixed`` of the
    training clips say new sentences made from the training sentences (bench/mixed_text.py)."""
    from mixed_text import mixed_sentences

    from sttx.plugins.importers.espeak import read_sentences, synthesize_corpus

    train_csv, dev_csv = workdir / "train" / "train.csv", workdir / "dev" / "dev.csv"
    if train_csv.is_file() and dev_csv.is_file():
        return train_csv, dev_csv, 0.0
    sentences = read_sentences()
    order = np.random.default_rng(seed).permutation(len(sentences))
    dev_sentences = [sentences[i] for i in order[:DEV_SENTENCES]]
    train_sentences = [sentences[i] for i in order[DEV_SENTENCES:]]
    if mixed:  # each listed sentence is said once: the originals share the clips that are not mixed
        originals = train_clips - mixed
        train_sentences = ((train_sentences * (originals // len(train_sentences) + 1))[:originals]
                           + mixed_sentences(train_sentences, mixed, seed))
    started = time.perf_counter()
    synthesize_corpus(train_sentences, train_csv.parent, count=train_clips, voices=voices, seed=seed,
                      speed=(120, 210), pitch=(20, 80), csv_name=train_csv.name, jobs=os.cpu_count() or 2,
                      random_variants=random_variants)
    synthesize_corpus(dev_sentences, dev_csv.parent, count=dev_clips, voices=DEV_VOICES, seed=seed + 1,
                      speed=(140, 190), pitch=(30, 70), csv_name=dev_csv.name, jobs=os.cpu_count() or 2)
    return train_csv, dev_csv, time.perf_counter() - started


def train_for(minutes: float, command: list[str], log_path: Path) -> float:
    """Run ``command`` for at most ``minutes`` of wall time, then Ctrl-C it; returns the seconds it ran."""
    started = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            process.wait(timeout=minutes * 60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=300)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    if process.returncode not in (0, -signal.SIGINT, 130):
        print(f"  sttx train exited with {process.returncode}; see {log_path}", file=sys.stderr)
    return time.perf_counter() - started


def score(csv: Path, checkpoint_dir: Path, limit: int = 0, load: str = "last") -> Any:
    """EvaluationResult on ``csv`` (its ``limit`` shortest samples) of the newest train checkpoint (``last``: the
    model when the budget ran out) or of the best-dev one (``best``)."""
    from sttx.core.contract.plugins import get_plugin_manager
    from sttx.core.training.evaluate_checkpoint import EvaluateConfig, evaluate_checkpoint

    config = EvaluateConfig(test_files=(str(csv),), checkpoint_dir=str(checkpoint_dir), test_batch_size=32,
                            limit_test=limit, report_count=3, show_progressbar=False, load_evaluate=load)
    return evaluate_checkpoint(config, get_plugin_manager().registries())


def epochs_done(checkpoint_dir: Path) -> Any:
    """The epoch count of the newest checkpoint's loop state (None when unknown)."""
    from sttx.core.training import checkpoints

    latest = checkpoints.latest(checkpoint_dir)
    return checkpoints.read_state(latest).get("loop", {}).get("epoch") if latest else None


def corpus_hours(csv: Path) -> float:
    """Hours of audio listed in a collection (from the files' headers)."""
    import soundfile

    rows = csv.read_text(encoding="utf-8").splitlines()[1:]
    return sum(soundfile.info(str(csv.parent / row.split(",", 1)[0])).duration for row in rows) / 3600


def part_c(args: argparse.Namespace, extra: list[str]) -> None:
    """Synthesize (untimed), train for the budget, evaluate; print figures and the ratio to the target."""
    import tempfile

    from train_models import MODELS, print_table

    parser = argparse.ArgumentParser(prog="bench/train.py --part c")
    parser.add_argument("--train_clips", type=int, default=12000)
    parser.add_argument("--dev_clips", type=int, default=300)
    parser.add_argument("--split", choices=["speakers", "accents"], default="speakers",
                        help="hold out the dev voices' variants (speakers) or their accents too (accents)")
    parser.add_argument("--random_variants", type=int, default=1000,
                        help="random espeak-ng speakers that join the training voices, each in every accent")
    parser.add_argument("--mixed_sentences", type=int, default=None,
                        help="training clips that say new sentences of the training sentences' fragments and "
                             "invented words (bench/mixed_text.py) [default: half of --train_clips]")
    parser.add_argument("--model", choices=[*MODELS, "both"], default="deepspeech",
                        help="the model trained; both: one after the other, same corpus, budget and dev set")
    known, train_extra = parser.parse_known_args(extra)
    if known.mixed_sentences is None:
        known.mixed_sentences = known.train_clips // 2
    if not 0 <= known.mixed_sentences <= known.train_clips:
        parser.error(f"--mixed_sentences {known.mixed_sentences}: expected 0 to --train_clips ({known.train_clips})")
    if args.n_hidden != 2048 and known.model == "deepspeech":  # bench/train.py's --n_hidden (a, b) applies too
        train_extra = ["--n_hidden", str(args.n_hidden), *train_extra]
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="sttx-bench-c-"))
    voices = train_voices(known.split)
    train_csv, dev_csv, synth = make_corpus(workdir, known.train_clips, known.dev_clips, voices,
                                             random_variants=known.random_variants, mixed=known.mixed_sentences)
    unseen = "variants" if known.split == "speakers" else "variants and accents"
    speakers = f"{len(voices)} voices" + (f" + {known.random_variants} random speakers in each of their accents"
                                          if known.random_variants else "")
    speakers += f", {known.mixed_sentences} of mixed sentences" if known.mixed_sentences else ""
    print(f"(c) learning: {known.train_clips} train clips ({corpus_hours(train_csv):.2f} h, {speakers}), "
          f"{known.dev_clips} dev clips ({len(DEV_VOICES)} voices of unseen {unseen}, {DEV_SENTENCES} "
          f"unseen sentences) in {workdir} (synthesis {synth:.0f} s, untimed)")
    results = {}
    for model in (MODELS if known.model == "both" else (known.model,)):
        results[model] = train_and_score(model, args, known, train_extra, workdir, train_csv, dev_csv)
    if len(results) > 1:
        print(f"(c) models compared on the same corpus, dev set and {args.minutes:g}-minute budget each:")
        print_table(results)


def train_and_score(model: str, args: argparse.Namespace, known: argparse.Namespace, train_extra: list[str],
                    workdir: Path, train_csv: Path, dev_csv: Path) -> dict[str, Any]:
    """Train ``model`` for the budget, print its figures, and return them for the comparison table."""
    from train_models import flops_per_second, model_flags, planned_epochs, read_log

    from sttx.core.evaluation.evaluator import format_report

    suffix = "" if model == "deepspeech" else f"-{model}"  # deepspeech keeps the paths of earlier runs
    checkpoint_dir, log_path = workdir / f"checkpoints{suffix}", workdir / f"train{suffix}.log"
    if checkpoint_dir.exists() and any(checkpoint_dir.iterdir()):  # sttx train would resume it, not start afresh
        raise SystemExit(f"{checkpoint_dir} holds an earlier run's checkpoints: move it away, the bench trains from "
                         "scratch")
    flags = model_flags(model, TRAIN_FLAGS)
    epochs = planned_epochs(model, args.minutes, known.train_clips, known.dev_clips)
    command = [sys.executable, "-m", "sttx", "train", "--train_files", str(train_csv), "--dev_files", str(dev_csv),
               "--checkpoint_dir", str(checkpoint_dir), *flags, "--epochs", str(epochs), *train_extra]
    print("  " + " ".join(command[2:]), flush=True)
    seconds = train_for(args.minutes, command, log_path)
    print(f"  trained {seconds / 60:.1f} min of wall time, {epochs_done(checkpoint_dir)} epochs; log {log_path}")
    # the figure is the model as the budget left it: no choice among checkpoints by their score on this dev set
    dev = score(dev_csv, checkpoint_dir)
    train = score(train_csv, checkpoint_dir, limit=known.dev_clips)
    print(format_report(dev))
    print(f"  dev (unseen voices and sentences): CER {dev.cer:.1%}, WER {dev.wer:.1%}; "
          f"train subset: CER {train.cer:.1%}, WER {train.wer:.1%}")
    if any(checkpoint_dir.glob("best_dev-*")):
        best = score(dev_csv, checkpoint_dir, load="best")
        print(f"  (the best-dev checkpoint, which sttx would test with: dev CER {best.cer:.1%}, WER {best.wer:.1%})")
    print(f"  ratio dev CER / target = {dev.cer / TARGET_CER:.2f} (<= 1 meets CER <= {TARGET_CER:.0%}); "
          f"baseline CER {BASELINE_CER:.0%} WER {BASELINE_WER:.0%} -> x{BASELINE_CER / max(dev.cer, 1e-9):.2f}")
    return {**read_log(log_path), "flops": flops_per_second(model, [*flags, *train_extra]), "cer": dev.cer,
            "wer": dev.wer}
