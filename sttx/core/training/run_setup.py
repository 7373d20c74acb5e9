"""Setting up a training run: the alphabet, the input pipelines, the model and optimizer, the first line."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from sttx.core.contract.errors import UsageError
from sttx.core.data.rejects import RejectLog
from sttx.core.training.checkpoints import CheckpointMismatchError

log = logging.getLogger(__name__)


@attrs.define
class RunData:
    """The pipelines of a run: train (or None), dev and test by file, and the shared reject log."""

    train: Any
    train_batches: int
    train_count: int
    dev: dict[str, Any]
    test: dict[str, Any]
    rejects: RejectLog
    #: how the training set is read: ``sample`` (planned batches) or ``file/W`` (W workers, each its own files)
    layout: str = "sample"


def resolve_alphabet(config: Any) -> Any:
    """--bytes_output_mode, else --alphabet_config_path, else the load dir's alphabet.txt, else the default."""
    from sttx.core.data.alphabet import load_alphabet

    if config.bytes_output_mode:
        return load_alphabet(None, bytes_mode=True)
    saved = Path(config.load_dir) / "alphabet.txt" if config.load_dir else None
    path = config.alphabet_config_path or (str(saved) if saved is not None and saved.is_file() else None)
    return load_alphabet(path)


def check_alphabet(directory: Path, alphabet: Any, output_dropped: bool) -> None:
    """Refuse a checkpoint trained for other labels (same count, other characters) unless layer_6 is dropped."""
    from sttx.core.data.alphabet import Alphabet

    saved = directory / "alphabet.txt"
    if output_dropped or alphabet.is_bytes or not saved.is_file():
        return
    trained = Alphabet.from_file(saved)
    if trained != alphabet:
        raise CheckpointMismatchError(
            f"{directory} was trained with the alphabet {saved} ({trained.size} labels), which differs from "
            f"{alphabet.source or 'this one'} ({alphabet.size} labels), so layer_6/kernel and layer_6/bias do not "
            f"match: pass --alphabet_config_path {saved}, or --drop_source_layers 1 to retrain the output layer")


def model_layers(config: Any, registries: Any) -> tuple[str, ...]:
    """The transfer layers of --model in order (DeepSpeech's when the architecture declares none)."""
    from sttx.core.training.transfer import LAYERS

    return registries.models.get(config.model).layer_order(config) or LAYERS


def _pipeline(refs: Any, alphabet: Any, config: Any, rejects: RejectLog, *, train: bool, which: str,
              architecture: Any = None, replicas: int = 1) -> Any:
    from sttx.core.data.pipeline import make_dataset

    front = {} if architecture is None else {"front_end": architecture.front_end,
                                              "time_reduction": architecture.time_reduction}
    return make_dataset(
        refs, alphabet, batch_size=getattr(config, f"{which}_batch_size") * replicas, train=train,
        augmentations=config.augment if train else (), seed=config.random_seed, epochs=max(1, config.epochs),
        clock=config.augmentation_clock, feature_cache=(config.feature_cache or None) if train else None,
        cache_for_epochs=config.cache_for_epochs, augmentations_per_epoch=config.augmentations_per_epoch,
        sample_rate=config.audio_sample_rate, rejects=rejects, limit=getattr(config, f"limit_{which}"),
        reverse=getattr(config, f"reverse_{which}"), **front,
        data_service=getattr(config, "data_service", "") if train else "",
    )


def load_data(config: Any, registries: Any, alphabet: Any, *, replicas: int = 1, chief: bool = True,
              workers: int = 1) -> RunData:
    """Read the collections and build their pipelines (dev and test one per file, as DeepSpeech reports them).

    Training batches are planned global: --train_batch_size per replica times ``replicas``; or, read by file
    (--shard_input), each of the ``workers`` input pipelines streams its own shard files. Only the chief writes
    rejects.csv.
    """
    from sttx.core.data.collections import read_collection

    formats = registries.sample_formats
    architecture = registries.models.get(config.model)
    path = Path(config.save_dir) / "rejects.csv" if config.save_dir and config.train_files and chief else None
    rejects = RejectLog(path)
    train, batches, count, layout = None, 0, 0, "sample"
    if config.train_files:
        train = _train_pipeline(config, formats, alphabet, rejects, architecture, replicas=replicas, workers=workers)
        layout = getattr(train, "layout", "sample")
        batches, count = train.batches_per_epoch(), len(train.ordered)
    dev = {name: _pipeline(read_collection(name, formats), alphabet, config, rejects, train=False, which="dev",
                           architecture=architecture) for name in config.dev_files}
    test = {name: _pipeline(read_collection(name, formats), alphabet, config, rejects, train=False, which="test",
                            architecture=architecture) for name in config.test_files}
    return RunData(train, batches, count, dev, test, rejects, layout)


