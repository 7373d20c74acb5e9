"""The lhotse importer (``sttx import lhotse``): CutSets, or recordings + supervisions, -> one CSV row a supervision."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import click

from sttx import hookimpl
from sttx.api import bool_option, option
from sttx.core.contract.errors import UsageError
from sttx.core.contract.registry import Importer, ImporterRegistry
from sttx.core.data.importing import CorpusError, ImportReport
from sttx.plugins.importers._cli import build_options, echo_report, import_options
from sttx.plugins.importers._common import ImportOptions, SourceRow, write_csv
from sttx.plugins.importers._lhotse_read import SUFFIXES, AudioLocator, field, kind_of, read_items
from sttx.plugins.importers._spans import SpanRow, import_spans, safe_name

CUT_TYPES = ("MonoCut", "MultiCut", "Cut")  # "Cut": MonoCut before lhotse 0.8
DEFAULT_OUT = "sttx_import"
_MANIFEST_WORD = re.compile(r"(^|[_.-])(cuts|supervisions)(?=$|[_.-])")


def collection_name(path: Path) -> str:
    """``librispeech_cuts_dev-clean.jsonl.gz`` -> ``librispeech_dev-clean`` (the manifest kind word dropped)."""
    stem = next((path.name[: -len(suffix)] for suffix in SUFFIXES if path.name.endswith(suffix)), path.stem)
    return _MANIFEST_WORD.sub("", stem).strip("_.-") or stem


@attrs.frozen(kw_only=True)
class ManifestRows:
    """Turns supervisions (in cuts, or beside recordings) into SpanRows of one collection."""

    collection: str
    clips: Path
    suffix: str
    locator: AudioLocator

    def row(self, where: tuple[Path, int], supervision: dict[str, Any], recording: dict[str, Any] | None,
            start: float = 0.0, channel: Any = None) -> SpanRow:
        """One supervision at ``start`` + its own start in ``recording`` (None: that recording is unknown)."""
        path, number = where
        at = f"{path} line {number}"
        ident = field(supervision, "id", str, at)
        offset = start + float(field(supervision, "start", (int, float), at))
        duration = float(field(supervision, "duration", (int, float), at))
        rec_id = str(supervision.get("recording_id") or (recording or {}).get("id") or "?")
        source = SourceRow(collection=self.collection, source=path.name, line=number, audio=None,
                           audio_text=f"{rec_id} {offset:g}-{offset + duration:g}",
                           sentence=str(supervision.get("text") or "").strip(),
                           speaker=str(supervision.get("speaker") or ""))
        item = SpanRow(row=source, output=self.clips / (safe_name(ident) + self.suffix))
        if recording is None:
            return attrs.evolve(item, skip=("missing_clip", f"recording '{rec_id}' is not in the recordings"))
        found, span, skip = self.locator.locate(recording, supervision.get("channel", channel), at)
        return attrs.evolve(item, recording=found, skip=skip,
                            span=attrs.evolve(span, offset=offset, duration=duration))

    def from_cuts(self, path: Path) -> tuple[list[SpanRow], int]:
        """Rows of every supervision of every cut, and the number of cuts that had none."""
        rows, bare = [], 0
        for number, cut in read_items(path):
            kind = kind_of(cut)
            if kind in ("recording", "supervision"):
                raise UsageError(f"{path}: holds {kind}s, not cuts; pass it with --{kind}s")
            supervisions = cut.get("supervisions") or []
            if kind in CUT_TYPES:
                bare += not supervisions
                rows += [self._cut_row(path, number, cut, sup) for sup in supervisions]
            else:  # a MixedCut's supervisions sit in its tracks and would need the tracks mixed
                rows += [attrs.evolve(self.row((path, number), sup, None), recording=None,
                                      skip=("unsupported_source", f"a {kind}"))
                         for track in cut.get("tracks") or [] for sup in track.get("cut", {}).get("supervisions", [])]
        return rows, bare

    def _cut_row(self, path: Path, number: int, cut: dict[str, Any], supervision: dict[str, Any]) -> SpanRow:
        at = f"{path} line {number}"
        recording = cut.get("recording")
        if not isinstance(recording, dict):
            row = self.row((path, number), supervision, None)
            return attrs.evolve(row, skip=("unsupported_source", "the cut has no recording (features only?)"))
        start = float(field(cut, "start", (int, float), at))
        return self.row((path, number), supervision, recording, start, cut.get("channel"))

    def from_pair(self, recordings: Path, supervisions: Path) -> list[SpanRow]:
        """Rows of every supervision, each with the recording its recording_id names."""
        by_id: dict[str, dict[str, Any]] = {}
        for number, item in read_items(recordings):
            if kind_of(item) != "recording":
                raise CorpusError(f"{recordings} line {number}: not a recording (no 'sources')")
            by_id[field(item, "id", str, f"{recordings} line {number}")] = item
        rows = []
        for number, item in read_items(supervisions):
            if kind_of(item) != "supervision":
                raise CorpusError(f"{supervisions} line {number}: not a supervision (a {kind_of(item)})")
            rec_id = field(item, "recording_id", str, f"{supervisions} line {number}")
            rows.append(self.row((supervisions, number), item, by_id.get(rec_id)))
        return rows


def prepare_lhotse(
    cuts: Sequence[str | Path] = (),
    *,
    recordings: str | Path | None = None,
    supervisions: str | Path | None = None,
    out_dir: str | Path | None = None,
    audio_root: str | Path | None = None,
    allow_pipes: bool = False,
    options: ImportOptions | None = None,
) -> ImportReport:
    """Import lhotse CutSet manifests (one CSV each) and/or a recordings + supervisions pair (one CSV).

    One row per supervision, its span cut out of the recording (cut start + supervision start). Relative audio
    paths start at ``audio_root`` (default: the current directory, as in lhotse).
    """
    options = options or ImportOptions()
    if (recordings is None) != (supervisions is None):
        flags = ("--recordings", "--supervisions")
        given, missing = flags if supervisions is None else flags[::-1]
        raise UsageError(f"{given} {recordings or supervisions} needs {missing} too: the two manifests go together")
    if not cuts and recordings is None:
        raise UsageError("give a cuts manifest, or --recordings with --supervisions")
    paths = [Path(path) for path in cuts]
    first = paths[0] if paths else Path(str(supervisions))
    out = Path(out_dir) if out_dir else first.parent / DEFAULT_OUT
    locator = AudioLocator(audio_root=Path(audio_root or Path.cwd()), allow_pipes=allow_pipes)
    rows: list[SpanRow] = []
    names: list[str] = []
    bare = 0
    for path in paths:
        reader = _reader(collection_name(path), out, options, locator, names)
        found, without = reader.from_cuts(path)
        rows, bare = rows + found, bare + without
    if recordings is not None and supervisions is not None:
        reader = _reader(collection_name(Path(supervisions)), out, options, locator, names)
        rows += reader.from_pair(Path(recordings), Path(supervisions))
    report = ImportReport("lhotse", ", ".join(str(path) for path in [*paths, supervisions] if path),
                          options.max_secs, outcomes={name: [] for name in names})
    report.add(import_spans(rows, options))
    for name in names:
        path = write_csv(out / f"{name}.csv", report.outcomes[name], absolute_paths=options.absolute_paths)
        report.files[name] = str(path)
    report.notes["cuts_without_supervisions"] = bare
    report.write(out / "import_report.json")
    return report


def _reader(name: str, out: Path, options: ImportOptions, locator: AudioLocator, names: list[str]
            ) -> ManifestRows:
    if name in names:
        raise UsageError(f"two manifests would both write {name}.csv; import them one at a time")
    names.append(name)
    return ManifestRows(collection=name, clips=out / "clips" / name, suffix="." + options.audio_format,
                        locator=locator)


@click.command("lhotse")
@click.argument("cuts", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@option("--recordings", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
        help="A RecordingSet manifest (with --supervisions).")
@option("--supervisions", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
        help="A SupervisionSet manifest (with --recordings).")
@option("--out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help=f"Where the CSVs and converted clips go [default: {DEFAULT_OUT}/ beside the first manifest].")
@option("--audio_root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
        help="Where relative audio paths (and commands) start [default: the current directory, as in lhotse].")
@bool_option("--allow_pipes", help="Run the 'command' audio sources of the manifests and read their output.")
@import_options
@click.pass_context
def lhotse_command(ctx: click.Context, cuts: tuple[Path, ...], recordings: Path | None, supervisions: Path | None,
                   out_dir: Path | None, audio_root: Path | None, allow_pipes: bool, **flags: object) -> None:
    """Import lhotse manifests: CUTS.jsonl.gz files (one CSV each) and/or --recordings with --supervisions.

    One row per supervision, cut out of its recording. Reads the JSON(L)(.gz) files directly: lhotse is not needed.
    """
    options = build_options(ctx, flags)
    echo_report(prepare_lhotse(cuts, recordings=recordings, supervisions=supervisions, out_dir=out_dir,
                               audio_root=audio_root, allow_pipes=allow_pipes, options=options))


@hookimpl
def register_importers(register: ImporterRegistry) -> None:
    register.add("lhotse", Importer(prepare=prepare_lhotse, command=lhotse_command,
                                    description="lhotse CutSet or Recording + Supervision manifests (.jsonl.gz)"))
