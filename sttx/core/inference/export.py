"""Export a trained model: run the chosen exporter plugins, write the model card, add the scorer, zip."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from sttx.core.contract.errors import UsageError
from sttx.core.inference.scorer import check_scorer, read_scorer

log = logging.getLogger(__name__)


@attrs.frozen
class ExportResult:
    """Files written, per format, plus the model card and the zip (when asked for)."""

    files: dict[str, list[Path]]
    model_card: Path
    zip_file: Path | None = None


def formats_from_flags(export_tflite: bool, export_savedmodel: bool, extra: Sequence[str] = ()) -> list[str]:
    """Coqui's booleans plus any ``--export_format NAME``; at least one format is required."""
    formats = [name for name, on in (("tflite", export_tflite), ("savedmodel", export_savedmodel)) if on]
    formats += [name for name in extra if name not in formats]
    if not formats:
        raise UsageError("nothing to export: pass --export_tflite, --export_savedmodel or --export_format NAME")
    return formats


def _prepare_dir(export_dir: Path, *, zip_it: bool, remove_export: bool) -> None:
    if remove_export and export_dir.exists():
        shutil.rmtree(export_dir)
    if zip_it and export_dir.exists() and any(export_dir.iterdir()):
        raise UsageError(f"--export_zip needs an empty --export_dir, but {export_dir} holds files")
    export_dir.mkdir(parents=True, exist_ok=True)


def export_model(
    model_state: Any,
    config: Any,
    export_dir: str | Path,
    formats: Sequence[str],
    *,
    registry: Any,
    scorer_path: str | Path | None = None,
    zip_it: bool = False,
    remove_export: bool = False,
    tflite_by_default: bool = False,
) -> ExportResult:
    """Write every format to ``export_dir`` (each checked for parity as it is written), the card, the zip.

    :param model_state: an ExportSource, a checkpoint dir, or anything with ``model`` and ``alphabet``
    :param registry: the exporter registry (``pm.registries().exporters``)
    :param tflite_by_default: ``tflite`` is in ``formats`` only as --export_tflite's default, so a model libstt
        cannot run gets the whole-utterance ``tflite_offline`` instead of a usage error
    """
    from sttx.core.inference.export_options import ExportOptions
    from sttx.core.inference.model_card import write_model_card
    from sttx.core.inference.model_source import ExportSource

    exporters = {name: registry.get(name) for name in formats}  # unknown names fail before any work
    scorer_info = read_scorer(scorer_path) if scorer_path else None  # a bad scorer fails before any work too
    source = ExportSource.coerce(model_state)
    exporters = accepted_exporters(exporters, source.architecture, registry, tflite_by_default)
    if scorer_info is not None:
        check_scorer(scorer_info, source.alphabet)  # libstt would take a scorer for another alphabet silently
    target = Path(export_dir)
    _prepare_dir(target, zip_it=zip_it, remove_export=remove_export)
    files = {name: list(exporter.export(source, config, target)) for name, exporter in exporters.items()}
    runtime = "tflite" if "tflite" in exporters else "tensorflow"
    card = write_model_card(ExportOptions.from_config(config), target, runtime)
    scorer = copy_scorer(scorer_path, target)
    if scorer is not None:
        files["scorer"] = [scorer]
    archive = None
    if zip_it:
        archive = Path(shutil.make_archive(str(target), "zip", root_dir=target))
        log.info("zipped the export to %s", archive)
    return ExportResult(files, card, archive)


#: what a model libstt cannot run exports as when --export_tflite is only on by default
UTTERANCE_TFLITE = "tflite_offline"


def accepted_exporters(exporters: dict[str, Any], model: str, registry: Any, tflite_by_default: bool) -> dict[str, Any]:
    """``exporters`` checked against the model: an exporter that does not take it is a usage error naming why and
    the exporters that do (the default ``tflite`` becomes ``tflite_offline`` when that one takes the model)."""
    checked: dict[str, Any] = {}
    for name, exporter in exporters.items():
        accepts = getattr(exporter, "accepts", None)
        if accepts is None or accepts(model):
            checked[name] = exporter
            continue
        if name == "tflite" and tflite_by_default and UTTERANCE_TFLITE in registry \
                and registry.get(UTTERANCE_TFLITE).accepts(model):
            log.info("a %s model does not fit libstt's .tflite: exporting %s instead", model, UTTERANCE_TFLITE)
            checked[UTTERANCE_TFLITE] = registry.get(UTTERANCE_TFLITE)
            continue
        others = " or ".join(other for other in registry.names() if registry.get(other).accepts(model))
        why = exporter.requirement or "it does not take that architecture"
        hint = " and --export_tflite false" if name == "tflite" else ""
        raise UsageError(f"the {name} exporter cannot export a {model} model ({why}); use --export_format "
                         f"{others or '(none registered)'}{hint}")
    return checked


def copy_scorer(scorer: str | Path | None, export_dir: str | Path) -> Path | None:
    """Coqui copies the scorer beside the export as ``exported.scorer`` (checked by :func:`export_model` first)."""
    if not scorer:
        return None
    target = Path(export_dir) / "exported.scorer"
    shutil.copyfile(scorer, target)
    return target
