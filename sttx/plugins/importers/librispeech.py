"""The LibriSpeech importer (``sttx import librispeech``): speaker/chapter/*.flac + .trans.txt, a CSV per subset."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from sttx import hookimpl
from sttx.api import option
from sttx.core.contract.registry import Importer, ImporterRegistry
from sttx.core.data.importing import CorpusError, ImportReport
from sttx.plugins.importers._cli import build_options, echo_report, import_options
from sttx.plugins.importers._common import ImportOptions, SourceRow, import_rows, write_csv


def find_subsets(root: Path) -> dict[str, list[Path]]:
    """Subset name -> its transcript files; a subset is the folder above ``speaker/chapter/*.trans.txt``."""
    if not root.is_dir():
        raise CorpusError(f"{root}: not a LibriSpeech folder")
    subsets: dict[str, list[Path]] = {}
    try:
        for trans in sorted(root.rglob("*.trans.txt")):
            subsets.setdefault(trans.parent.parent.parent.name, []).append(trans)
    except OSError as error:
        raise CorpusError(f"{root}: cannot read ({error})") from None
    if not subsets:
        raise CorpusError(f"{root}: no speaker/chapter/*.trans.txt transcripts (LibriSpeech layout)")
    return subsets


def read_transcripts(trans: Path, subset: str, root: Path) -> list[SourceRow]:
    """``ID words...`` lines: each names ``ID.flac`` in the same chapter folder."""
    rows = []
    try:
        lines = trans.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as error:
        raise CorpusError(f"{trans}: cannot read ({error})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        utterance, _, text = line.strip().partition(" ")
        rows.append(SourceRow(collection=subset, source=str(trans.relative_to(root)), line=number,
                              audio=trans.parent / f"{utterance}.flac", audio_text=f"{utterance}.flac",
                              sentence=text.strip(), speaker=utterance.split("-")[0]))
    return rows


def prepare_librispeech(
    corpus: str | Path,
    *,
    out_dir: str | Path | None = None,
    subsets: Sequence[str] | None = None,
    options: ImportOptions | None = None,
) -> ImportReport:
    """Import LibriSpeech subsets into ``<out_dir>/librivox-<subset>.csv`` with clips in ``<subset>-wav/``.

    :param subsets: the subset folder names to import (default: every one found)
    """
    options = options or ImportOptions()
    root = Path(corpus)
    out = Path(out_dir) if out_dir else root
    found = find_subsets(root)
    chosen = list(found) if subsets is None else list(subsets)
    unknown = [name for name in chosen if name not in found]
    if unknown:
        raise CorpusError(f"{root}: no subset {', '.join(unknown)}; found {', '.join(found)}")
    rows = [row for name in chosen for trans in found[name] for row in read_transcripts(trans, name, root)]
    suffix = "." + options.audio_format
    report = ImportReport("librispeech", str(root), options.max_secs, outcomes={name: [] for name in chosen})
    by_audio = {row.audio: row.collection for row in rows if row.audio is not None}
    report.add(import_rows(rows, lambda src: out / f"{by_audio[src]}-wav" / (src.stem + suffix), options))
    for name in chosen:
        csv_path = write_csv(out / f"librivox-{name}.csv", report.outcomes[name], absolute_paths=options.absolute_paths)
        report.files[name] = str(csv_path)
    report.write(out / "import_report.json")
    return report


@click.command("librispeech")
@click.argument("corpus", type=click.Path(exists=True, file_okay=False, path_type=Path))
@option("--out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help="Where the CSVs and converted clips go [default: CORPUS].")
@option("--sets", default=None, help="Comma-separated subsets, e.g. dev-clean,test-clean [default: all found].")
@import_options
@click.pass_context
def librispeech_command(ctx: click.Context, corpus: Path, out_dir: Path | None, sets: str | None,
                        **flags: object) -> None:
    """Import LibriSpeech (CORPUS holds subset/speaker/chapter folders): one librivox-<subset>.csv per subset."""
    options = build_options(ctx, flags)
    subsets = [name.strip() for name in sets.split(",") if name.strip()] if sets else None
    echo_report(prepare_librispeech(corpus, out_dir=out_dir, subsets=subsets, options=options))


@hookimpl
def register_importers(register: ImporterRegistry) -> None:
    register.add("librispeech", Importer(prepare=prepare_librispeech, command=librispeech_command,
                                         description="LibriSpeech (speaker/chapter folders, .flac + .trans.txt)"))
