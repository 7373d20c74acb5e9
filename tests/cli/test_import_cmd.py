"""`sttx import`: one subcommand per registered importer, TF-free, third-party importers picked up."""

from __future__ import annotations

import subprocess
import sys

import click
from click.testing import CliRunner

from sttx import hookimpl
from sttx.cli import build_cli
from sttx.core.contract.registry import Importer


def test_lists_the_builtin_importers(pm):
    result = CliRunner().invoke(build_cli(pm), ["import", "--help"])
    assert result.exit_code == 0
    for name in ("cv", "librispeech", "folder", "espeak"):
        assert f"  {name} " in result.output
    assert pm.registries().importers.provider("cv") == "sttx.plugins.importers.common_voice"


def test_unknown_importer_is_a_usage_error(pm):
    result = CliRunner().invoke(build_cli(pm), ["import", "nope"])
    assert result.exit_code == 2 and "No such command 'nope'" in result.output


def test_a_plugin_importer_becomes_a_subcommand(pm):
    calls = []

    @click.command("toy")
    @click.argument("where")
    def toy(where: str) -> None:
        calls.append(where)

    class ToyPlugin:
        @hookimpl
        def register_importers(self, register):
            register.add("toy", Importer(prepare=calls.append, command=toy, description="a toy"))

    pm.register(ToyPlugin(), name="toy-plugin")
    result = CliRunner().invoke(build_cli(pm), ["import", "toy", "/somewhere"])
    assert result.exit_code == 0 and calls == ["/somewhere"]


def test_import_help_does_not_import_tensorflow():
    code = (
        "import sys\nsys.argv = ['sttx', 'import', 'cv', '--help']\nfrom sttx.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "print('TF-LOADED' if 'tensorflow' in sys.modules else 'TF-FREE')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "TF-FREE"
