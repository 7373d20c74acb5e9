"""TrainConfig: every `sttx train` setting with DeepSpeech's names and defaults, passed explicitly (no global FLAGS)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from sttx.core.contract.decoding import settings_of
from sttx.core.contract.errors import UsageError
from sttx.core.data.file_input import SHARD_INPUT
from sttx.core.training.checkpoint_dirs import check_dir_flags
from sttx.core.training.distribution import STRATEGIES
from sttx.core.training.lr_schedule import SCHEDULES

LOAD_TRAIN = ("auto", "last", "best", "init")
#: the dirs a run creates and writes into (an existing file there is a usage error, not a traceback)
_WRITTEN_DIRS = ("checkpoint_dir", "save_checkpoint_dir", "summary_dir", "export_dir")


def _files(value: Any) -> tuple[str, ...]:
    """``a.csv,b.csv``, a list of such strings, or None -> a tuple of file names."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str | Path) else list(value)
    return tuple(name.strip() for item in items for name in str(item).split(",") if name.strip())


def _check_load_train(instance: Any, attribute: Any, value: str) -> None:
    if value not in LOAD_TRAIN:  # DeepSpeech silently turned other values into auto
        raise UsageError(f"--load_train {value!r} is not one of {', '.join(LOAD_TRAIN)}")


def _non_negative(instance: Any, attribute: Any, value: float) -> None:
    if value < 0:
        raise UsageError(f"--{attribute.name} must not be negative, not {value}")


_unit_interval = attrs.validators.and_(attrs.validators.ge(0.0), attrs.validators.le(1.0))


def _positive(instance: Any, attribute: Any, value: float) -> None:
    if value <= 0:
        raise UsageError(f"--{attribute.name} must be positive, not {value}")


def _share(instance: Any, attribute: Any, value: float) -> None:
    if not 0 <= value < 1:  # a rate of 1 drops everything; Keras would fail much later, while building the model
        raise UsageError(f"--{attribute.name} {value}: a dropout rate must be in [0, 1)")


def _loss_share(instance: Any, attribute: Any, value: float) -> None:
    if not 0 <= value < 1:  # at 1 the final output layer would get no gradient
        raise UsageError(f"--{attribute.name} {value}: a share of the loss must be in [0, 1)")


def _share_or_inherit(instance: Any, attribute: Any, value: float) -> None:
    if value != -1:  # DeepSpeech's -1: the same as --dropout_rate
        _share(instance, attribute, value)


