"""Every command's parameters fed the usual mistakes: exit 1 or 2, a few lines naming the culprit, no traceback."""

from __future__ import annotations

import sys
import time

import click
import pytest
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.contract.plugins import get_plugin_manager
from tests.cli import bad_input
from tests.conftest import TESTPLUGIN
from tests.plugins import sttx_testplugin

#: the matrix may grow, never shrink unnoticed: raise this when commands or parameters are added
MINIMUM_CASES = 478
#: lines an error may take besides click's "Usage:" and "Try ... for help." lines
MAX_LINES = 3


def _cli() -> tuple[click.Group, object]:
    pm = get_plugin_manager(load_entrypoints=False, disabled=set())
    pm.register(sttx_testplugin, name=TESTPLUGIN)
    return build_cli(pm), pm


CLI, PM = _cli()
COMMANDS = {(): CLI, **dict(bad_input.walk(CLI, click.Context(CLI, obj=PM, info_name="sttx")))}
CASES = bad_input.all_cases(CLI, PM)


@pytest.fixture(scope="module")
def bad_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad-input")
    bad_input.write_bad_files(tmp)
    return tmp


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip() and not line.startswith(("Usage:", "Try '"))]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_gets_one_short_error_naming_the_culprit(case, bad_dir, monkeypatch):
    # a bad input must be rejected before TensorFlow is needed: importing it fails here
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    argv = [bad_input.fill(word, bad_dir) for word in bad_input.argv_for(case, COMMANDS.get(case.command))]
    started = time.perf_counter()
    result = CliRunner().invoke(CLI, argv)
    seconds = time.perf_counter() - started
    output = result.output
    shown = f"sttx {' '.join(argv)}\n{output}"
    halted = "import of tensorflow halted"
    assert halted not in output and halted not in str(result.exception), f"reached TensorFlow first:\n{shown}"
    assert result.exit_code in (1, 2), shown
    assert "Traceback" not in output and "internal error" not in output, shown
    assert not result.exception or isinstance(result.exception, SystemExit), shown
    assert len(_error_lines(output)) <= MAX_LINES, shown
    culprits = [bad_input.fill(word, bad_dir) for word in case.culprits]
    assert any(word in output for word in culprits), f"none of {culprits} named:\n{shown}"
    assert seconds < 5, f"{seconds:.1f} s to reject a bad input:\n{shown}"


def test_matrix_covers_every_command_including_plugin_commands():
    leaves = {path for path, command in COMMANDS.items() if not isinstance(command, click.Group)}
    assert ((), "log_level", "above-max") in {(case.command, case.param, case.label) for case in CASES}
    assert {("hello",), ("import", "toy"), ("train",), ("data", "check"), ("transcribe",)} <= leaves
    assert ("hello",) in {case.command for case in CASES}  # a plugin command is fed bad values too
    covered = {case.command for case in CASES}
    typed = {path for path in leaves if any(list(bad_input.values_for(param)) for param in COMMANDS[path].params)}
    assert typed <= covered
    assert {(), ("import",), ("data",)} <= covered  # unknown subcommand names


def test_matrix_does_not_shrink():
    print(f"bad-input matrix: {len(CASES)} cases over {len(COMMANDS)} commands")
    assert len(CASES) >= MINIMUM_CASES
