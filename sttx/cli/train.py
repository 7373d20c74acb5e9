"""`sttx train`: DeepSpeech's training flags (both spellings, absl booleans) over sttx.core.training.loop.train."""

from __future__ import annotations

import logging
import os
import shlex
import sys
from typing import Any

import click

from sttx import hookimpl
from sttx.cli.decode_options import decode_options
from sttx.cli.options import bool_option, option
from sttx.cli.types import AlphabetPath, AugmentationType, FileListType, RegisteredName, plugin_manager, without_none
from sttx.core.data.file_input import SHARD_INPUT
from sttx.core.tf_runtime import load_tensorflow
from sttx.core.training.distribution import STRATEGIES
from sttx.core.training.lr_schedule import SCHEDULES

_INT, _FLOAT, _COUNT = click.IntRange(min=0), click.FLOAT, click.IntRange(min=1)
#: dropout rates; -1 (take --dropout_rate) is the only negative value TrainConfig accepts
_SHARE, _SHARE_OR_INHERIT = click.FloatRange(0, 1, max_open=True), click.FloatRange(-1, 1, max_open=True)
#: DeepSpeech's --log_level: 0 DEBUG, 1 INFO, 2 WARN, 3 ERROR
LOG_LEVELS = {0: logging.DEBUG, 1: logging.INFO, 2: logging.WARNING, 3: logging.ERROR}

