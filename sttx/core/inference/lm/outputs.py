"""The acoustic model's outputs on test sets, computed once and cached under a fingerprint of model and data.

Tuning a language model's weights decodes the same outputs hundreds of times: the model runs once, its per-frame
log-probabilities go to ``<cache_dir>/<fingerprint>.npz``, and a later run with the same model files and the same
collection files reads them back instead of running the model.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from sttx.core.contract.errors import UsageError

log = logging.getLogger(__name__)
CACHE_FORMAT = 1


@attrs.frozen
class AcousticOutputs:
    """Per-utterance log-probabilities [T, C], reference transcripts, and the alphabet they decode with."""

    outputs: tuple[np.ndarray, ...]
    references: tuple[str, ...]
    alphabet: Any
    from_cache: bool = False


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/sttx/lm_tune`` (``~/.cache/sttx/lm_tune``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sttx" / "lm_tune"


def _hash_file(digest: Any, path: Path) -> None:
    digest.update(f"{path.name}:{path.stat().st_size}\n".encode())
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)


def fingerprint(model: str, test_files: Sequence[str], extra: str = "") -> str:
    """SHA-256 of the model's files (a file, or every file under a dir but summaries) and the collections."""
    digest = hashlib.sha256(f"sttx-acoustic-outputs-{CACHE_FORMAT}\n{extra}\n".encode())
    root = Path(model)
    files = [root] if root.is_file() else sorted(
        p for p in root.rglob("*") if p.is_file() and "summaries" not in p.relative_to(root).parts)
    for path in files:
        _hash_file(digest, path)
    for name in test_files:
        if not Path(name).is_file():
            raise UsageError(f"--test_files: {name} does not exist")
        _hash_file(digest, Path(name))
    return digest.hexdigest()[:32]


def save_outputs(path: Path, outputs: AcousticOutputs) -> None:
    """Write the outputs as one .npz (atomically: a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lengths = np.array([len(output) for output in outputs.outputs], np.int64)
    stacked = np.concatenate(outputs.outputs) if outputs.outputs else np.zeros((0, outputs.alphabet.n_classes))
    temporary = path.with_suffix(".tmp.npz")
    np.savez(temporary, log_probs=stacked.astype(np.float32), lengths=lengths,
             references=np.array(outputs.references, dtype=str), bytes_mode=np.array(outputs.alphabet.is_bytes),
             labels=np.array([] if outputs.alphabet.is_bytes else list(outputs.alphabet.labels), dtype=str))
    temporary.replace(path)


def load_outputs(path: Path) -> AcousticOutputs:
    """Read what :func:`save_outputs` wrote."""
    from sttx.core.data.alphabet import Alphabet, load_alphabet

    with np.load(path, allow_pickle=False) as data:
        bounds = np.cumsum(data["lengths"])[:-1]
        outputs = tuple(np.split(data["log_probs"], bounds)) if len(data["lengths"]) else ()
        alphabet = load_alphabet(bytes_mode=True) if bool(data["bytes_mode"]) else \
            Alphabet([str(label) for label in data["labels"]])
        return AcousticOutputs(outputs, tuple(str(text) for text in data["references"]), alphabet, from_cache=True)


def checkpoint_outputs(checkpoint_dir: str, test_files: Sequence[str], registries: Any, *,
                       batch_size: int = 1, progress: bool = True) -> AcousticOutputs:
    """Run a checkpoint's model (best dev, else latest) over the collections, as ``sttx evaluate`` does."""
    from sttx.core.evaluation.evaluator import collect_outputs, make_eval_step
    from sttx.core.training.evaluate_checkpoint import EvaluateConfig, collection_datasets, restore_model

    config = EvaluateConfig(test_files=tuple(test_files), checkpoint_dir=checkpoint_dir, test_batch_size=batch_size)
    model, alphabet = restore_model(config, registries)
    datasets, _ = collection_datasets(config.test_files, alphabet, registries.sample_formats, batch_size=batch_size)
    step = make_eval_step(model)
    pending = []
    for name, dataset in datasets.items():
        pending += collect_outputs(step, dataset, alphabet, desc=f"acoustic model: {Path(name).name}",
                                   progress=progress)
    return AcousticOutputs(tuple(item[3] for item in pending), tuple(item[1] for item in pending), alphabet)


def export_outputs(model: str, test_files: Sequence[str], registries: Any, *,
                   progress: bool = True) -> AcousticOutputs:
    """Run an exported model (.tflite, export dir, SavedModel) over the collections with libstt's framing."""
    from tqdm import tqdm

    from sttx.core.data.collections import read_collection
    from sttx.core.inference.loading import load_model
    from sttx.core.inference.reference import libstt_features

    acoustic, alphabet = load_model(model)
    outputs, references = [], []
    for name in test_files:
        for ref in tqdm(read_collection(name, registries.sample_formats), desc="acoustic model", unit="clip",
                        disable=None if progress else True):
            sample = ref.load()
            probs = np.asarray(acoustic.probabilities(libstt_features(sample.audio)), np.float64)
            outputs.append(np.log(np.maximum(probs, 1e-30)).astype(np.float32))
            references.append(sample.transcript)
    return AcousticOutputs(tuple(outputs), tuple(references), alphabet)


def cached_outputs(*, checkpoint_dir: str = "", model: str = "", test_files: Sequence[str], registries: Any,
                   cache_dir: str | Path | None = None, batch_size: int = 1, progress: bool = True) -> AcousticOutputs:
    """The model's outputs on ``test_files``: from the cache when model and data are unchanged, else computed."""
    if bool(checkpoint_dir) == bool(model):
        raise UsageError("give exactly one of --checkpoint_dir and --model")
    source = checkpoint_dir or model
    if not Path(source).exists():
        raise UsageError(f"{'--checkpoint_dir' if checkpoint_dir else '--model'} {source} does not exist")
    key = fingerprint(source, test_files, "checkpoint" if checkpoint_dir else "export")
    path = Path(cache_dir or default_cache_dir()) / f"{key}.npz"
    if path.is_file():
        log.info("acoustic outputs from the cache %s", path)
        return load_outputs(path)
    if checkpoint_dir:
        outputs = checkpoint_outputs(checkpoint_dir, test_files, registries, batch_size=batch_size, progress=progress)
    else:
        outputs = export_outputs(model, test_files, registries, progress=progress)
    save_outputs(path, outputs)
    return outputs
