"""Evaluate an acoustic model on sample sets: CTC loss, decoded transcripts, WER/CER, DeepSpeech's report and JSON.

A pure library: the training loop calls :func:`evaluate` for dev WER/CER every epoch and for the test report after
training; ``sttx evaluate`` calls it on a restored checkpoint.
"""

from __future__ import annotations

import contextlib
import json
import logging
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from sttx.core.contract.decoding import Decoder
from sttx.core.evaluation.decoders import Decoding, decode_outputs, describe, log_softmax
from sttx.core.evaluation.decoding import greedy_decode_batch
from sttx.core.evaluation.metrics import SampleScore, corpus_cer, corpus_wer, score_sample, sort_like_deepspeech

log = logging.getLogger(__name__)

RULE = "-" * 80
_INPUTS = (("features", "float32"), ("feature_lengths", "int32"), ("labels", "int32"), ("label_lengths", "int32"))


@attrs.frozen(kw_only=True)
class FileResult:
    """One evaluated sample set: corpus WER/CER (capped at 1.0), mean CTC loss, and its samples sorted for the report.

    :param name: the collection file (or any label) the set came from
    :param samples: scored samples, sorted as DeepSpeech's report (loss descending, then WER ascending)
    """

    name: str
    wer: float
    cer: float
    loss: float
    samples: tuple[SampleScore, ...]

    def summary(self, prefix: str = "Test on") -> str:
        """``Test on <file> - WER: %f, CER: %f, loss: %f``."""
        return f"{prefix} {self.name} - WER: {self.wer:f}, CER: {self.cer:f}, loss: {self.loss:f}"


@attrs.frozen(kw_only=True)
class EvaluationResult:
    """The results of every evaluated file, in the order given, plus the report settings."""

    files: tuple[FileResult, ...]
    report_count: int = 5
    bytes_mode: bool = False
    decoder: str = ""

    @property
    def samples(self) -> list[SampleScore]:
        """Every sample, file by file, each file's in report order (the ``--test_output_file`` order)."""
        return [sample for result in self.files for sample in result.samples]

    @property
    def wer(self) -> float:
        """WER over all files together (capped at 1.0)."""
        return corpus_wer(self.samples)

    @property
    def cer(self) -> float:
        """CER over all files together (capped at 1.0)."""
        return corpus_cer(self.samples)

    @property
    def loss(self) -> float:
        """Mean CTC loss over all samples of all files (0.0 when there are none)."""
        samples = self.samples
        return float(np.mean([s.loss for s in samples])) if samples else 0.0


def file_result(name: str, samples: Sequence[SampleScore], *, bytes_mode: bool = False) -> FileResult:
    """Aggregate scored samples into a FileResult (sorted as DeepSpeech's report)."""
    loss = float(np.mean([s.loss for s in samples])) if samples else 0.0
    ordered = tuple(sort_like_deepspeech(samples, bytes_mode=bytes_mode))
    return FileResult(name=name, wer=corpus_wer(samples), cer=corpus_cer(samples), loss=loss, samples=ordered)


def time_reduction(model: Any) -> int:
    """Feature frames per output frame of ``model`` (``model.time_reduction``; 1 for DeepSpeech)."""
    return int(getattr(model, "time_reduction", 1) or 1)


def output_lengths(model: Any, feature_lengths: Any) -> Any:
    """Logit frames per sample: ``ceil(feature frames / time_reduction)`` (tensors or arrays)."""
    reduction = time_reduction(model)
    return feature_lengths if reduction == 1 else (feature_lengths + (reduction - 1)) // reduction


_steps: weakref.WeakKeyDictionary[Any, Callable[..., tuple[Any, Any]]] = weakref.WeakKeyDictionary()


