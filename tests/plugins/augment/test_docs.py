"""docs/augmentations.md has a section for every built-in augmentation naming each of its parameters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sttx.core.contract.registry import AugmentationRegistry
from tests.plugins.augment.test_conformance import BUILTINS

DOC = Path(__file__).resolve().parents[3] / "docs" / "augmentations.md"


def section(name: str) -> str:
    text = DOC.read_text()
    match = re.search(rf"^### {name}\n(.*?)(?=^#)", text, re.MULTILINE | re.DOTALL)
    assert match, f"docs/augmentations.md has no '### {name}' section"
    return match.group(1)


@pytest.mark.parametrize("name", BUILTINS)
def test_every_parameter_is_documented(registry: AugmentationRegistry, name: str) -> None:
    body = section(name)
    for key, decl in registry.get(name).declarations().items():
        if key == "p":
            continue
        assert f"| `{key}`" in body, f"{name}: parameter {key} is not in its table"
        for alias in decl.aliases:
            assert f"`{alias}`" in body
