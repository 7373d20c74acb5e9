"""Shared importer machinery: label filtering, row outcomes with skip reasons, and the import report."""

from __future__ import annotations

import datetime
import importlib.util
import json
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from sttx.core.contract.errors import SttxError, UsageError

if TYPE_CHECKING:
    from sttx.core.contract.registry import LabelValidatorRegistry
    from sttx.core.data.alphabet import Alphabet

log = logging.getLogger("sttx.import")

#: the header of a Common Voice release TSV (recent releases); extra columns are ignored when reading
CV_COLUMNS = ("client_id", "path", "sentence", "up_votes", "down_votes", "age", "gender", "accents", "locale",
              "segment")

#: why a row was not imported, in the order the checks run, with the report's wording
SKIP_REASONS = {
    # decided from the corpus listing alone, before any audio is read
    "malformed_row": "are malformed lines in the corpus listing",
    "ignored_segment": "are segments the corpus marks to be ignored",
    "skiplist": "belong to a book or speaker on the --skiplist",
    "held_out": "belong to a recording that is in the dev or test set",
    # decided with the audio
    "duplicate": "duplicate an earlier row",
    "missing_clip": "have no audio file",
    "unsupported_source": "have an audio source sttx does not read",
    "unreadable_audio": "have unreadable or zero-byte audio",
    "empty_sentence": "have an empty sentence",
    "invalid_label": "failed on transcript validation",
    "too_short": "were too short to match the transcript",
    "too_long": "were longer than {max_secs:g} seconds",
}

Validator = Callable[[str], "str | None"]

_SEPARATORS = re.compile(r"[-_\s]+")
_NOT_DEFAULT_ALPHABET = re.compile(r"[^a-z' ]")
_SPACES = re.compile(r" {2,}")


class CorpusError(SttxError):
    """A corpus that cannot be imported at all (no TSVs, unreadable folder, unsafe archive): one line, named."""


def normalize_transcript(text: str) -> str:
    """Text -> the default alphabet: NFKD to ASCII, lower case, hyphens to spaces, only a-z, space and apostrophe."""
    spaced = _SEPARATORS.sub(" ", to_ascii(text).lower())
    return _SPACES.sub(" ", _NOT_DEFAULT_ALPHABET.sub("", spaced)).strip()


def to_ascii(text: str) -> str:
    """DeepSpeech's ``--normalize``: NFKD, then drop whatever is not ASCII (é -> e, ß -> '')."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def too_short(frames: int, rate: int, label: str) -> bool:
    """DeepSpeech's rule: fewer 20 ms frames than characters, ``int(frames/rate*1000/10/2) < len(label)``."""
    return int(frames / rate * 1000 / 10 / 2) < len(label)


@attrs.frozen(kw_only=True)
class LabelFilter:
    """DeepSpeech's LabelFilter chain: optional NFKD->ASCII, the validator, then the alphabet's CanEncode check."""

    validate: Validator | None = None
    normalize: bool = False
    alphabet: Alphabet | None = None

    def __call__(self, sentence: str) -> str | None:
        """The cleaned label, or None when the validator rejects it or the alphabet cannot encode it."""
        text = to_ascii(sentence) if self.normalize else sentence
        label = self.validate(text) if self.validate is not None else text
        if label is None or (self.alphabet is not None and not self.alphabet.can_encode(label)):
            return None
        return label


def resolve_label_validator(choice: str | None, registry: LabelValidatorRegistry) -> Validator:
    """``--validate_label_locale``: a registered locale name, or (as in DeepSpeech) a .py file's validate_label.

    None picks "en" with DeepSpeech's warning that other locales may end up inconsistent.
    """
    if choice is None:
        log.warning("No --validate_label_locale given: using 'en'; other languages may end up inconsistent.")
        return registry.get("en")
    if choice not in registry and (choice.endswith(".py") or Path(choice).is_file()):
        return _validator_from_file(Path(choice))
    return registry.get(choice)


def _validator_from_file(path: Path) -> Validator:
    if not path.is_file():
        raise UsageError(f"--validate_label_locale {path}: no such file")
    spec = importlib.util.spec_from_file_location(f"sttx_label_validator_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise UsageError(f"--validate_label_locale {path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        raise UsageError(f"--validate_label_locale {path}: {type(error).__name__}: {error}") from None
    validate = getattr(module, "validate_label", None)
    if not callable(validate):
        raise UsageError(f"--validate_label_locale {path}: defines no validate_label(label) function")
    return validate


@attrs.frozen(kw_only=True)
class RowOutcome:
    """What became of one source row: imported (``reason`` None) or skipped with a reason and a detail."""

    collection: str
    source: str
    line: int
    audio: str
    sentence: str
    reason: str | None = None
    detail: str = ""
    transcript: str = ""
    output: Path | None = None
    filesize: int = 0
    duration: float = 0.0
    speaker: str = ""

    @property
    def imported(self) -> bool:
        return self.reason is None


def _hms(seconds: float) -> str:
    return str(datetime.timedelta(seconds=round(seconds)))


@attrs.define
class ImportReport:
    """Every row's outcome per output collection; prints DeepSpeech's report and writes import_report.json."""

    importer: str
    corpus: str
    max_secs: float = 10.0
    outcomes: dict[str, list[RowOutcome]] = attrs.field(factory=dict)
    files: dict[str, str] = attrs.field(factory=dict)
    notes: dict[str, Any] = attrs.field(factory=dict)

    def add(self, outcomes: Iterable[RowOutcome]) -> None:
        for outcome in outcomes:
            self.outcomes.setdefault(outcome.collection, []).append(outcome)

    def counts(self, collection: str) -> dict[str, Any]:
        """Rows, imported, each skip reason, and imported/total audio seconds of one collection."""
        rows = self.outcomes.get(collection, [])
        skipped = Counter(row.reason for row in rows if row.reason is not None)
        return {
            "rows": len(rows),
            "imported": sum(row.imported for row in rows),
            "skipped": {reason: skipped[reason] for reason in SKIP_REASONS if skipped[reason]},
            "imported_seconds": round(sum(row.duration for row in rows if row.imported), 3),
            "total_seconds": round(sum(row.duration for row in rows), 3),
        }

    def text(self, collection: str) -> str:
        """DeepSpeech's report for one collection: imported count, each skip count, final audio duration."""
        counts = self.counts(collection)
        lines = [f"{collection}: Imported {counts['imported']} samples ({_hms(counts['imported_seconds'])})."]
        for reason, number in counts["skipped"].items():
            lines.append(f"Skipped {number} samples that {SKIP_REASONS[reason].format(max_secs=self.max_secs)}.")
        lines.append(f"Final amount of imported audio: {_hms(counts['imported_seconds'])} "
                     f"from {_hms(counts['total_seconds'])}.")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        skipped = [
            {"collection": row.collection, "source": row.source, "line": row.line, "audio": row.audio,
             "sentence": row.sentence, "reason": row.reason, "detail": row.detail}
            for rows in self.outcomes.values() for row in rows if row.reason is not None
        ]
        return {"importer": self.importer, "corpus": self.corpus, "max_secs": self.max_secs,
                "collections": {name: self.counts(name) for name in self.outcomes}, "files": self.files,
                **self.notes, "skipped": skipped}

    def write(self, path: str | Path) -> Path:
        """Write import_report.json (counts and every skipped row with its reason)."""
        target = Path(path)
        target.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        self.files["report"] = str(target)
        return target