def make_eval_step(model: Any) -> Callable[..., tuple[Any, Any]]:
    """A compiled ``(features, feature_lengths, labels, label_lengths) -> (logits, per-sample CTC loss)``.

    Dropout is off (``training=False``); the blank is the last class, as in DeepSpeech. The step is built once
    per model (shapes are left open), so evaluating every epoch does not trace the model again.
    """
    import tensorflow as tf

    with contextlib.suppress(TypeError):  # a model that takes no weak reference is never cached
        if model in _steps:
            return _steps[model]
    signature = [tf.TensorSpec([None, None, None], tf.float32), tf.TensorSpec([None], tf.int32),
                 tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([None], tf.int32)]

    @tf.function(input_signature=signature)
    def step(features: Any, feature_lengths: Any, labels: Any, label_lengths: Any) -> tuple[Any, Any]:
        logits = tf.cast(model(features, training=False), tf.float32)
        lengths = tf.minimum(output_lengths(model, feature_lengths), tf.shape(logits)[1])
        # sparse labels select TensorFlow's native CTC kernel on CPU (dense ones a slower graph version)
        sparse = tf.RaggedTensor.from_tensor(labels, lengths=label_lengths).to_sparse()
        loss = tf.nn.ctc_loss(labels=sparse, logits=logits, label_length=None, logit_length=lengths,
                              logits_time_major=False, blank_index=-1)
        return logits, loss

    step.time_reduction = time_reduction(model)  # read by evaluate_dataset to decode the right frames
    with contextlib.suppress(TypeError):  # a model that takes no weak reference just gets no cache
        _steps[model] = step
    return step


