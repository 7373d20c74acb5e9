"""The model card written beside every export: Coqui's ``{author}_{name}_{version}.md`` with a YAML-ish header."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: header key -> ExportOptions field, in the order Coqui's cards list them
FIELDS = (
    ("author", "export_author_id"),
    ("model_name", "export_model_name"),
    ("model_version", "export_model_version"),
    ("contact_info", "export_contact_info"),
    ("license", "export_license"),
    ("language", "export_language"),
)
URL_PLACEHOLDERS = {
    "acoustic_model_url": "<replace with a public URL of the acoustic model>",
    "scorer_url": "<replace with a public URL of the scorer, if there is one>",
}


def card_path(options: Any, export_dir: str | Path) -> Path:
    """``<export_dir>/<author>_<model_name>_<model_version>.md``."""
    name = f"{options.export_author_id}_{options.export_model_name}_{options.export_model_version}.md"
    return Path(export_dir) / name.replace("/", "_")


def write_model_card(options: Any, export_dir: str | Path, runtime: str) -> Path:
    """Write the card: header lines between ``---`` markers, then the description.

    :param runtime: ``tflite`` or ``tensorflow`` (SavedModel), as Coqui's ``runtime`` key
    """
    header = {key: getattr(options, field) for key, field in FIELDS}
    header |= {"runtime": runtime, "min_stt_version": options.export_min_stt_version}
    header |= {"max_stt_version": options.export_max_stt_version, **URL_PLACEHOLDERS}
    lines = ["---", *(f"{key}: {value}" for key, value in header.items()), "---", options.export_description, ""]
    path = card_path(options, export_dir)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def read_model_card(path: str | Path) -> tuple[dict[str, str], str]:
    """(header, description) of a card."""
    text = Path(path).read_text(encoding="utf-8")
    _, head, description = text.split("---\n", 2)
    header = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    return header, description.strip()