#: (flag, default, type, help) of the valued flags, DeepSpeech's names and defaults
VALUED: tuple[tuple[str, Any, Any, str], ...] = (
    ("--train_files", "", FileListType(), "Training collections, comma-separated (CSV, SDB, JSONL)."),
    ("--dev_files", "", FileListType(), "Validation collections, each reported separately."),
    ("--test_files", "", FileListType(), "Test collections, evaluated after training with the best dev weights."),
    ("--limit_train", 0, _INT, "At most this many training samples (0: all)."),
    ("--limit_dev", 0, _INT, "At most this many dev samples per file (0: all)."),
    ("--limit_test", 0, _INT, "At most this many test samples per file (0: all)."),
    ("--audio_sample_rate", 16000, _COUNT, "Rate the audio is resampled to."),
    ("--max_rejected", 0.01, click.FloatRange(min=0), "Fail when more than this share of samples is unusable."),
    ("--feature_cache", "", click.STRING, "Cache the training features at this path (tf.data cache)."),
    ("--cache_for_epochs", 0, _INT, "Rebuild the feature cache every N epochs (0: never)."),
    ("--augmentations_per_epoch", 1, _COUNT, "Augmented copies of each training sample per epoch."),
    ("--augmentation_clock", "run", click.Choice(["run", "epoch"]), "Ranges move over the run or each epoch."),
    ("--checkpoint_dir", "", click.STRING,
     "Load from and save to this dir [default: $XDG_DATA_HOME/sttx/checkpoints, as DeepSpeech's]."),
    ("--load_checkpoint_dir", "", click.STRING, "Load from this dir [default: --checkpoint_dir]."),
    ("--save_checkpoint_dir", "", click.STRING, "Save to this dir [default: --checkpoint_dir]."),
    ("--checkpoint_secs", 600, _INT, "Save a checkpoint this often during an epoch (0: only at epoch ends)."),
    ("--max_to_keep", 5, _COUNT, "train-<step> checkpoints kept."),
    ("--load_train", "auto", click.Choice(["auto", "last", "best", "init"]),
     "auto/last: latest checkpoint (then best); best: best dev; init: fresh weights."),
    ("--drop_source_layers", 0, _INT, "Re-initialise the last N layers of the loaded model (transfer)."),
    ("--freeze_source_layers", 0, _INT, "Train only the last N layers; keep the other loaded ones fixed."),
    ("--model", "deepspeech", RegisteredName("models"), "Model architecture (a registered name)."),
    ("--n_hidden", 2048, _COUNT, "Width of the hidden layers and the LSTM."),
    ("--model_size", "", click.STRING, "Size preset of the model (conformer: xs, s, m) [default: the model's]."),
    ("--conformer_dim", 0, _INT, "Conformer width (0: the preset's)."),
    ("--conformer_layers", 0, _INT, "Conformer blocks (0: the preset's)."),
    ("--conformer_heads", 0, _INT, "Conformer attention heads (0: the preset's)."),
    ("--conformer_kernel", 0, _INT, "Conformer depthwise convolution kernel, odd (0: the preset's)."),
    ("--inter_ctc_weight", 0.0, _SHARE, "Share of an intermediate CTC loss in training (0: none) "
     "[default: the model's]."),
    ("--inter_ctc_block", 0, _INT, "Block the intermediate CTC loss reads (0: the middle one)."),
    ("--relu_clip", 20.0, click.FloatRange(min=0, min_open=True), "Clip of the ReLU activations."),
    ("--dropout_rate", 0.05, _SHARE, "Dropout of layer_1 (share dropped)."),
    ("--dropout_rate2", -1.0, _SHARE_OR_INHERIT, "Dropout of layer_2 (-1: --dropout_rate)."),
    ("--dropout_rate3", -1.0, _SHARE_OR_INHERIT, "Dropout of layer_3 (-1: --dropout_rate)."),
    ("--dropout_rate4", 0.0, _SHARE, "Dropout of the LSTM's input (DeepSpeech ignored it)."),
    ("--dropout_rate5", 0.0, _SHARE, "Recurrent dropout of the LSTM (DeepSpeech ignored it)."),
    ("--dropout_rate6", -1.0, _SHARE_OR_INHERIT, "Dropout of layer_5 (-1: --dropout_rate)."),
    ("--alphabet_config_path", "", AlphabetPath(dir_okay=False),
     "Alphabet file [default: the checkpoint's, else the English one]."),
    ("--epochs", 75, _INT, "Training epochs."),
    ("--train_batch_size", 1, _COUNT, "Samples per training batch."),
    ("--dev_batch_size", 1, _COUNT, "Samples per dev batch."),
    ("--test_batch_size", 1, _COUNT, "Samples per test batch."),
    ("--learning_rate", 0.001, click.FloatRange(min=0, min_open=True), "Adam learning rate."),
    ("--lr_schedule", "constant", click.Choice(SCHEDULES),
     "Learning rate over the run: constant (DeepSpeech), or cosine / linear decay to --lr_final_ratio of it "
     "by the last step of --epochs."),
    ("--warmup_steps", 0, _INT, "Raise the learning rate linearly over the first N steps."),
    ("--lr_final_ratio", 0.01, click.FloatRange(0, 1), "Share of the learning rate that decay ends at."),
    ("--lr_hold_ratio", 0.0, click.FloatRange(0, 1), "Share of the run (after warm-up) held at the full rate "
     "before the decay starts."),
    ("--beta1", 0.9, _FLOAT, "Adam beta1."),
    ("--beta2", 0.999, _FLOAT, "Adam beta2."),
    ("--epsilon", 1e-8, _FLOAT, "Adam epsilon."),
    ("--random_seed", 4568, click.INT, "Seed of weights, batch order, augmentations and dropout."),
    ("--plateau_epochs", 10, _COUNT, "Epochs without dev improvement before the learning rate is reduced."),
    ("--plateau_reduction", 0.1, click.FloatRange(min=0, min_open=True), "Factor applied on a plateau."),
    ("--es_epochs", 25, _COUNT, "Epochs without dev improvement before early stop."),
    ("--es_min_delta", 0.05, _FLOAT, "Smallest dev loss decrease that counts as an improvement."),
    ("--log_level", 1, click.IntRange(0, 3), "0 DEBUG, 1 INFO, 2 WARN, 3 ERROR."),
    ("--summary_dir", "", click.STRING, "TensorBoard dir [default: <checkpoint dir>/summaries]."),
    ("--report_count", 5, _INT, "Best, median and worst test samples printed."),
    ("--test_output_file", "", click.Path(dir_okay=False), "Write every test sample's result to this JSON file."),
    ("--export_dir", "", click.Path(file_okay=False),
     "Export the trained model (tflite) into this dir after training."),
    ("--strategy", "auto", click.Choice(STRATEGIES),
     "tf.distribute strategy: one device, mirrored (this machine's GPUs), multi_worker (TF_CONFIG); auto: "
     "mirrored with several GPUs, multi_worker under a TF_CONFIG cluster, else one."),
    ("--cpu_devices", 0, _INT, "Split the CPU into N logical devices (N replicas with --strategy mirrored): to "
     "try a distributed setup without GPUs."),
    ("--inter_op_parallelism_threads", 0, _INT, "Threads that run independent operations at once (0: "
     "TensorFlow picks, one per core)."),
    ("--intra_op_parallelism_threads", 0, _INT, "Threads one operation (a matmul) may use (0: TensorFlow picks, "
     "one per core); 1 for each of N workers sharing N cores."),
    ("--collective_timeout", 0.0, click.FloatRange(min=0), "Seconds a multi-worker all-reduce may wait for the "
     "other workers before the run fails (0: TensorFlow's health checks only)."),
    ("--data_service", "", click.STRING, "grpc://HOST:PORT of a tf.data service dispatcher (sttx data serve) that "
     "reads a sharded corpus, decodes it and computes the features (no --augment)."),
    ("--shard_input", "auto", click.Choice(SHARD_INPUT), "How training reads shard indexes (.shards.json): file "
     "(each worker streams only its own shard files, in a new order every epoch) or sample (batches planned over "
     "the whole set, as on one device); auto: file when every --train_files entry is a shard index and several "
     "workers train."),
)
#: boolean flags: bare, with a value, or absl's --noflag
BOOLEANS: tuple[tuple[str, bool, str], ...] = (
    ("--reverse_train", False, "With --limit_train, keep the longest samples."),
    ("--reverse_dev", False, "With --limit_dev, keep the longest samples."),
    ("--reverse_test", False, "With --limit_test, keep the longest samples."),
    ("--layer_norm", False, "LayerNorm after the clipped ReLU of layers 1, 2, 3 and 5."),
    ("--feature_norm", False, "Normalise each MFCC coefficient by the training set's mean and deviation "
     "(measured when a run starts, kept in the checkpoint, folded into layer_1 on export)."),
    ("--bytes_output_mode", False, "Output UTF-8 bytes instead of an alphabet."),
    ("--force_initialize_learning_rate", False, "Use --learning_rate even when resuming."),
    ("--automatic_mixed_precision", False, "bfloat16 on CPUs that have it, float16 on GPUs."),
    ("--skip_nan", False, "Skip (and count) batches with a NaN or Inf loss instead of stopping."),
    ("--reduce_lr_on_plateau", False, "Reduce the learning rate when the dev loss stalls."),
    ("--early_stop", False, "Stop when the dev loss stalls."),
    ("--show_progressbar", True, "Progress bars on a terminal."),
    ("--use_allow_growth", True, "Let TensorFlow grow its GPU memory as needed instead of taking it all."),
    ("--train_cudnn", False, "Use Keras's cuDNN-compatible LSTM (fast on a GPU; same weights as the default)."),
)