def score_batch(batch: Mapping[str, Any], logits: np.ndarray, losses: np.ndarray, alphabet: Any,
                reduction: int = 1) -> list[SampleScore]:
    """Greedy-decode one batch and score each sample against its labels decoded back through the alphabet.

    :param reduction: feature frames per logit frame (the model's time reduction)
    """
    feature_lengths = -(-np.asarray(batch["feature_lengths"]) // reduction)
    labels, label_lengths = np.asarray(batch["labels"]), np.asarray(batch["label_lengths"])
    decoded = greedy_decode_batch(logits, feature_lengths)
    scores = []
    for row, result in enumerate(decoded):
        sample_id = batch["ids"][row]
        sample_id = sample_id.decode("utf-8") if isinstance(sample_id, bytes) else str(sample_id)
        src = alphabet.decode(labels[row, : int(label_lengths[row])].tolist())
        scores.append(score_sample(sample_id, src, result.text(alphabet), float(losses[row])))
    return scores


def _pending_batch(batch: Mapping[str, Any], logits: np.ndarray, losses: np.ndarray,
                   alphabet: Any, reduction: int = 1) -> list[tuple[str, str, float, np.ndarray]]:
    """(id, reference, loss, log-probabilities [T, C]) of each sample, for a decoder to decode later."""
    feature_lengths = -(-np.asarray(batch["feature_lengths"]) // reduction)
    labels, label_lengths = np.asarray(batch["labels"]), np.asarray(batch["label_lengths"])
    pending = []
    for row in range(len(feature_lengths)):
        sample_id = batch["ids"][row]
        sample_id = sample_id.decode("utf-8") if isinstance(sample_id, bytes) else str(sample_id)
        src = alphabet.decode(labels[row, : int(label_lengths[row])].tolist())
        frames = min(int(feature_lengths[row]), logits.shape[1])
        pending.append((sample_id, src, float(losses[row]), log_softmax(logits[row, :frames])))
    return pending


def collect_outputs(step: Callable[..., Any], dataset: Any, alphabet: Any, *, desc: str = "",
                    progress: bool = True) -> list[tuple[str, str, float, np.ndarray]]:
    """Run ``step`` over ``dataset``: (id, reference, loss, log-probabilities [T, C]) of every sample, in order."""
    import tensorflow as tf
    from tqdm import tqdm

    pending: list[tuple[str, str, float, np.ndarray]] = []
    reduction = int(getattr(step, "time_reduction", 1))  # feature frames per output frame
    for batch in tqdm(dataset, desc=desc, unit="batch", disable=None if progress else True, leave=False):
        logits, losses = step(*(tf.cast(batch[key], dtype) for key, dtype in _INPUTS))
        numpy_batch = {key: value.numpy() for key, value in batch.items()}
        pending.extend(_pending_batch(numpy_batch, logits.numpy(), losses.numpy(), alphabet, reduction))
    return pending


def evaluate_dataset(
    step: Callable[..., Any], dataset: Any, alphabet: Any, *, desc: str = "", progress: bool = True,
    decoder: Decoder | None = None, parallel: bool = True,
) -> list[SampleScore]:
    """Run ``step`` over every batch of ``dataset`` and score its samples (in dataset order).

    :param decoder: decodes each sample's log-probabilities, over all cores once the model has run (None:
        sttx's greedy engine, batch by batch)
    :param parallel: False keeps ``decoder`` in this process
    """
    import tensorflow as tf
    from tqdm import tqdm

    if decoder is not None:
        pending = collect_outputs(step, dataset, alphabet, desc=desc, progress=progress)
        decoded = decode_outputs(decoder, [item[3] for item in pending], parallel=parallel)
        return [score_sample(sample_id, src, hypothesis.text, loss)
                for (sample_id, src, loss, _), hypothesis in zip(pending, decoded, strict=True)]
    scores: list[SampleScore] = []
    for batch in tqdm(dataset, desc=desc, unit="batch", disable=None if progress else True, leave=False):
        logits, losses = step(*(tf.cast(batch[key], dtype) for key, dtype in _INPUTS))
        numpy_batch = {key: value.numpy() for key, value in batch.items()}
        reduction = int(getattr(step, "time_reduction", 1))
        scores.extend(score_batch(numpy_batch, logits.numpy(), losses.numpy(), alphabet, reduction))
    return scores


def evaluate(
    model: Any,
    datasets_by_file: Mapping[str, Any],
    alphabet: Any,
    *,
    report_count: int = 5,
    bytes_mode: bool | None = None,
    progress: bool = True,
    decoding: Decoding | None = None,
) -> EvaluationResult:
    """Evaluate ``model`` (called as ``model(features, training=False)`` -> logits [B, T, n_classes]) per file.

    :param datasets_by_file: file name -> ``tf.data.Dataset`` of pipeline batches (``features``,
        ``feature_lengths``, ``labels``, ``label_lengths``, ``ids``), e.g. ``make_dataset(...).for_epoch(0)``
    :param alphabet: decodes labels and greedy outputs (the blank is its last class)
    :param report_count: samples per block in :func:`format_report`
    :param bytes_mode: sort by CER instead of WER (default: ``alphabet.is_bytes``)
    :param progress: show a tqdm bar per file on a terminal (False: never)
    :param decoding: the decoder to use (None: greedy, sttx's engine, as before decoders were plugins)
    """
    bytes_mode = bool(getattr(alphabet, "is_bytes", False)) if bytes_mode is None else bytes_mode
    step = make_eval_step(model)
    decoder = decoding.create(alphabet) if decoding is not None else None
    parallel = decoding.factory.parallel if decoding is not None else False
    files = []
    for name, dataset in datasets_by_file.items():
        scores = evaluate_dataset(step, dataset, alphabet, desc=Path(name).name, progress=progress,
                                  decoder=decoder, parallel=parallel)
        if not scores:
            log.warning("%s: no sample was evaluated (all rejected or the set is empty); its WER/CER read 0", name)
        files.append(file_result(name, scores, bytes_mode=bytes_mode))
    return EvaluationResult(files=tuple(files), report_count=report_count, bytes_mode=bytes_mode,
                            decoder=describe(decoder, decoding.name) if decoding is not None else "")


def _sample_lines(sample: SampleScore) -> list[str]:
    return [
        f"WER: {sample.wer:f}, CER: {sample.cer:f}, loss: {sample.loss:f}",
        f" - wav: {sample.wav_filename}",
        f' - src: "{sample.src}"',
        f' - res: "{sample.res}"',
        RULE,
    ]


def report_blocks(samples: Sequence[SampleScore], count: int) -> dict[str, Sequence[SampleScore]]:
    """DeepSpeech's three blocks: the first ``count``, ``count`` centred at len/2, and the last ``count``."""
    middle, left = len(samples) // 2, count // 2
    start = max(0, middle - left)
    return {
        "Best WER:": samples[:count],
        "Median WER:": samples[start : start + count],
        "Worst WER:": samples[-count:] if count else [],
    }


def format_file_report(result: FileResult, report_count: int = 5) -> str:
    """One file's report: the summary line, a rule, then the best, median and worst samples."""
    lines = [result.summary(), RULE]
    for title, block in report_blocks(result.samples, report_count).items():
        lines.extend([title, RULE])
        for sample in block:
            lines.extend(_sample_lines(sample))
    return "\n".join(lines)


def format_report(result: EvaluationResult) -> str:
    """DeepSpeech's text report for every file in ``result``, then which decoder produced the transcripts."""
    lines = [format_file_report(file, result.report_count) for file in result.files]
    if result.decoder:
        lines.append(f"Decoder: {result.decoder}")
    return "\n".join(lines)


def write_test_output(result: EvaluationResult, path: str | Path) -> Path:
    """Write every sample as DeepSpeech's ``--test_output_file`` JSON list (indent 2, UTF-8 kept as is)."""
    path = Path(path)
    if path.parent != Path():
        path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        json.dump([sample.to_json() for sample in result.samples], handle, indent=2, ensure_ascii=False)
    return path
