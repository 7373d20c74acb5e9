"""A test-only plugin implementing every hook with toy objects, as a third party would."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import click
import numpy as np

import sttx
from sttx.core.contract.augmentation import Augmentation, AugmentContext, param
from sttx.core.contract.decoding import Hypothesis
from sttx.core.contract.registry import DecoderFactory, Exporter, Importer, ModelArchitecture, SampleFormat
from sttx.core.contract.samples import Sample

#: Every hook this plugin implements; a meta-test checks it equals the hookspecs.
IMPLEMENTED = (
    "register_augmentations",
    "register_importers",
    "register_models",
    "register_exporters",
    "register_label_validators",
    "register_sample_formats",
    "register_decoders",
    "register_commands",
)


@attrs.frozen(kw_only=True)
class Reverse(Augmentation):
    """Reverse the waveform in time (a toy with one integer-range and one choice parameter)."""

    name = "reverse"
    times: Any = param(1, "int_range", low=0, high=9, help="how often to reverse")
    mode: str = param("full", "choice", choices=("full", "half"), aliases=("m",), help="which part")

    def apply(self, data: np.ndarray, params: Mapping[str, Any], context: AugmentContext) -> np.ndarray:
        out = data
        for _ in range(params["times"]):
            out = (
                out[::-1]
                if params["mode"] == "full"
                else np.concatenate([out[: len(out) // 2][::-1], out[len(out) // 2 :]])
            )
        return out


def prepare_toy(out_dir: Path) -> list[str]:
    """A two-utterance 'corpus'."""
    return ["hello world", "good bye"]


@click.command("toy")
def toy_command() -> None:
    """Import the toy corpus."""
    click.echo("\n".join(prepare_toy(Path())))


def read_toy(path: Path) -> Iterator[Sample]:
    """One silent sample per line of a .toy file."""
    for line in Path(path).read_text().splitlines():
        yield Sample(id=line, audio=np.zeros(160, np.float32), transcript=line)


@sttx.hookimpl
def register_augmentations(register):
    register.add("reverse", Reverse)


@sttx.hookimpl
def register_importers(register):
    register.add("toy", Importer(prepare=prepare_toy, command=toy_command, description="two utterances"))


@sttx.hookimpl
def register_models(register):
    register.add("toy_model", ModelArchitecture(build=lambda config, n_classes: ("toy", n_classes)))


@sttx.hookimpl
def register_exporters(register):
    register.add("toy_export", Exporter(export=lambda *args: []))


@sttx.hookimpl
def register_label_validators(register):
    register.add("toy", str.lower)


@sttx.hookimpl
def register_sample_formats(register):
    register.add("toy", SampleFormat(extensions=(".toy",), read=read_toy))


class LoudestDecoder:
    """A toy decoder: the label with the highest total log-probability, once."""

    name = "loudest"

    def __init__(self, alphabet: Any) -> None:
        self.alphabet = alphabet

    def decode(self, log_probs: np.ndarray, num_results: int = 1) -> list[Hypothesis]:
        totals = np.asarray(log_probs)[:, : self.alphabet.blank].sum(axis=0)
        label = int(totals.argmax())
        return [Hypothesis(self.alphabet.decode([label]), float(totals[label]), (label,), (0,))]


@sttx.hookimpl
def register_decoders(register):
    register.add("loudest", DecoderFactory(create=lambda settings, alphabet: LoudestDecoder(alphabet)))


@sttx.hookimpl
def register_commands(cli):
    @cli.command("hello")
    @click.argument("name", default="world")
    @click.option("--times", type=click.IntRange(1, 9), default=1, help="How often.")
    def hello(name: str, times: int) -> None:
        """Say hello."""
        click.echo("\n".join([f"hello {name}"] * times))

    @cli.command("boom")
    def boom() -> None:
        """Fail the way a buggy plugin does (the CLI's internal-error report is tested with it)."""
        raise RuntimeError("the toy plugin broke")
