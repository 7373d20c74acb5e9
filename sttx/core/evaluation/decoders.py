"""Choose a registered decoder from DeepSpeech's flags, and decode many utterances over all cores.

The decoder is built once in this process (a bad scorer fails early, as in DeepSpeech) and worker processes are
forked from it, so a large language model is loaded once and shared copy-on-write. Decoder libraries hold the
GIL (measured: two threads decode no faster than one), hence processes rather than threads.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import attrs
import numpy as np

from sttx.core.contract.decoding import Decoder, DecodeSettings, Hypothesis, decode_all
from sttx.core.contract.errors import UsageError
from sttx.core.contract.registry import DecoderFactory

#: below this many frames in total, a pool costs more than it saves
_PARALLEL_MIN_FRAMES = 4000


@attrs.frozen
class Decoding:
    """A chosen decoder: its registered name, factory and settings."""

    name: str
    factory: DecoderFactory
    settings: DecodeSettings = attrs.field(factory=DecodeSettings)

    def create(self, alphabet: Any) -> Decoder:
        """Build the decoder for ``alphabet`` (loads the scorer, if any)."""
        return self.factory.create(self.settings, alphabet)  # type: ignore[no-any-return]


def choose_decoder(registry: Any, name: str | None, settings: DecodeSettings) -> Decoding:
    """``--decoder`` resolved: the named one, else ``beam`` with a scorer and ``greedy`` without (DeepSpeech)."""
    chosen = name or ("beam" if settings.scorer_path else "greedy")
    factory = registry.get(chosen)
    if settings.scorer_path and not factory.uses_scorer:
        raise UsageError(f"--decoder {chosen} does not use a language model: drop --scorer_path or use --decoder beam")
    return Decoding(chosen, factory, settings)


def describe(decoder: Any, name: str) -> str:
    """The report's line about the decoder: its own ``description`` when it has one, else its name."""
    return str(getattr(decoder, "description", name))


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Per-frame log-probabilities [T, C] float32 from logits."""
    scores = np.asarray(logits, np.float64)
    return (scores - np.logaddexp.reduce(scores, axis=-1, keepdims=True)).astype(np.float32)


_shared: dict[str, Any] = {}  # what forked workers inherit: the decoder, or a function and its inputs


def _decode_chunk(chunk: Sequence[int]) -> list[Hypothesis]:
    decoder, outputs = _shared["decoder"], _shared["outputs"]
    return decode_all(decoder, [outputs[index] for index in chunk])


def workers_for(count: int, workers: int | None = None) -> int:
    """Worker processes to use: ``workers``, else one per core, never more than ``count`` items."""
    wanted = workers if workers is not None else (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                                  else os.cpu_count() or 1)
    return max(1, min(wanted, count))


def run_forked(function: Callable[[Any], Any], items: Sequence[Any], shared: dict[str, Any], workers: int) -> list[Any]:
    """``[function(item) for item in items]`` in ``workers`` forked processes that inherit ``shared``."""
    _shared.clear()
    _shared.update(shared)
    try:
        if workers <= 1:
            return [function(item) for item in items]
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            return list(pool.map(function, items))
    finally:
        _shared.clear()


def decode_outputs(decoder: Decoder, outputs: Sequence[np.ndarray], *, workers: int | None = None,
                   parallel: bool = True) -> list[Hypothesis]:
    """The best hypothesis of every utterance's log-probabilities, in order, decoded over all cores.

    :param parallel: False decodes here (decoders cheaper than moving their inputs, such as greedy)
    """
    frames = sum(len(output) for output in outputs)
    count = workers_for(len(outputs), workers) if parallel and frames >= _PARALLEL_MIN_FRAMES else 1
    indices = list(range(len(outputs)))
    chunks = [indices[start::count * 4] for start in range(count * 4)] if count > 1 else [indices]
    decoded = run_forked(_decode_chunk, chunks, {"decoder": decoder, "outputs": outputs}, count)
    results: list[Hypothesis | None] = [None] * len(outputs)
    for chunk, hypotheses in zip(chunks, decoded, strict=True):
        for index, hypothesis in zip(chunk, hypotheses, strict=True):
            results[index] = hypothesis
    return [result for result in results if result is not None]
