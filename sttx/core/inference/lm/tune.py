"""`sttx lm tune`: DeepSpeech's lm_optimizer (optuna over lm_alpha, lm_beta), on cached acoustic outputs.

DeepSpeech re-ran the acoustic model, and the decoder, for every trial. Here the model runs once (or never, when
the outputs of the same model files on the same collection files are cached); the decoder runs at a few pairs and
trials rescore its candidates (or, with ``exact_trials``, every trial decodes), spread over all cores by processes
forked once for the whole search.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from sttx.core.contract.decoding import DecodeSettings
from sttx.core.contract.errors import UsageError
from sttx.core.evaluation.decoders import choose_decoder, forked_pool, shared_value, workers_for
from sttx.core.evaluation.metrics import char_distance, corpus_rate, word_distance
from sttx.core.inference.lm.outputs import AcousticOutputs, cached_outputs
from sttx.core.inference.lm.rescore import VERIFY, best_distinct, build_pool, seed_pairs

log = logging.getLogger(__name__)


def _positive(instance: Any, attribute: attrs.Attribute, value: float) -> None:
    if not value > 0:
        raise UsageError(f"--{attribute.name} must be positive, not {value}")


@attrs.frozen(kw_only=True)
class TuneConfig:
    """``sttx lm tune``'s settings: DeepSpeech's lm_optimizer flags (``--n_trials 2400``, maxima 5 and 5)."""

    test_files: tuple[str, ...] = attrs.field(converter=tuple)
    scorer_path: str
    checkpoint_dir: str = ""
    model: str = ""
    n_trials: int = attrs.field(default=2400, validator=_positive)
    lm_alpha_max: float = attrs.field(default=5.0, validator=_positive)
    lm_beta_max: float = attrs.field(default=5.0, validator=_positive)
    beam_width: int = attrs.field(default=1024, validator=_positive)
    cutoff_prob: float = 1.0
    cutoff_top_n: int = 300
    update_scorer: bool = False
    exact_trials: bool = False
    cache_dir: str = ""
    test_batch_size: int = attrs.field(default=1, validator=_positive)
    random_seed: int = 4568
    workers: int | None = None
    show_progressbar: bool = True

    def __attrs_post_init__(self) -> None:
        if not self.test_files:
            raise UsageError("--test_files names no file")
        if not self.scorer_path:
            raise UsageError("--scorer_path is required: its weights are what is tuned")


@attrs.frozen
class TuneResult:
    """The best pair, its error rate (WER, or CER for a bytes-mode model), and how the search went."""

    lm_alpha: float
    lm_beta: float
    error: float
    metric: str
    trials: int
    from_cache: bool
    model_seconds: float
    search_seconds: float
    start: tuple[float, float, float]  # the scorer's own pair and its error rate

    def best_line(self) -> str:
        """DeepSpeech's closing line."""
        return f"Best params: lm_alpha={self.lm_alpha} and lm_beta={self.lm_beta} with {self.metric}={self.error}"


def _trial_chunk(task: tuple[float, float, Sequence[int]]) -> tuple[int, int]:
    """(edit distance, reference length) of some utterances decoded with one (alpha, beta)."""
    alpha, beta, indices = task
    decoder = shared_value("decoder").with_weights(alpha, beta)
    outputs, references, by_char = shared_value("outputs"), shared_value("references"), shared_value("by_char")
    distance = length = 0
    for index in indices:
        found = decoder.decode(outputs[index], 1)
        text = found[0].text if found else ""
        reference = references[index]
        distance += char_distance(reference, text) if by_char else word_distance(reference, text)
        length += len(reference) if by_char else len(reference.split())
    return distance, length


def _objective(pool_map: Callable[..., list[Any]], chunks: list[list[int]]) -> Callable[[float, float], float]:
    def error_rate(alpha: float, beta: float) -> float:
        parts = pool_map(_trial_chunk, [(alpha, beta, chunk) for chunk in chunks])
        return corpus_rate((d for d, _ in parts), (n for _, n in parts))

    return error_rate


