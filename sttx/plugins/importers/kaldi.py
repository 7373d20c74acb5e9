"""The Kaldi importer (``sttx import kaldi``): data dirs (wav.scp, text, segments, utt2spk) -> DeepSpeech CSVs."""

from __future__ import annotations

from pathlib import Path

import attrs
import click

from sttx import hookimpl
from sttx.api import bool_option, option
from sttx.core.contract.registry import Importer, ImporterRegistry
from sttx.core.data.importing import CorpusError, ImportReport
from sttx.plugins.importers._cli import build_options, echo_report, import_options
from sttx.plugins.importers._common import ImportOptions, write_csv
from sttx.plugins.importers._kaldi_dir import DataDirRows, is_data_dir
from sttx.plugins.importers._spans import SpanRow, import_spans
from sttx.plugins.importers._split import SPLITS, split_by_speaker, split_options

DEFAULT_OUT = "sttx_import"


def find_data_dirs(root: Path) -> dict[str, Path]:
    """``{"": root}`` when ``root`` is a data dir (to be split), else each subfolder that is one, by name."""
    if not root.is_dir():
        raise CorpusError(f"{root}: not a folder (a Kaldi data dir holds wav.scp and text)")
    if is_data_dir(root):
        return {"": root}
    try:
        found = {child.name: child for child in sorted(root.iterdir()) if child.is_dir() and is_data_dir(child)}
    except OSError as error:
        raise CorpusError(f"{root}: cannot read ({error})") from None
    if not found:
        raise CorpusError(f"{root}: no wav.scp here or in a subfolder (a Kaldi data dir holds wav.scp, text, and "
                          "optionally segments and utt2spk)")
    return found


def prepare_kaldi(
    corpus: str | Path,
    *,
    out_dir: str | Path | None = None,
    audio_root: str | Path | None = None,
    allow_pipes: bool = False,
    dev_percent: float = 10.0,
    test_percent: float = 10.0,
    options: ImportOptions | None = None,
) -> ImportReport:
    """Import a Kaldi data dir, or a folder of them, into ``<out_dir>/<split>.csv`` with clips in ``clips/``.

    A folder of data dirs (train/, dev/, test/, ...) keeps its split: one CSV per subfolder. A single data dir is
    split by speaker (utt2spk; without it each utterance is its own speaker) into train, dev and test.

    :param audio_root: where relative wav.scp paths and commands start [default: the current directory]
    :param allow_pipes: run the ``command |`` entries of wav.scp (refused otherwise)
    :param dev_percent: share of the speakers held out for dev when the dir is unsplit (test_percent likewise)
    """
    options = options or ImportOptions()
    root = Path(corpus)
    subsets = find_data_dirs(root)
    out = Path(out_dir) if out_dir else root / DEFAULT_OUT
    rows: list[SpanRow] = []
    for name, folder in subsets.items():
        reader = DataDirRows(folder=folder, collection=name, clips=out / "clips" / name,
                             suffix="." + options.audio_format, audio_root=Path(audio_root or Path.cwd()),
                             allow_pipes=allow_pipes)
        rows += reader.rows()
    collections = list(subsets)
    if collections == [""]:
        split = split_by_speaker([item.row.speaker for item in rows], dev_percent, test_percent)
        rows = [attrs.evolve(item, row=attrs.evolve(item.row, collection=split[item.row.speaker])) for item in rows]
        collections = list(SPLITS)
    report = ImportReport("kaldi", str(root), options.max_secs, outcomes={name: [] for name in collections})
    report.add(import_spans(rows, options))
    for name in collections:
        outcomes = report.outcomes[name]
        report.files[name] = str(write_csv(out / f"{name}.csv", outcomes, absolute_paths=options.absolute_paths))
    report.notes["speakers"] = {name: len({row.speaker for row in report.outcomes[name]}) for name in collections}
    report.write(out / "import_report.json")
    return report


@click.command("kaldi")
@click.argument("corpus", type=click.Path(exists=True, file_okay=False, path_type=Path))
@option("--out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help=f"Where the CSVs and converted clips go [default: CORPUS/{DEFAULT_OUT}].")
@option("--audio_root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
        help="Where relative wav.scp paths (and commands) start [default: the current directory].")
@bool_option("--allow_pipes", help="Run the 'command |' entries of wav.scp and read the audio from their output.")
@split_options
@import_options
@click.pass_context
def kaldi_command(ctx: click.Context, corpus: Path, out_dir: Path | None, audio_root: Path | None,
                  allow_pipes: bool, dev_percent: float, test_percent: float, **flags: object) -> None:
    """Import a Kaldi data dir CORPUS (wav.scp, text, optional segments, utt2spk), or a folder of them.

    A folder whose subfolders are data dirs (train, dev, test, ...) keeps that split: one CSV per subfolder.
    A single data dir is split by speaker into train.csv, dev.csv and test.csv.
    """
    options = build_options(ctx, flags)
    echo_report(prepare_kaldi(corpus, out_dir=out_dir, audio_root=audio_root, allow_pipes=allow_pipes,
                              dev_percent=dev_percent, test_percent=test_percent, options=options))


@hookimpl
def register_importers(register: ImporterRegistry) -> None:
    register.add("kaldi", Importer(prepare=prepare_kaldi, command=kaldi_command,
                                   description="Kaldi data dirs (wav.scp, text, segments, utt2spk)"))
