"""The whole plugin contract: every hook a plugin can implement, typed and documented.

Each ``register_*`` hook receives a typed registry and adds contributions to it; names must be unique across
plugins, so a grammar token or ``--model`` value never changes meaning with install order. Types are imported
only for type checking, so importing this module never imports TensorFlow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from sttx.core.contract.registry import (
        AugmentationRegistry,
        DecoderRegistry,
        ExporterRegistry,
        ImporterRegistry,
        LabelValidatorRegistry,
        ModelRegistry,
        SampleFormatRegistry,
    )

hookspec = pluggy.HookspecMarker("sttx")


@hookspec
def register_augmentations(register: AugmentationRegistry) -> None:
    """Register augmentation classes usable as ``--augment name[key=value,...]``.

    Each class subclasses :class:`sttx.core.contract.augmentation.Augmentation`, is ``@attrs.frozen(kw_only=True)`` and
    declares its parameters with :func:`sttx.core.contract.augmentation.param`; the grammar validates against them.

    :param register: call ``register.add("reverb", Reverb)``; the name is the grammar token
    """


@hookspec
def register_importers(register: ImporterRegistry) -> None:
    """Register corpus importers run as ``sttx import NAME ...``.

    :param register: call ``register.add("cv", Importer(prepare=prepare_cv, command=cv_command))``
    """


@hookspec
def register_models(register: ModelRegistry) -> None:
    """Register acoustic-model architectures chosen with ``--model NAME``.

    :param register: call ``register.add("deepspeech", ModelArchitecture(build=build_model))``
    """


@hookspec
def register_exporters(register: ExporterRegistry) -> None:
    """Register export formats written by ``sttx export`` and ``sttx train --export_dir``.

    :param register: call ``register.add("tflite", Exporter(export=export_tflite))``
    """


@hookspec
def register_label_validators(register: LabelValidatorRegistry) -> None:
    """Register label validators by locale, chosen with ``--validate_label_locale NAME``.

    A validator takes a transcript and returns it cleaned, or None to reject the row.

    :param register: call ``register.add("de", validate_label_de)``
    """


@hookspec
def register_sample_formats(register: SampleFormatRegistry) -> None:
    """Register sample-collection formats (CSV, SDB, JSONL...) read by ``--train_files`` and friends.

    :param register: call ``register.add("csv", SampleFormat(extensions=(".csv",), read=read_csv))``
    """


@hookspec
def register_decoders(register: DecoderRegistry) -> None:
    """Register CTC decoders chosen with ``--decoder NAME`` on ``sttx evaluate``, ``transcribe`` and ``train``.

    ``create(settings, alphabet)`` gets a :class:`sttx.core.contract.decoding.DecodeSettings` (DeepSpeech's
    ``--beam_width``, ``--scorer_path``, ``--lm_alpha``...) and returns an object with
    ``decode(log_probs [T, C], num_results) -> list[Hypothesis]``; the blank is the last class.

    :param register: call ``register.add("beam", DecoderFactory(create=make_beam, uses_scorer=True))``
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands or command groups to the ``sttx`` CLI.

    Import heavy libraries (TensorFlow) inside the command, never at module level, so ``sttx --help`` stays fast.

    :param cli: the root ``sttx`` click group; call ``cli.add_command(...)`` or decorate ``@cli.command()``
    """