#: DeepSpeech flags accepted so its command lines run unchanged; the export ones go to the exporter, the
#: device ones do not change training (Keras picks cuDNN by itself); the decoding flags are in decode_options
COMPAT: tuple[tuple[str, Any, Any], ...] = (
    ("--export_tflite", True, click.BOOL), ("--export_savedmodel", False, click.BOOL),
    ("--export_quantize", True, click.BOOL), ("--export_zip", False, click.BOOL),
    ("--remove_export", False, click.BOOL), ("--n_steps", 16, _COUNT), ("--export_beam_width", 500, _COUNT),
    ("--export_file_name", "output_graph", click.STRING), ("--export_author_id", "author", click.STRING),
    ("--export_model_name", "model", click.STRING), ("--export_model_version", "0.0.1", click.STRING),
    ("--export_contact_info", "", click.STRING), ("--export_license", "", click.STRING),
    ("--export_language", "", click.STRING), ("--export_description", "", click.STRING),
    ("--load_cudnn", False, click.BOOL),
    ("--log_placement", False, click.BOOL), ("--feature_win_len", 32, _COUNT),
    ("--feature_win_step", 20, _COUNT), ("--read_buffer", "1MB", click.STRING),
)
_EXPORT_PREFIXES = ("export_", "remove_export", "n_steps", "scorer")


