"""Benchmark decoding: WER of greedy, beam and beam + language model, decoding speed against pyctcdecode and libstt,
and `sttx lm tune` against re-running the acoustic model for every trial (DeepSpeech's lm_optimizer).

The corpus comes from bench/train_learning.py's split (espeak-ng, shipped sentences split 500 / 100, six voice
variants held out): a model trained briefly on the training clips (``--minutes``; or ``--checkpoint_dir``) is
scored on the 100 held-out sentences said by the held-out voices. Two scorers are built with `sttx lm build`
(order 3): one from all 600 shipped sentences (so it knows the test sentences, as a domain LM would), one from the
500 training sentences only. lm_alpha and lm_beta are tuned by `sttx lm tune`'s search on a second rendering of
the held-out sentences (other draws of voice, speed and pitch), then used by every LM decoder on the test set.
pyctcdecode needs numpy < 2 by its metadata: install it beside sttx with ``pip install --no-deps --target DIR
pyctcdecode pygtrie`` and pass ``--pyctcdecode DIR``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
WIN_STEP = 0.02  # seconds per output frame


def corpus(workdir: Path, train_clips: int) -> tuple[Path, Path, Path, list[str], list[str]]:
    """(train.csv, test.csv, tune.csv, all sentences, training sentences), made once per workdir."""
    from train_learning import DEV_SENTENCES, DEV_VOICES, make_corpus, train_voices

    from sttx.plugins.importers.espeak import read_sentences, synthesize_corpus

    train_csv, test_csv = make_corpus(workdir, train_clips, 100, train_voices("speakers"))[:2]
    sentences = read_sentences()
    order = np.random.default_rng(7).permutation(len(sentences))  # train_learning's split (seed 7)
    held_out = [sentences[i] for i in order[:DEV_SENTENCES]]
    training = [sentences[i] for i in order[DEV_SENTENCES:]]
    tune_csv = workdir / "tune" / "tune.csv"
    if not tune_csv.is_file():
        synthesize_corpus(held_out, tune_csv.parent, count=100, voices=DEV_VOICES, seed=99, speed=(140, 190),
                          pitch=(30, 70), csv_name=tune_csv.name, jobs=os.cpu_count() or 2)
    return train_csv, test_csv, tune_csv, sentences, training


def train_model(workdir: Path, train_csv: Path, dev_csv: Path, minutes: float) -> Path:
    from train_learning import TRAIN_FLAGS, train_for

    checkpoint_dir = workdir / "checkpoints"
    if not any(checkpoint_dir.glob("train-*")):
        command = [sys.executable, "-m", "sttx", "train", "--train_files", str(train_csv), "--checkpoint_dir",
                   str(checkpoint_dir), *TRAIN_FLAGS, "--epochs", str(max(1, round(minutes * 1.5)))]
        print("  " + " ".join(command[2:]), flush=True)
        seconds = train_for(minutes, command, workdir / "train.log")
        print(f"  trained {seconds / 60:.1f} min (log {workdir / 'train.log'})")
    return checkpoint_dir


def build_scorer(folder: Path, sentences: list[str]) -> Any:
    from sttx.core.data.alphabet import load_alphabet
    from sttx.core.inference.lm.build import LmBuildConfig, build_lm

    folder.mkdir(parents=True, exist_ok=True)
    text = folder / "text.txt"
    text.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    return build_lm(LmBuildConfig(text=(text,), output_dir=folder, alphabet=load_alphabet(), order=3,
                                  prune=(0, 0, 0), show_progressbar=False))


def error_rates(texts: list[str], references: tuple[str, ...]) -> tuple[float, float]:
    from sttx.core.evaluation.metrics import corpus_cer, corpus_wer, score_sample

    scores = [score_sample(str(i), ref, text, 0.0) for i, (ref, text) in enumerate(zip(references, texts, strict=True))]
    return corpus_wer(scores), corpus_cer(scores)


def timed(decode: Any, outputs: tuple[np.ndarray, ...]) -> tuple[list[str], float]:
    """Transcripts and seconds of decoding every output in this process (one core)."""
    started = time.perf_counter()
    texts = [decode(output) for output in outputs]
    return texts, time.perf_counter() - started


def sttx_decoder(name: str, alphabet: Any, **settings: Any) -> Any:
    from sttx.core.contract.decoding import DecodeSettings
    from sttx.core.contract.plugins import get_plugin_manager

    factory = get_plugin_manager(load_entrypoints=False).registries().decoders.get(name)
    decoder = factory.create(DecodeSettings(**settings), alphabet)
    return lambda output: (found[0].text if (found := decoder.decode(output)) else "")


def pyctc_decoder(alphabet: Any, lm: Any, alpha: float, beta: float, beam: int) -> Any:
    from pyctcdecode import build_ctcdecoder

    words = lm.vocabulary_file.read_text(encoding="utf-8").split()
    decoder = build_ctcdecoder([*alphabet.labels, ""], kenlm_model_path=str(lm.binary), unigrams=words,
                               alpha=alpha, beta=beta)
    return lambda output: decoder.decode(output, beam_width=beam)


def flashlight_no_lm(alphabet: Any, beam: int) -> Any:
    """flashlight-text's lexicon-free decoder without a language model (ZeroLM), the library alternative."""
    from flashlight.lib.text.decoder import CriterionType, LexiconFreeDecoder, LexiconFreeDecoderOptions, ZeroLM

    options = LexiconFreeDecoderOptions(beam_size=beam, beam_size_token=alphabet.n_classes, beam_threshold=1e9,
                                        lm_weight=0.0, sil_score=0.0, log_add=True, criterion_type=CriterionType.CTC)
    space = alphabet.encode(" ")[0]
    decoder = LexiconFreeDecoder(options, ZeroLM(), space, alphabet.blank, [])

    def decode(output: np.ndarray) -> str:
        emissions = np.ascontiguousarray(output, np.float32)
        path = list(decoder.decode(emissions.ctypes.data, len(emissions), alphabet.n_classes)[0].tokens)[1:]
        labels = [t for i, t in enumerate(path[: len(emissions)]) if t not in (alphabet.blank, -1)
                  and (i == 0 or t != path[i - 1])]
        return alphabet.decode(labels).strip()

    return decode