@attrs.frozen(kw_only=True)
class TrainConfig:
    """The effective configuration of one training run; ``to_flags_text()`` is what flags.txt records."""

    # data
    train_files: tuple[str, ...] = attrs.field(default=(), converter=_files)
    dev_files: tuple[str, ...] = attrs.field(default=(), converter=_files)
    test_files: tuple[str, ...] = attrs.field(default=(), converter=_files)
    limit_train: int = attrs.field(default=0, validator=_non_negative)
    limit_dev: int = attrs.field(default=0, validator=_non_negative)
    limit_test: int = attrs.field(default=0, validator=_non_negative)
    reverse_train: bool = False
    reverse_dev: bool = False
    reverse_test: bool = False
    audio_sample_rate: int = attrs.field(default=16000, validator=_positive)
    max_rejected: float = attrs.field(default=0.01, validator=_non_negative)
    feature_cache: str = ""
    cache_for_epochs: int = attrs.field(default=0, validator=_non_negative)
    augment: tuple[Any, ...] = attrs.field(default=(), converter=tuple)
    augmentations_per_epoch: int = attrs.field(default=1, validator=_positive)
    augmentation_clock: str = "run"
    # checkpoints
    checkpoint_dir: str = ""
    load_checkpoint_dir: str = ""
    save_checkpoint_dir: str = ""
    checkpoint_secs: int = attrs.field(default=600, validator=_non_negative)
    max_to_keep: int = attrs.field(default=5, validator=_positive)
    load_train: str = attrs.field(default="auto", validator=_check_load_train)
    drop_source_layers: int = attrs.field(default=0, validator=_non_negative)
    freeze_source_layers: int = attrs.field(default=0, validator=_non_negative)
    force_initialize_learning_rate: bool = False
    export_dir: str = ""
    # model
    model: str = "deepspeech"
    #: a model plugin's size preset and geometry overrides (0: the preset's); DeepSpeech uses --n_hidden
    model_size: str = ""
    conformer_dim: int = attrs.field(default=0, validator=_non_negative)
    conformer_layers: int = attrs.field(default=0, validator=_non_negative)
    conformer_heads: int = attrs.field(default=0, validator=_non_negative)
    conformer_kernel: int = attrs.field(default=0, validator=_non_negative)
    #: intermediate CTC: its share of the loss (0: none) and the block it taps (0: the model's choice)
    inter_ctc_weight: float = attrs.field(default=0.0, validator=_loss_share)
    inter_ctc_block: int = attrs.field(default=0, validator=_non_negative)
    n_hidden: int = attrs.field(default=2048, validator=_positive)
    relu_clip: float = attrs.field(default=20.0, validator=_positive)
    layer_norm: bool = False
    feature_norm: bool = False
    dropout_rate: float = attrs.field(default=0.05, validator=_share)
    dropout_rate2: float = attrs.field(default=-1.0, validator=_share_or_inherit)
    dropout_rate3: float = attrs.field(default=-1.0, validator=_share_or_inherit)
    dropout_rate4: float = attrs.field(default=0.0, validator=_share)
    dropout_rate5: float = attrs.field(default=0.0, validator=_share)
    dropout_rate6: float = attrs.field(default=-1.0, validator=_share_or_inherit)
    alphabet_config_path: str = ""
    bytes_output_mode: bool = False
    # optimisation
    epochs: int = attrs.field(default=75, validator=_non_negative)
    train_batch_size: int = attrs.field(default=1, validator=_positive)
    dev_batch_size: int = attrs.field(default=1, validator=_positive)
    test_batch_size: int = attrs.field(default=1, validator=_positive)
    learning_rate: float = attrs.field(default=0.001, validator=_positive)
    lr_schedule: str = attrs.field(default="constant", validator=attrs.validators.in_(SCHEDULES))
    warmup_steps: int = attrs.field(default=0, validator=_non_negative)
    lr_final_ratio: float = attrs.field(default=0.01, validator=_unit_interval)
    lr_hold_ratio: float = attrs.field(default=0.0, validator=_unit_interval)
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    automatic_mixed_precision: bool = False
    random_seed: int = 4568
    skip_nan: bool = False
    reduce_lr_on_plateau: bool = False
    plateau_epochs: int = attrs.field(default=10, validator=_positive)
    plateau_reduction: float = attrs.field(default=0.1, validator=_positive)
    early_stop: bool = False
    es_epochs: int = attrs.field(default=25, validator=_positive)
    es_min_delta: float = 0.05
    # distribution and devices
    strategy: str = attrs.field(default="auto", validator=attrs.validators.in_(STRATEGIES))
    cpu_devices: int = attrs.field(default=0, validator=_non_negative)
    collective_timeout: float = attrs.field(default=0.0, validator=_non_negative)
    inter_op_parallelism_threads: int = attrs.field(default=0, validator=_non_negative)
    intra_op_parallelism_threads: int = attrs.field(default=0, validator=_non_negative)
    data_service: str = ""
    shard_input: str = attrs.field(default="auto", validator=attrs.validators.in_(SHARD_INPUT))
    use_allow_growth: bool = True
    train_cudnn: bool = False
    # reporting
    log_level: int = 1
    show_progressbar: bool = True
    summary_dir: str = ""
    report_count: int = attrs.field(default=5, validator=_non_negative)
    test_output_file: str = ""
    # decoding of --test_files (dev sets are always decoded greedily: it is cheap and only tracks progress)
    decoder: str = ""
    scorer_path: str = ""
    beam_width: int = 1024
    lm_alpha: float | None = None
    lm_beta: float | None = None
    cutoff_prob: float = 1.0
    cutoff_top_n: int = 300
    hot_words: str = ""
    #: the Keras dtype policy the run computes in (derived from --automatic_mixed_precision and the device)
    dtype_policy: str = "float32"

    def __attrs_post_init__(self) -> None:
        if self.bytes_output_mode and self.alphabet_config_path:
            raise UsageError("--bytes_output_mode and --alphabet_config_path exclude each other")
        if not self.save_dir and self.train_files:
            raise UsageError("training needs --checkpoint_dir (or --save_checkpoint_dir)")
        settings_of(self)  # a bad decoding flag fails before training starts
        check_dir_flags(attrs.asdict(self, recurse=False), _WRITTEN_DIRS)
        self._check_transfer()

    def _check_transfer(self) -> None:
        from sttx.core.training.transfer import frozen_layers

        frozen_layers(self.freeze_source_layers, self.drop_source_layers)  # refuses freezing dropped layers
        if self.drop_source_layers and self.load_dir and Path(self.load_dir).resolve() == Path(self.save_dir or
                                                                                              ".").resolve():
            raise UsageError(
                f"--drop_source_layers {self.drop_source_layers} needs the source as --load_checkpoint_dir and "
                "another --save_checkpoint_dir (the layers would be dropped again at every restart)")

    @property
    def load_dir(self) -> str:
        """Where checkpoints are loaded from: --load_checkpoint_dir, else --checkpoint_dir."""
        return self.load_checkpoint_dir or self.checkpoint_dir

    @property
    def save_dir(self) -> str:
        """Where checkpoints are written: --save_checkpoint_dir, else --checkpoint_dir."""
        return self.save_checkpoint_dir or self.checkpoint_dir

    @property
    def data_files(self) -> tuple[str, ...]:
        """Every collection of the run: train, dev and test files, in that order."""
        return (*self.train_files, *self.dev_files, *self.test_files)

    @property
    def summaries(self) -> str:
        """The TensorBoard directory: --summary_dir, else ``<save dir>/summaries``."""
        return self.summary_dir or (str(Path(self.save_dir) / "summaries") if self.save_dir else "")

    def to_flags_text(self) -> str:
        """DeepSpeech's flags.txt format: one ``--name=value`` per line, sorted; file lists comma-separated."""
        lines: list[str] = []
        for field in attrs.fields(type(self)):
            value = getattr(self, field.name)
            if value is None:  # an unset --lm_alpha / --lm_beta: the scorer's own value applies
                continue
            if field.name == "augment":  # one line each, as absl writes a repeated flag (specs hold commas)
                lines.extend(f"--augment={_spec_text(item)}" for item in value)
                continue
            if isinstance(value, tuple):
                value = ",".join(value)
            elif isinstance(value, bool):
                value = str(value).lower()
            lines.append(f"--{field.name}={value}")
        return "\n".join(sorted(lines, key=lambda line: line.split("=", 1)[0])) + "\n"  # --augment keeps its order


