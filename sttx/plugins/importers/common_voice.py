"""The Common Voice importer (``sttx import cv``): release TSVs and clips/*.mp3 -> DeepSpeech CSVs, as import_cv2."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import click

from sttx import hookimpl
from sttx.api import option
from sttx.core.contract.errors import UsageError
from sttx.core.contract.registry import Importer, ImporterRegistry
from sttx.core.data.importing import CorpusError, ImportReport, RowOutcome
from sttx.plugins.importers._archive import ARCHIVE_SUFFIXES, is_archive, open_corpus
from sttx.plugins.importers._cli import build_options, echo_report, import_options
from sttx.plugins.importers._common import ImportOptions, SourceRow, import_rows, write_csv

#: the TSVs DeepSpeech's import_cv2 imports (invalidated.tsv is never imported)
CV_SETS = ("train", "dev", "test", "validated", "other")
_AUDIO_SUFFIXES = (".mp3", ".wav", ".flac", ".ogg", ".opus")


def read_tsv(path: Path, collection: str, clips: Path) -> list[SourceRow]:
    """The rows of one release TSV (any line endings, extra columns ignored); no path/sentence column is fatal."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            missing = {"path", "sentence"} - set(reader.fieldnames or ())
            if missing:
                raise CorpusError(f"{path}: no {' or '.join(sorted(missing))} column in the header")
            rows = []
            for record in reader:
                clip = _clip_name(record.get("path"))
                rows.append(SourceRow(collection=collection, source=path.name, line=reader.line_num,
                                      audio=clips / clip if clip else None, audio_text=clip,
                                      sentence=(record.get("sentence") or "").strip(),
                                      speaker=(record.get("client_id") or "").strip()))
            return rows
    except OSError as error:
        raise CorpusError(f"{path}: cannot read ({error})") from None


def _clip_name(path: str | None) -> str:
    """The clip's file name; early releases left out the .mp3 suffix, which import_cv2 added back too."""
    clip = (path or "").strip()
    return clip + ".mp3" if clip and Path(clip).suffix.lower() not in _AUDIO_SUFFIXES else clip


def find_release(corpus: Path, extract_dir: Path | None = None) -> Path:
    """The folder holding the TSVs: ``corpus`` itself, the one folder below it that has them, or an archive's."""
    if not is_archive(corpus) and not corpus.is_dir():
        raise CorpusError(f"{corpus}: not a Common Voice folder or archive ({', '.join(ARCHIVE_SUFFIXES)})")
    corpus = open_corpus(corpus, extract_dir)
    if _has_tsvs(corpus):
        return corpus
    found = sorted({tsv.parent for name in CV_SETS for tsv in corpus.rglob(f"{name}.tsv")})
    if len(found) == 1:
        return found[0]
    if not found:
        raise CorpusError(f"{corpus}: no Common Voice TSVs ({', '.join(name + '.tsv' for name in CV_SETS)})")
    raise CorpusError(f"{corpus}: several releases inside ({', '.join(map(str, found))}); name one of them")


def _has_tsvs(folder: Path) -> bool:
    return any((folder / f"{name}.tsv").is_file() for name in CV_SETS)


def prepare_cv(
    corpus: str | Path,
    *,
    options: ImportOptions | None = None,
    sets: Sequence[str] = CV_SETS,
    audio_dir: str | Path | None = None,
    extract_dir: str | Path | None = None,
) -> ImportReport:
    """Import a Common Voice release (folder or cv-corpus-*.tar.gz) into ``<clips>/<set>.csv`` and train-all.csv.

    Clips are converted next to the mp3s; train-all.csv is validated minus every row sharing a speaker
    (client_id) or a label with dev or test. The report (also written as import_report.json) gives each row's
    fate. Re-running reuses verified converted clips.
    """
    options = options or ImportOptions()
    unknown = sorted(set(sets) - set(CV_SETS))
    if unknown:
        raise UsageError(f"--sets: unknown set(s) {', '.join(unknown)}; choose from {', '.join(CV_SETS)}")
    root = find_release(Path(corpus), Path(extract_dir) if extract_dir else None)
    clips = Path(audio_dir) if audio_dir else root / "clips"
    tsvs = [name for name in sets if (root / f"{name}.tsv").is_file()]
    if not tsvs:
        raise CorpusError(f"{root}: none of the TSVs {', '.join(name + '.tsv' for name in sets)}")
    rows = [row for name in tsvs for row in read_tsv(root / f"{name}.tsv", name, clips)]
    suffix = "." + options.audio_format
    report = ImportReport("cv", str(root), options.max_secs, outcomes={name: [] for name in tsvs})
    report.add(import_rows(rows, lambda source: source.with_suffix(suffix), options))
    for name in tsvs:
        path = write_csv(clips / f"{name}.csv", report.outcomes[name], absolute_paths=options.absolute_paths)
        report.files[name] = str(path)
    if "validated" in report.outcomes:
        _write_train_all(report, clips / "train-all.csv", options)
    report.write(clips / "import_report.json")
    return report


def _write_train_all(report: ImportReport, path: Path, options: ImportOptions) -> None:
    held = [row for name in ("dev", "test") for row in report.outcomes.get(name, [])]
    speakers = {row.speaker for row in held if row.speaker}
    labels = {options.label_filter(row.sentence) for row in held if row.sentence} - {None}
    validated = [row for row in report.outcomes["validated"] if row.imported]
    kept: list[RowOutcome] = [
        row for row in validated if row.speaker not in speakers and options.label_filter(row.sentence) not in labels
    ]
    report.files["train-all"] = str(write_csv(path, kept, absolute_paths=options.absolute_paths))
    report.notes["train_all"] = {"rows": len(kept), "held_out": len(validated) - len(kept)}


@click.command("cv")
@click.argument("corpus", type=click.Path(exists=True, path_type=Path))
@option("--sets", default=",".join(CV_SETS), help="Comma-separated TSVs to import.")
@option("--audio_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help="Where the clips are [default: CORPUS/clips].")
@option("--extract_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help="Where an archive CORPUS is extracted [default: next to it].")
@import_options
@click.pass_context
def cv_command(ctx: click.Context, corpus: Path, sets: str, audio_dir: Path | None, extract_dir: Path | None,
               **flags: object) -> None:
    """Import a Common Voice release CORPUS (its folder, or the cv-corpus-*.tar.gz archive as downloaded).

    Writes clips/train.csv, dev.csv, test.csv, validated.csv, other.csv, train-all.csv and import_report.json.
    """
    options = build_options(ctx, flags)
    names = [name.strip() for name in sets.split(",") if name.strip()]
    echo_report(prepare_cv(corpus, options=options, sets=names, audio_dir=audio_dir, extract_dir=extract_dir))


@hookimpl
def register_importers(register: ImporterRegistry) -> None:
    register.add("cv", Importer(prepare=prepare_cv, command=cv_command,
                                description="Common Voice releases (TSVs + clips/*.mp3, or the .tar.gz)"))