def report(label: str, texts: list[str], refs: tuple[str, ...], seconds: float | None, frames: int) -> dict:
    wer, cer = error_rates(texts, refs)
    speed = ""
    if seconds is not None:
        speed = f", {frames / seconds:,.0f} frames/s, RTF {seconds / (frames * WIN_STEP):.4f}"
    print(f"  {label:<48} WER {wer:6.1%}  CER {cer:6.1%}{speed}", flush=True)
    return {"wer": wer, "cer": cer, "seconds": seconds}


def libstt_run(workdir: Path, checkpoint_dir: Path, test_csv: Path, scorer: Path, alpha: float, beta: float,
               beam: int) -> tuple[list[str], tuple[str, ...], float]:
    """libstt's transcripts with the scorer (CSV order), their references, and the seconds of its decoding
    (the run with the scorer at ``beam`` minus a run without it at beam 1, which is nearly all acoustic model)."""
    from infer import fetch_libstt

    from sttx.core.contract.plugins import get_plugin_manager
    from sttx.core.data.audio import write_audio
    from sttx.core.data.collections import read_collection
    from sttx.plugins.exporters.libstt import run_libstt

    export = workdir / "export"
    if not (export / "output_graph.tflite").exists():
        subprocess.run([sys.executable, "-m", "sttx", "export", "--checkpoint_dir", str(checkpoint_dir),
                        "--export_dir", str(export)], check=True, capture_output=True)
    rows = read_collection(test_csv, get_plugin_manager(load_entrypoints=False).registries().sample_formats)
    wav_dir = workdir / "wavs"
    wav_dir.mkdir(exist_ok=True)
    wavs = [wav_dir / f"{index:04d}.wav" for index in range(len(rows))]
    for row, wav in zip(rows, wavs, strict=True):
        if not wav.exists():
            write_audio(wav, row.load().audio, 16000)
    lib = fetch_libstt(workdir / "libstt")
    model = export / "output_graph.tflite"
    with_lm = run_libstt(lib, model, wavs, beam_width=beam, candidates=1, scorer=scorer, lm_alpha=alpha,
                         lm_beta=beta, cpus={0}, timeout=3600)
    plain = run_libstt(lib, model, wavs, beam_width=1, candidates=1, cpus={0}, timeout=3600)
    decoding = sum(a.seconds for a in with_lm) - sum(b.seconds for b in plain)
    return [r.candidates[0][0] for r in with_lm], tuple(str(row.transcript) for row in rows), decoding


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", default="")
    parser.add_argument("--checkpoint_dir", default="", help="a trained model instead of training one")
    parser.add_argument("--train_clips", type=int, default=3000)
    parser.add_argument("--minutes", type=float, default=10.0, help="training budget")
    parser.add_argument("--beams", default="100,500")
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--pyctcdecode", default="", help="folder holding pyctcdecode (pip --target)")
    parser.add_argument("--skip_libstt", action="store_true")
    args = parser.parse_args()
    if args.pyctcdecode:
        sys.path.insert(0, args.pyctcdecode)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="sttx-bench-decode-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"decoding benchmark in {workdir} ({os.cpu_count()} cores)", flush=True)
    train_csv, test_csv, tune_csv, sentences, training = corpus(workdir, args.train_clips)
    checkpoint_dir = Path(args.checkpoint_dir) if args.checkpoint_dir else \
        train_model(workdir, train_csv, test_csv, args.minutes)
    scorers = {"all 600 sentences": build_scorer(workdir / "lm_all", sentences),
               "500 training sentences": build_scorer(workdir / "lm_train", training)}
    from sttx.core.contract.plugins import get_plugin_manager
    from sttx.core.inference.lm.outputs import cached_outputs

    registries = get_plugin_manager(load_entrypoints=False).registries()
    cache = workdir / "outputs"
    started = time.perf_counter()
    test = cached_outputs(checkpoint_dir=str(checkpoint_dir), test_files=[str(test_csv)], registries=registries,
                          cache_dir=cache, progress=False)
    tune_data = cached_outputs(checkpoint_dir=str(checkpoint_dir), test_files=[str(tune_csv)],
                               registries=registries, cache_dir=cache, progress=False)
    print(f"  acoustic outputs: {len(test.outputs)} test + {len(tune_data.outputs)} tuning clips in "
          f"{time.perf_counter() - started:.1f} s (from cache: {test.from_cache})")
    alpha, beta = tune_weights(tune_data, scorers["all 600 sentences"].scorer_path, args.trials, checkpoint_dir,
                               tune_csv, registries)
    compare(args, workdir, checkpoint_dir, test_csv, test, scorers, alpha, beta)


