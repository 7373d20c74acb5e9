"""The stable surface for plugin authors: every pinned name stays, and the docs and the example use only it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import sttx.api

ROOT = Path(__file__).resolve().parents[1]

# The promise to plugin authors. Adding a name is fine; removing or renaming one breaks plugins and fails here.
PINNED = {
    "hookimpl", "__version__", "Augmentation", "AugmentContext", "param", "sample_rng", "DOMAINS",
    "SttxError", "UsageError", "DataError", "PluginError", "GrammarError",
    "AugmentationSpec", "ValueRange", "parse_augmentation", "parse_range",
    "Importer", "ModelArchitecture", "FrontEnd", "DEEPSPEECH_FRONT_END", "Exporter", "SampleFormat",
    "Registries", "AugmentationRegistry", "ImporterRegistry", "ModelRegistry", "ExporterRegistry",
    "LabelValidatorRegistry", "SampleFormatRegistry",
    "Sample", "SampleRef", "AudioSource", "AudioInfo", "FileAudio", "BytesAudio",
    "Alphabet", "UTF8Alphabet", "AlphabetError", "load_alphabet", "AudioError", "read_audio", "write_audio",
    "option", "bool_option", "get_plugin_manager", "plugin_manager",
    "Decoder", "DecodeSettings", "Hypothesis", "DecoderFactory", "DecoderRegistry",
    "FileListType", "CollectionPath", "AlphabetPath", "ModelPath", "AudioPath", "ScorerPath", "RegisteredName",
    "AugmentationType", "GraphContext", "graph_pick", "graph_seed",
}  # fmt: skip

IMPORT = re.compile(r"^\s*(?:from\s+(sttx(?:\.\w+)*)\s+import|import\s+(sttx(?:\.\w+)*)\b(?!_))", re.MULTILINE)


@pytest.mark.parametrize("name", sorted(PINNED))
def test_pinned_name_is_exported(name: str) -> None:
    assert name in sttx.api.__all__
    assert getattr(sttx.api, name) is not None


def test_all_names_resolve() -> None:
    missing = [name for name in sttx.api.__all__ if not hasattr(sttx.api, name)]
    assert missing == []


def test_hookimpl_is_the_package_marker() -> None:
    assert sttx.api.hookimpl is sttx.hookimpl


def test_importing_the_surface_does_not_import_tensorflow() -> None:
    code = "import sys, sttx.api; print('tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def _sttx_imports(text: str) -> set[str]:
    return {match.group(1) or match.group(2) for match in IMPORT.finditer(text)}


AUTHOR_FILES = [
    *sorted((ROOT / "examples").glob("*/*.py")),
    *sorted((ROOT / "docs" / "plugins").glob("*.md")),
]


@pytest.mark.parametrize("path", AUTHOR_FILES, ids=lambda path: str(path.relative_to(ROOT)))
def test_plugin_authors_import_only_the_stable_surface(path: Path) -> None:
    # `import sttx` (for sttx.hookimpl) and sttx.api are the surface; sttx.cli.build_cli is how tests drive the CLI
    allowed = {"sttx", "sttx.api", "sttx.cli"}
    assert _sttx_imports(path.read_text()) <= allowed


def test_the_checker_sees_internal_imports() -> None:
    text = "from sttx.core.contract.registry import Importer\nimport sttx\nimport sttx_locale_xx\n"
    assert _sttx_imports(text) == {"sttx.core.contract.registry", "sttx"}