def _compat_option(flag: str, default: Any, kind: Any) -> Any:
    if kind is click.BOOL:
        return bool_option(flag, default=default, help="Accepted for DeepSpeech compatibility.")
    return option(flag, default=default, type=kind, hidden=True, help="Accepted for DeepSpeech compatibility.")


def pop_compat(settings: dict[str, Any]) -> dict[str, Any]:
    """Remove the compatibility flags from ``settings``; returns those the exporter reads."""
    values = {flag[2:]: settings.pop(flag[2:]) for flag, _, _ in COMPAT}
    values["scorer_path"] = settings.get("scorer_path", "")  # a decoding flag that export copies as well
    for name, default in (("feature_win_len", 32), ("feature_win_step", 20)):
        if values[name] != default:
            from sttx.core.contract.errors import UsageError

            raise UsageError(f"--{name} {values[name]}: sttx computes DeepSpeech's 32 ms / 20 ms MFCC only")
    return {key: value for key, value in values.items() if key.startswith(_EXPORT_PREFIXES) and value != ""}


def train_options(function: Any) -> Any:
    """Every training flag of DeepSpeech 0.9 that sttx implements, with its default."""
    decorators = [option(flag, default=default, type=kind, help=text) for flag, default, kind, text in VALUED]
    decorators += [bool_option(flag, default=default, help=text) for flag, default, text in BOOLEANS]
    decorators.append(option("--augment", multiple=True, type=AugmentationType(allow_none=True),
                             help="An augmentation name[key=value,...]; repeat to chain; none: no augmentation "
                                  "(not even the model's default SpecAugment)."))
    # flags.txt records the compute policy; accepting it lets a run's flags.txt serve as its --flagfile
    decorators.append(option("--dtype_policy", default="float32", hidden=True,
                             help="Recorded in flags.txt; chosen from --automatic_mixed_precision (ignored here)."))
    decorators += [_compat_option(flag, default, kind) for flag, default, kind in COMPAT]
    decorators.append(decode_options)
    for decorator in reversed(decorators):
        function = decorator(function)
    return _legacy_options(function)


def _legacy_options(function: Any) -> Any:
    """DeepSpeech 0.7's fixed augmentation flags, when that plugin is available."""
    try:
        from sttx.cli.augment_options import legacy_augmentation_options
    except ImportError:
        return function
    return legacy_augmentation_options(hidden=True)(function)


def _explicit(ctx: click.Context) -> set[str]:
    sources = (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT)
    return {name for name in ctx.params if ctx.get_parameter_source(name) in sources}


