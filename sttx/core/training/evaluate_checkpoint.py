"""`sttx evaluate` as a library: restore a checkpoint dir, evaluate each test file, print and write the report."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from sttx.core.contract.decoding import settings_of
from sttx.core.contract.errors import UsageError
from sttx.core.evaluation.decoders import choose_decoder
from sttx.core.evaluation.evaluator import EvaluationResult, evaluate, write_test_output

log = logging.getLogger(__name__)

LOAD_EVALUATE = ("auto", "best", "last")


def _check_load(instance: Any, attribute: Any, value: str) -> None:
    if value not in LOAD_EVALUATE:
        raise UsageError(f"--load_evaluate {value!r} is not one of {', '.join(LOAD_EVALUATE)}")


def _positive(instance: Any, attribute: Any, value: int) -> None:
    if value < 1:
        raise UsageError(f"--{attribute.name} must be at least 1, not {value}")


def _non_negative(instance: Any, attribute: Any, value: int) -> None:
    if value < 0:
        raise UsageError(f"--{attribute.name} must not be negative, not {value}")


@attrs.frozen(kw_only=True)
class EvaluateConfig:
    """The settings of ``sttx evaluate`` (DeepSpeech's flag names; geometry and alphabet default to the checkpoint's).

    :param load_evaluate: ``auto`` (best dev, then the latest train checkpoint), ``best`` or ``last``
    :param limit_test: evaluate at most this many samples per file (0: all); the shortest, as DeepSpeech
    :param n_hidden: layer width when the checkpoint does not record it (None: the checkpoint's)
    """

    test_files: tuple[str, ...] = attrs.field(converter=tuple)
    checkpoint_dir: str
    load_evaluate: str = attrs.field(default="auto", validator=_check_load)
    test_batch_size: int = attrs.field(default=1, validator=_positive)
    report_count: int = attrs.field(default=5, validator=_non_negative)
    test_output_file: str = ""
    alphabet_config_path: str = ""
    bytes_output_mode: bool = False
    limit_test: int = attrs.field(default=0, validator=_non_negative)
    reverse_test: bool = False
    n_hidden: int | None = None
    audio_sample_rate: int = attrs.field(default=16000, validator=_positive)
    show_progressbar: bool = True
    decoder: str = ""
    scorer_path: str = ""
    beam_width: int = 1024
    lm_alpha: float | None = None
    lm_beta: float | None = None
    cutoff_prob: float = 1.0
    cutoff_top_n: int = 300
    hot_words: str = ""

    def __attrs_post_init__(self) -> None:
        if not self.test_files:
            raise UsageError("--test_files names no file")
        settings_of(self)  # a bad decoding flag fails before the model loads
        if self.bytes_output_mode and self.alphabet_config_path:
            raise UsageError("--bytes_output_mode and --alphabet_config_path exclude each other")


def collection_datasets(
    files: Sequence[str], alphabet: Any, formats: Any, *, batch_size: int, limit: int = 0, reverse: bool = False,
    sample_rate: int = 16000, model: Any = None,
) -> tuple[dict[str, Any], Any]:
    """One evaluation ``tf.data.Dataset`` per file (no augmentation, unshuffled) and the shared RejectLog.

    :param model: the model evaluated: its ``front_end`` and ``time_reduction`` (DeepSpeech's when absent)
    """
    from sttx.core.data.collections import read_collection
    from sttx.core.data.pipeline import make_dataset
    from sttx.core.data.rejects import RejectLog

    rejects = RejectLog()
    datasets = {}
    front = {key: getattr(model, key) for key in ("front_end", "time_reduction") if getattr(model, key, None)}
    for name in files:
        refs = read_collection(name, formats)
        pipeline = make_dataset(refs, alphabet, batch_size=batch_size, train=False, rejects=rejects, limit=limit,
                                reverse=reverse, sample_rate=sample_rate, **front)
        datasets[name] = pipeline.for_epoch(0)
    return datasets, rejects


#: checkpoint kinds --load_evaluate tries, in order (sttx.core.training.checkpoints names)
PREFER = {"auto": ("best_dev", "train"), "best": ("best_dev",), "last": ("train",)}


def restore_model(config: EvaluateConfig, registries: Any = None) -> tuple[Any, Any]:
    """(Keras model, alphabet) of the checkpoint ``config.load_evaluate`` picks: sttx's own, or DeepSpeech's TF1.

    The model and alphabet come from the checkpoint; --alphabet_config_path, --bytes_output_mode and --n_hidden
    are checked against it, never silently replace it.
    """
    from sttx.core.training.ds_checkpoint import is_deepspeech_checkpoint

    if is_deepspeech_checkpoint(config.checkpoint_dir):
        model, alphabet = _restore_deepspeech(config, registries)
    else:
        from sttx.core.training.checkpoints import restore_for_inference

        restored = restore_for_inference(
            config.checkpoint_dir, prefer=PREFER[config.load_evaluate], registries=registries
        )
        log.info("evaluating checkpoint %s", restored.path)
        model, alphabet = restored.model, restored.alphabet
    return model, _checked_alphabet(config, model, alphabet)


def _restore_deepspeech(config: EvaluateConfig, registries: Any) -> tuple[Any, Any]:
    """A DeepSpeech 0.9 / Coqui 1.x checkpoint dir (best dev, then latest) loaded into sttx's model."""
    import types

    from sttx.core.training.ds_checkpoint import load_into_model, restore_deepspeech

    if config.load_evaluate != "auto":
        log.warning("--load_evaluate %s: DeepSpeech checkpoint dirs are read best dev first", config.load_evaluate)
    weights, alphabet, relu_clip = restore_deepspeech(config.checkpoint_dir, config.alphabet_config_path or None)
    layer_1 = weights.dense["layer_1"]
    geometry = types.SimpleNamespace(n_hidden=int(layer_1.kernel.shape[1]), relu_clip=relu_clip,
                                     layer_norm=layer_1.norm_gamma is not None)
    if registries is None:
        from sttx.core.contract.plugins import get_plugin_manager

        registries = get_plugin_manager().registries()
    model = registries.models.get("deepspeech").build(geometry, alphabet.n_classes)
    load_into_model(model, weights)
    return model, alphabet


def _checked_alphabet(config: EvaluateConfig, model: Any, alphabet: Any) -> Any:
    """The alphabet to decode with: the checkpoint's, or --alphabet_config_path when it fits the output layer."""
    from sttx.core.data.alphabet import load_alphabet

    where = f"checkpoint {config.checkpoint_dir}"
    if config.bytes_output_mode and not alphabet.is_bytes:
        raise UsageError(f"--bytes_output_mode: {where} was not trained in bytes output mode")
    width = int(model.get_layer("layer_1").kernel.shape[1]) if _has_layer(model, "layer_1") else None
    if config.n_hidden is not None and width is not None and width != config.n_hidden:
        raise UsageError(f"--n_hidden {config.n_hidden}: {where} has n_hidden {width}")
    if not config.alphabet_config_path:
        return alphabet
    chosen = load_alphabet(config.alphabet_config_path)
    if chosen.n_classes != alphabet.n_classes:
        raise UsageError(f"--alphabet_config_path {config.alphabet_config_path} gives {chosen.n_classes} classes but "
                         f"{where} outputs {alphabet.n_classes}")
    return chosen


def _has_layer(model: Any, name: str) -> bool:
    return any(layer.name == name for layer in getattr(model, "layers", ()))


def evaluate_checkpoint(config: EvaluateConfig, registries: Any = None) -> EvaluationResult:
    """Restore the checkpoint, evaluate every test file and write --test_output_file if set.

    :param registries: the plugin registries (models, sample formats); default: a fresh plugin manager's
    """
    if registries is None:
        from sttx.core.contract.plugins import get_plugin_manager

        registries = get_plugin_manager().registries()
    decoding = choose_decoder(registries.decoders, config.decoder or None, settings_of(config))
    model, alphabet = restore_model(config, registries)
    formats = registries.sample_formats
    datasets, rejects = collection_datasets(
        config.test_files, alphabet, formats, batch_size=config.test_batch_size, limit=config.limit_test,
        reverse=config.reverse_test, sample_rate=config.audio_sample_rate, model=model,
    )
    result = evaluate(model, datasets, alphabet, report_count=config.report_count,
                      bytes_mode=bool(getattr(alphabet, "is_bytes", False)), progress=config.show_progressbar,
                      decoding=decoding)
    if len(rejects):
        reasons = ", ".join(f"{reason}: {count}" for reason, count in rejects.counts().items())
        log.warning("%d of %d test samples were skipped (%s)", len(rejects), rejects.total, reasons)
    if config.test_output_file:
        write_test_output(result, Path(config.test_output_file))
    return result