def _spec_text(item: Any) -> str:
    """An augmentation as its grammar text; file names as themselves."""
    to_spec = getattr(item, "to_spec", None)
    return str(to_spec()) if callable(to_spec) else str(item)


#: geometry flags that only a model plugin declaring them (``ModelArchitecture.settings``) reads
PLUGIN_GEOMETRY = ("model_size", "conformer_dim", "conformer_layers", "conformer_heads", "conformer_kernel",
                   "inter_ctc_weight", "inter_ctc_block")


def with_model_defaults(settings: dict[str, Any], architecture: Any, explicit: set[str],
                        parse_augmentation: Any = None) -> dict[str, Any]:
    """``settings`` with the model's declared defaults for every flag the user did not give.

    DeepSpeech declares none, so its runs are unchanged. ``augment`` defaults are grammar strings, turned into
    augmentations with ``parse_augmentation`` (the registry's ``parse``). A geometry flag of another model
    (``--model_size`` for deepspeech) is a usage error rather than silently ignored.
    """
    model = settings.get("model", "deepspeech")
    for name in PLUGIN_GEOMETRY:
        if name in explicit and settings.get(name) and name not in architecture.settings:
            sized = model == "deepspeech" and not name.startswith("inter_ctc")
            raise UsageError(f"--{name}: the {model} model does not use it"
                             + (" (its width is --n_hidden)" if sized else ""))
    merged = dict(settings)
    for name, value in architecture.defaults.items():
        if name in explicit:
            continue
        if name == "augment":
            value = tuple(parse_augmentation(spec) if isinstance(spec, str) and parse_augmentation else spec
                          for spec in value)
        merged[name] = value
    return merged