@click.command("train")
@train_options
@click.pass_context
def train_command(ctx: click.Context, **settings: Any) -> None:
    """Train an acoustic model (DeepSpeech's flags); without data flags, a short run on the shipped sample corpus.

    Run it again with the same --checkpoint_dir to continue exactly where it stopped.
    """
    load_tensorflow(quiet=settings["log_level"] > 0)  # before any module that imports it
    from sttx.core.training import sample_job
    from sttx.core.training.checkpoint_dirs import default_dir_line, fill_default_checkpoint_dir
    from sttx.core.training.config import TrainConfig, with_model_defaults
    from sttx.core.training.loop import train

    # TensorFlow's own C++ logging follows --log_level, as in DeepSpeech (set before TensorFlow loads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", str(max(settings["log_level"], 2)))
    _legacy_to_augment(ctx, settings)
    settings["augment"] = without_none(tuple(settings["augment"]))
    export_settings = pop_compat(settings)
    logging.getLogger("sttx").setLevel(LOG_LEVELS[settings["log_level"]])
    registries = plugin_manager(ctx).registries()
    # DeepSpeech 0.7's augmentation flags count as --augment: a model's default augmentations must not replace them
    explicit = _explicit(ctx) | ({"augment"} if settings["augment"] else set())
    settings = with_model_defaults(settings, registries.models.get(settings["model"]), explicit,
                                   registries.augmentations.parse)
    sample = sample_job.is_sample_job(settings)
    if sample:
        settings = sample_job.sample_settings(settings, explicit)
        click.echo(f"No --train_files given: training on the sample corpus {sample_job.SAMPLE_CSV} "
                   f"(checkpoints in {settings['checkpoint_dir']})")
    else:
        default_dir = fill_default_checkpoint_dir(settings)
        if default_dir is not None:
            click.echo(default_dir_line(default_dir))
    config = TrainConfig(**settings)
    result = train(config, registries)
    if result.interrupted:
        args = shlex.join(["sttx", "train", *_original_args(sample, config)])
        click.echo(f"Stopped by {result.interrupted} at global step {result.global_step}; checkpoint saved to "
                   f"{result.checkpoint}. Resume with: {args}")
        return
    click.echo(f"FINISHED training: {result.epochs_completed} epochs, global step {result.global_step}, "
               f"{result.seconds:.0f} s" + (f", {result.nan_skipped} batches skipped (NaN/Inf)"
                                            if result.nan_skipped else ""))
    if config.export_dir and result.chief:
        _export(ctx, config, export_settings, tflite_by_default="export_tflite" not in explicit)
    if sample and result.test is not None:
        click.echo(f"Sample corpus WER {result.test.wer:.3f}, CER {result.test.cer:.3f} on its own training clips "
                   "(an overfit check)")
        click.echo(sample_job.NEXT_STEPS)


def _original_args(sample: bool, config: Any) -> list[str]:
    """The command line to resume: as typed, plus the sample job's checkpoint dir."""
    args = sys.argv[2:] if len(sys.argv) > 1 and sys.argv[1] == "train" else []
    if sample and "--checkpoint_dir" not in " ".join(args):
        args += ["--checkpoint_dir", config.checkpoint_dir]
    return args


def _legacy_to_augment(ctx: click.Context, settings: dict[str, Any]) -> None:
    """Fold DeepSpeech 0.7's augmentation flags into --augment."""
    try:
        from sttx.cli.augment_options import pop_legacy_augmentations
    except ImportError:
        return
    specs = pop_legacy_augmentations(settings)
    if specs:
        parse = AugmentationType().convert
        settings["augment"] = (*settings["augment"], *(parse(spec, None, ctx) for spec in specs))


def _export(ctx: click.Context, config: Any, settings: dict[str, Any], *, tflite_by_default: bool = False) -> None:
    """Export the best dev checkpoint (else the latest) into --export_dir, as ``sttx export`` would."""
    import attrs

    from sttx.core.inference.export import export_model, formats_from_flags
    from sttx.core.inference.model_source import ExportSource

    formats = formats_from_flags(settings.pop("export_tflite", True), settings.pop("export_savedmodel", False))
    source = ExportSource.from_checkpoint_dir(config.save_dir, dev_files=config.dev_files or config.train_files)
    exported = export_model(source, {**attrs.asdict(config), **settings}, config.export_dir, formats,
                            registry=plugin_manager(ctx).registries().exporters,
                            scorer_path=settings.get("scorer_path") or None,
                            zip_it=bool(settings.get("export_zip")), remove_export=bool(settings.get("remove_export")),
                            tflite_by_default=tflite_by_default)
    for name, paths in exported.files.items():
        click.echo(f"exported {name}: {', '.join(str(path) for path in paths)}")


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add ``sttx train``."""
    cli.add_command(train_command)
