"""Shared importer machinery: transcript normalisation, Common Voice columns, row outcomes and the import report."""

from __future__ import annotations

import re
import unicodedata

#: the header of a Common Voice release TSV (recent releases); extra columns are ignored when reading
CV_COLUMNS = ("client_id", "path", "sentence", "up_votes", "down_votes", "age", "gender", "accents", "locale",
              "segment")

_SEPARATORS = re.compile(r"[-_\s]+")
_NOT_DEFAULT_ALPHABET = re.compile(r"[^a-z' ]")
_SPACES = re.compile(r" {2,}")


def normalize_transcript(text: str) -> str:
    """Text -> the default alphabet: NFKD to ASCII, lower case, hyphens to spaces, only a-z, space and apostrophe."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    spaced = _SEPARATORS.sub(" ", ascii_text.lower())
    return _SPACES.sub(" ", _NOT_DEFAULT_ALPHABET.sub("", spaced)).strip()
