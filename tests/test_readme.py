"""The README as a newcomer reads it: short, its links resolve, and every command in it runs as written."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tarfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.contract.plugins import get_plugin_manager
from sttx.plugins.importers.espeak import read_sentences, synthesize_corpus

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
RELEASE = "cv-corpus-17.0-2024-03-15"
# Appended to the tour's `sttx train` so it runs in seconds here; later values of an option override earlier ones.
FAST_TRAIN = ["--epochs", "1", "--n_hidden", "32"]


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.MULTILINE | re.DOTALL)


def _section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_readme_is_short() -> None:
    assert len(README.splitlines()) < 120


def test_quick_start_holds_exactly_two_commands_that_exist() -> None:
    block = re.search(r"```bash\n(.*?)```", _section("Quick start"), flags=re.DOTALL)
    assert block is not None
    commands = [line.split("#")[0].split() for line in block.group(1).splitlines() if line.strip()]
    assert commands == [["bash", "scripts/quickstart.sh"], ["bash", "scripts/test.sh"]]
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()  # CI runs the README's test command


def test_relative_links_resolve() -> None:
    links = re.findall(r"\]\(([^)#]+)\)", README)
    assert links
    assert [link for link in links if not link.startswith("http") and not (ROOT / link).exists()] == []


def test_every_command_named_in_the_readme_exists() -> None:
    cli = build_cli(get_plugin_manager(load_entrypoints=False))
    named = set(re.findall(r"`sttx ([a-z_]+(?: [a-z_]+)?)", README))
    assert {"evaluate", "play", "data convert", "plugins", "import hf"} <= named
    for name in sorted(named):
        command: click.Command | None = cli
        for word in name.split():
            if not isinstance(command, click.Group):
                break  # a command's argument, not a subcommand
            command = command.get_command(click.Context(command), word)
            assert command is not None, f"`sttx {name}`: no command {word!r}"


def _cv_archive(where: Path) -> None:
    """A Common Voice release shaped like the real download, synthesized with espeak-ng."""
    release = where / RELEASE / "en"
    synthesize_corpus(read_sentences(), release, count=12, voices=["en-us+m3", "en+f2", "en-gb+m1"], seed=3,
                      layout="cv", sample_rate=48000)
    with tarfile.open(where / f"{RELEASE}-en.tar.gz", "w:gz") as archive:
        archive.add(where / RELEASE, arcname=RELEASE)
    shutil.rmtree(where / RELEASE)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng synthesizes the tour's corpus")
def test_the_tour_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _cv_archive(tmp_path)
    subprocess.run(["espeak-ng", "-w", "recording.wav", "the birch canoe slid on the smooth planks"], check=True)
    tour = [line for line in _blocks("bash")[1].splitlines() if line.startswith("sttx ")]
    assert [shlex.split(line)[1] for line in tour] == ["import", "data", "train", "export", "transcribe"]
    cli = build_cli(get_plugin_manager())
    for line in tour:
        args = shlex.split(line)[1:]
        result = CliRunner().invoke(cli, args + (FAST_TRAIN if args[0] == "train" else []))
        assert result.exit_code == 0, f"{line}\n{result.output}"
    assert (tmp_path / "runs" / "en" / "export" / "output_graph.tflite").is_file()
    assert result.output.strip()  # transcribe printed a transcript