def search(decoder: Any, data: AcousticOutputs, config: TuneConfig,
           embedded: tuple[float, float]) -> tuple[float, float, float, tuple[float, float, float]]:
    """Optuna's TPE over [0, max] x [0, max], the scorer's own pair tried first: (alpha, beta, error, start).

    With a decoder that lists candidates (``nbest``) and ``config.exact_trials`` off, trials rescore candidates
    (see :mod:`sttx.core.inference.lm.rescore`) and the best few pairs are then decoded for real; otherwise every
    trial decodes every utterance, as DeepSpeech's lm_optimizer did.
    """
    import optuna

    if not hasattr(decoder, "with_weights"):
        raise UsageError("the beam decoder cannot change its weights: lm tune needs sttx's beam decoder")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    count = workers_for(len(data.outputs), config.workers)
    indices = list(range(len(data.outputs)))
    chunks = [indices[start :: count * 2] for start in range(count * 2)] if count > 1 else [indices]
    by_char = bool(data.alphabet.is_bytes)
    shared = {"decoder": decoder, "outputs": data.outputs, "references": data.references, "by_char": by_char}
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=config.random_seed))
    start = (min(max(embedded[0], 0.0), config.lm_alpha_max), min(max(embedded[1], 0.0), config.lm_beta_max))
    study.enqueue_trial({"lm_alpha": start[0], "lm_beta": start[1]})
    rescoring = not config.exact_trials and hasattr(decoder, "nbest")
    with forked_pool(shared, count) as pool_map:
        exact = _objective(pool_map, chunks)
        rate = exact
        if rescoring:
            pairs = seed_pairs(start, config.lm_alpha_max, config.lm_beta_max)
            rate = build_pool(pool_map, chunks, pairs, data.references, by_char).error_rate

        def objective(trial: Any) -> float:
            return rate(trial.suggest_float("lm_alpha", 0.0, config.lm_alpha_max),
                        trial.suggest_float("lm_beta", 0.0, config.lm_beta_max))

        study.optimize(objective, n_trials=config.n_trials, show_progress_bar=config.show_progressbar)
        if not rescoring:
            best = study.best_trial
            return (best.params["lm_alpha"], best.params["lm_beta"], float(best.value),
                    (*start, float(study.trials[0].value)))
        verified = {pair: exact(*pair) for pair in dict.fromkeys([start, *best_distinct(study.trials, VERIFY)])}
    alpha, beta = min(verified, key=lambda pair: verified[pair])
    return alpha, beta, verified[(alpha, beta)], (*start, verified[start])


def tune(config: TuneConfig, registries: Any) -> TuneResult:
    """Cache (or read) the acoustic outputs, search the weights, and optionally store them in the scorer."""
    decoding = choose_decoder(registries.decoders, "beam", DecodeSettings(
        beam_width=config.beam_width, scorer_path=config.scorer_path, cutoff_prob=config.cutoff_prob,
        cutoff_top_n=config.cutoff_top_n))
    if config.update_scorer:
        from sttx.core.inference.scorer import read_scorer

        read_scorer(config.scorer_path)  # --update_scorer writes into a .scorer: refuse an ARPA file before the work
    started = time.perf_counter()
    data = cached_outputs(checkpoint_dir=config.checkpoint_dir, model=config.model, test_files=config.test_files,
                          registries=registries, cache_dir=config.cache_dir or None,
                          batch_size=config.test_batch_size, progress=config.show_progressbar)
    if not data.outputs:
        raise UsageError(f"--test_files {','.join(config.test_files)}: no sample to tune on")
    model_seconds = time.perf_counter() - started
    decoder = decoding.create(data.alphabet)
    embedded = (decoder.alpha, decoder.beta) if hasattr(decoder, "alpha") else (0.0, 0.0)
    started = time.perf_counter()
    alpha, beta, error, start = search(decoder, data, config, embedded)
    result = TuneResult(alpha, beta, error, "CER" if data.alphabet.is_bytes else "WER", config.n_trials,
                        data.from_cache, model_seconds, time.perf_counter() - started, start)
    if config.update_scorer:
        from sttx.core.inference.scorer import update_scorer_params

        update_scorer_params(config.scorer_path, alpha, beta)
    return result