def tune_weights(data: Any, scorer: Path, trials: int, checkpoint_dir: Path, tune_csv: Path,
                 registries: Any) -> tuple[float, float]:
    """`sttx lm tune`'s search (beam 100) on cached outputs, timed against re-running the model per trial."""
    from sttx.core.contract.decoding import DecodeSettings
    from sttx.core.evaluation.decoders import choose_decoder
    from sttx.core.evaluation.evaluator import evaluate
    from sttx.core.inference.lm.tune import TuneConfig, search
    from sttx.core.training.evaluate_checkpoint import EvaluateConfig, collection_datasets, restore_model
    from sttx.plugins.decoders.beam import create_beam

    config = TuneConfig(test_files=(str(tune_csv),), scorer_path=str(scorer), n_trials=trials, beam_width=100,
                        show_progressbar=False)
    decoder = create_beam(DecodeSettings(beam_width=100, scorer_path=str(scorer)), data.alphabet)
    started = time.perf_counter()
    alpha, beta, error, start = search(decoder, data, config, (decoder.alpha, decoder.beta))
    cached = time.perf_counter() - started
    # DeepSpeech's lm_optimizer: every trial restores the model, runs it on the set and decodes (all cores)
    settings = {"beam_width": 100, "scorer_path": str(scorer), "lm_alpha": alpha, "lm_beta": beta}
    rerun_trials, started = 3, time.perf_counter()
    for _ in range(rerun_trials):
        eval_config = EvaluateConfig(test_files=(str(tune_csv),), checkpoint_dir=str(checkpoint_dir))
        model, alphabet = restore_model(eval_config, registries)
        datasets, _ = collection_datasets(eval_config.test_files, alphabet, registries.sample_formats, batch_size=1)
        decoding = choose_decoder(registries.decoders, "beam", DecodeSettings(**settings))
        evaluate(model, datasets, alphabet, progress=False, decoding=decoding)
    per_trial = (time.perf_counter() - started) / rerun_trials
    print(f"  lm tune, {trials} trials on cached outputs (beam 100): {cached:.1f} s; re-running the model per "
          f"trial: {per_trial:.1f} s a trial -> {per_trial * trials:.0f} s; x{per_trial * trials / cached:.1f}")
    print(f"  start lm_alpha={start[0]:.3f} lm_beta={start[1]:.3f}: WER {start[2]:.1%}; "
          f"best lm_alpha={alpha:.3f} lm_beta={beta:.3f}: WER {error:.1%}", flush=True)
    return alpha, beta


def compare(args: Any, workdir: Path, checkpoint_dir: Path, test_csv: Path, test: Any, scorers: dict, alpha: float,
            beta: float) -> None:
    refs, outputs, alphabet = test.references, test.outputs, test.alphabet
    frames = sum(len(output) for output in outputs)
    print(f"  test: {len(outputs)} clips, {frames} frames ({frames * WIN_STEP:.0f} s of audio); one core each")
    texts, seconds = timed(sttx_decoder("greedy", alphabet), outputs)
    report("sttx greedy", texts, refs, seconds, frames)
    lm_all = scorers["all 600 sentences"]
    for beam in (int(b) for b in args.beams.split(",")):
        texts, seconds = timed(sttx_decoder("beam", alphabet, beam_width=beam), outputs)
        report(f"sttx beam {beam}, no LM", texts, refs, seconds, frames)
        texts, seconds = timed(flashlight_no_lm(alphabet, beam), outputs)
        report(f"flashlight lexicon-free beam {beam}, no LM", texts, refs, seconds, frames)
        for name, lm in scorers.items():
            decode = sttx_decoder("beam", alphabet, beam_width=beam, scorer_path=str(lm.scorer_path),
                                  lm_alpha=alpha, lm_beta=beta)
            texts, seconds = timed(decode, outputs)
            report(f"sttx beam {beam} + LM ({name})", texts, refs, seconds, frames)
            if args.pyctcdecode:
                texts, seconds = timed(pyctc_decoder(alphabet, lm, alpha, beta, beam), outputs)
                report(f"pyctcdecode beam {beam} + LM ({name})", texts, refs, seconds, frames)
        if not args.skip_libstt:
            texts, csv_refs, decoding = libstt_run(workdir, checkpoint_dir, test_csv, lm_all.scorer_path, alpha,
                                                   beta, beam)
            report(f"libstt beam {beam} + LM (all 600 sentences)", texts, csv_refs, decoding, frames)


if __name__ == "__main__":
    main()
