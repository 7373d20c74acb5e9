"""Meta-tests that keep the plugin contract honest: every hook documented with its signature, and tested."""

from __future__ import annotations

from pathlib import Path

import pytest

from sttx.core.contract.plugins import get_plugin_manager

ROOT = Path(__file__).resolve().parents[1]
HOOKS = {
    name: caller
    for name, caller in vars(get_plugin_manager(load_entrypoints=False, builtins=()).hook).items()
    if not name.startswith("_")
}


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_is_documented_with_its_signature(name):
    heading = f"## {name}({', '.join(HOOKS[name].spec.argnames)})"
    assert heading in (ROOT / "docs" / "plugins" / "hooks.md").read_text().splitlines()


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_has_a_test(name):
    tests = "\n".join(path.read_text() for path in (ROOT / "tests").rglob("test_*.py"))
    assert f"def test_hook_{name}(" in tests


def test_every_hookspec_has_param_docs():
    for name, caller in HOOKS.items():
        doc = caller.spec.function.__doc__ or ""
        for arg in caller.spec.argnames:
            assert f":param {arg}:" in doc, f"{name} does not document {arg}"
