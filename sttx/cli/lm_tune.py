"""`sttx lm tune`: find lm_alpha and lm_beta for a scorer on test files (DeepSpeech's lm_optimizer, cached)."""

from __future__ import annotations

from typing import Any

import click

from sttx import hookimpl
from sttx.cli.lm import lm_group
from sttx.cli.options import bool_option, option
from sttx.cli.types import FileListType, plugin_manager


@click.command("tune")
@option("--test_files", type=FileListType(), required=True, help="Collections to tune on (comma-separated).")
@option("--checkpoint_dir", "--load_checkpoint_dir", "checkpoint_dir", default="", show_default=False,
        help="A training run's checkpoint dir (best dev, else latest).")
@option("--model", default="", show_default=False, help="Or an exported model: .tflite, export dir, SavedModel.")
@option("--scorer_path", "--scorer", "scorer_path", required=True,
        help="The .scorer whose weights are tuned (an ARPA file works, without --update_scorer).")
@option("--n_trials", type=click.IntRange(min=1), default=2400, help="Optuna trials.")
@option("--lm_alpha_max", type=click.FloatRange(min=0, min_open=True), default=5.0, help="Largest lm_alpha tried.")
@option("--lm_beta_max", type=click.FloatRange(min=0, min_open=True), default=5.0, help="Largest lm_beta tried.")
@option("--beam_width", type=click.IntRange(min=1), default=1024, help="Beam width of the decoder.")
@option("--cutoff_prob", type=click.FloatRange(0, 1, min_open=True), default=1.0, help="As for evaluate.")
@option("--cutoff_top_n", type=click.IntRange(min=1), default=300, help="As for evaluate.")
@bool_option("--update_scorer", help="Write the best pair into the scorer as its default weights.")
@bool_option("--exact_trials", help="Decode every utterance in every trial (DeepSpeech's way) instead of rescoring "
             "the candidates of a few decodes; slower, same final check.")
@option("--cache_dir", default="", show_default=False,
        help="Where the model's outputs are cached [default: ~/.cache/sttx/lm_tune].")
@option("--test_batch_size", type=click.IntRange(min=1), default=1, help="Samples per batch of the model.")
@option("--random_seed", type=int, default=4568, help="Seed of the search.")
@option("--workers", type=click.IntRange(min=1), default=None, show_default=False,
        help="Decoding processes [default: one per core].")
@bool_option("--show_progressbar", default=True, help="Progress bars on a terminal.")
@click.pass_context
def tune_command(ctx: click.Context, **settings: Any) -> None:
    """Search lm_alpha and lm_beta (optuna) minimising the WER of a model with a scorer on --test_files.

    The model runs once; its outputs are cached under a fingerprint of the model's files and the collections, so
    a second search on the same model and data does not run it again. Trials rescore the candidates of five
    decodes; the best three pairs are decoded for real and the best real WER is reported.
    """
    from sttx.core.inference.lm.tune import TuneConfig, tune
    from sttx.core.tf_runtime import load_tensorflow

    config = TuneConfig(**settings)
    load_tensorflow()
    result = tune(config, plugin_manager(ctx).registries())
    source = "cached outputs" if result.from_cache else f"the model's outputs ({result.model_seconds:.1f} s)"
    alpha, beta, error = result.start
    click.echo(f"{result.trials} trials on {source} in {result.search_seconds:.1f} s; the scorer's own "
               f"lm_alpha={alpha} and lm_beta={beta} gave {result.metric}={error}")
    click.echo(result.best_line())
    if config.update_scorer:
        click.echo(f"wrote lm_alpha={result.lm_alpha} and lm_beta={result.lm_beta} into {config.scorer_path}")


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add ``sttx lm tune``."""
    lm_group(cli).add_command(tune_command)