def _train_pipeline(config: Any, formats: Any, alphabet: Any, rejects: RejectLog, architecture: Any, *,
                    replicas: int, workers: int) -> Any:
    """The training pipeline: planned global batches, or by file (sttx.core.data.file_stream)."""
    from sttx.core.data.collections import read_collection

    parts = [(name, read_collection(name, formats)) for name in config.train_files]
    refs = [ref for _, rows in parts for ref in rows]
    layouts = [formats.for_path(name)[1].layout for name, _ in parts]
    if input_mode(config, all(layout is not None for layout in layouts), workers) == "sample":
        return _pipeline(refs, alphabet, config, rejects, train=True, which="train", architecture=architecture,
                         replicas=replicas)
    from sttx.core.data.file_input import combine
    from sttx.core.data.file_stream import ByFileEpochs

    firsts = np.cumsum([0, *(len(rows) for _, rows in parts)])
    fileset = combine([(name, make(Path(name)), int(first))
                       for (name, _), make, first in zip(parts, layouts, firsts, strict=False)])
    base = _pipeline(refs, alphabet, config, rejects, train=True, which="train", architecture=architecture)
    return ByFileEpochs(base, fileset, workers=workers, local=replicas // max(1, workers))


def input_mode(config: Any, all_sharded: bool, workers: int) -> str:
    """``file`` or ``sample`` for --shard_input (auto: file when every training collection is sharded, several
    workers read it, and no option that needs the whole set's batch plan is set)."""
    options = (("--feature_cache", config.feature_cache), ("--data_service", getattr(config, "data_service", "")),
               ("--limit_train", config.limit_train), ("--reverse_train", config.reverse_train))
    planned = [flag for flag, value in options if value]
    mode = config.shard_input
    if mode == "auto":
        return "file" if all_sharded and workers > 1 and not planned else "sample"
    if mode == "file" and not all_sharded:
        raise UsageError("--shard_input file reads sharded corpora only: every --train_files entry must be a shard "
                         "index (sttx data convert SRC... X.shards.json --shards N)")
    if mode == "file" and planned:
        raise UsageError(f"--shard_input file streams shard files front to back; {', '.join(planned)} need(s) the "
                         "batch plan of --shard_input sample")
    return mode


def build_model_and_optimizer(config: Any, registries: Any, alphabet: Any,
                              strategy: Any = None) -> tuple[Any, Any, Any]:
    """The model from --model, Adam built over its trainable variables, inside the distribution strategy's scope.

    --freeze_source_layers marks its layers non-trainable first, so they get neither gradients nor Adam slots.
    """
    import keras
    import tensorflow as tf

    from sttx.core.training.train_step import make_optimizer
    from sttx.core.training.transfer import apply_freeze

    architecture = registries.models.get(config.model)
    strategy = strategy or tf.distribute.get_strategy()
    keras.utils.set_random_seed(config.random_seed)  # the initial weights depend on the seed only
    with strategy.scope():
        model = architecture.create(config, alphabet.n_classes, config.model)
        apply_freeze(model, getattr(config, "freeze_source_layers", 0), getattr(config, "drop_source_layers", 0),
                     model_layers(config, registries))
        optimizer = make_optimizer(config, config.dtype_policy)
        optimizer.build(model.trainable_variables)
    return model, optimizer, strategy


def device_text(strategy: Any) -> str:
    """``CPU (2 cores)`` or the GPUs in use."""
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if gpus:
        return f"{len(gpus)} GPU{'s' if len(gpus) > 1 else ''} ({strategy.num_replicas_in_sync} replicas)"
    replicas = strategy.num_replicas_in_sync
    return f"CPU ({os.cpu_count()} cores" + (f", {replicas} replicas)" if replicas > 1 else ")")


def describe_run(config: Any, model: Any, data: RunData, strategy: Any) -> str:
    """The first line of a run: model and size, data set sizes, device and precision."""
    from sttx.core.training.precision import describe

    def sizes(sets: dict[str, Any]) -> str:
        return str(sum(len(p.ordered) for p in sets.values())) + " samples" if sets else "none"

    train = f"{data.train_count} samples in {data.train_batches} batches" if data.train is not None else "none"
    if getattr(data.train, "by_file", False):
        train += f" ({data.train.describe()})"
    size = f"n_hidden {config.n_hidden}" if config.model == "deepspeech" else f"size {config.model_size or 'default'}"
    return (f"sttx train: {config.model} model, {model.count_params():,} parameters ({size}); "
            f"train {train}, dev {sizes(data.dev)}, test {sizes(data.test)}; "
            f"{device_text(strategy)}, {describe(config.dtype_policy)}")


def measure_features(config: Any, model: Any, train: Any) -> None:
    """A new run with --feature_norm: set the model's feature normalisation from the training set."""
    from sttx.core.contract.errors import SttxError
    from sttx.core.data import feature_stats
    from sttx.core.training.acoustic_weights import FEATURE_NORM

    if not config.feature_norm or train is None:
        return
    try:
        layer = model.get_layer(FEATURE_NORM)
    except ValueError:
        raise SttxError(f"--feature_norm: the {config.model} model has no {FEATURE_NORM} layer") from None
    mean, scale = feature_stats.measure([train.refs[i] for i in train.ordered], config.audio_sample_rate)
    layer.set_weights([mean, scale])
    log.info("feature normalisation: mean %s, scale %s", mean.round(2).tolist(), scale.round(3).tolist())
