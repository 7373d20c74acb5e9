"""Reading one Kaldi data dir (wav.scp, text, segments, utt2spk/spk2utt) into rows cut from its recordings."""

from __future__ import annotations

import re
from pathlib import Path

import attrs

from sttx.core.contract.errors import UsageError
from sttx.core.data.importing import CorpusError
from sttx.plugins.importers._common import SourceRow
from sttx.plugins.importers._spans import Recording, Span, SpanRow, safe_name

#: extract-segments' --max-overshoot: a segment may end this much after its recording (it is then truncated)
MAX_OVERSHOOT = 0.5
_ARCHIVE_OFFSET = re.compile(r":\d+(\[[^\]]*\])?$")  # foo.ark:1234, an offset into a Kaldi archive

Table = dict[str, tuple[int, str]]


def is_data_dir(folder: Path) -> bool:
    return (folder / "wav.scp").is_file()


def read_lines(path: Path) -> list[tuple[int, str, str]]:
    """(line number, key, rest) for each non-blank ``key rest...`` line of a Kaldi table."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise CorpusError(f"{path}: cannot read ({error})") from None
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split(maxsplit=1)  # Kaldi separates with spaces, but tabs turn up too
        if parts:
            rows.append((number, parts[0], parts[1].strip() if len(parts) > 1 else ""))
    return rows


def read_table(path: Path, what: str) -> Table:
    """key -> (line, value); a line with no value or a key given twice is an error naming file and line."""
    table: Table = {}
    for number, key, rest in read_lines(path):
        if not rest:
            raise CorpusError(f"{path} line {number}: '{key}' has no {what}")
        if key in table:
            raise CorpusError(f"{path} line {number}: '{key}' is listed twice (line {table[key][0]})")
        table[key] = (number, rest)
    return table


def read_segments(path: Path) -> dict[str, tuple[int, str, float, float | None]]:
    """utterance -> (line, recording, start, duration or None to the end); Kaldi's end time -1 means the end."""
    segments: dict[str, tuple[int, str, float, float | None]] = {}
    for utterance, (number, value) in read_table(path, "recording, start and end").items():
        fields = value.split()
        try:
            if len(fields) != 3:
                raise ValueError
            start, end = float(fields[1]), float(fields[2])
        except ValueError:
            raise CorpusError(f"{path} line {number}: expected '<utterance> <recording> <start> <end>'") from None
        if start < 0 or (end != -1 and end <= start):
            raise CorpusError(f"{path} line {number}: segment {start:g}-{end:g} s of '{utterance}' is empty")
        segments[utterance] = (number, fields[0], start, None if end == -1 else end - start)
    return segments


def read_speakers(folder: Path) -> dict[str, str]:
    """utterance -> speaker from utt2spk, else from spk2utt; {} when the dir has neither."""
    if (folder / "utt2spk").is_file():
        return {utt: spk.split()[0] for utt, (_, spk) in read_table(folder / "utt2spk", "speaker").items()}
    if (folder / "spk2utt").is_file():
        return {utt: spk for spk, (_, utts) in read_table(folder / "spk2utt", "utterances").items()
                for utt in utts.split()}
    return {}


def recording(rxfile: str, where: str, audio_root: Path, allow_pipes: bool) -> Recording | tuple[str, str]:
    """A wav.scp entry as a Recording, or the (reason, detail) its rows are skipped for."""
    if rxfile.endswith("|"):
        command = rxfile[:-1].strip()
        if not allow_pipes:
            raise UsageError(f"{where}: the audio is read through a command ({command} |); pass --allow_pipes to "
                             "let sttx run the commands of wav.scp")
        return Recording("command", command, command, cwd=str(audio_root))
    if rxfile == "-" or rxfile.startswith("|"):
        return ("unsupported_source", f"{rxfile}: standard input is not a recording")
    path = Path(rxfile) if Path(rxfile).is_absolute() else audio_root / rxfile
    if _ARCHIVE_OFFSET.search(rxfile) and not path.is_file():
        return ("unsupported_source", f"{rxfile}: an offset into a Kaldi archive (use a wav.scp of files)")
    return Recording("file", str(path), str(path))


@attrs.frozen(kw_only=True)
class DataDirRows:
    """How to read one data dir: its collection name, clip folder and options."""

    folder: Path
    collection: str
    clips: Path
    suffix: str
    audio_root: Path
    allow_pipes: bool = False

    def rows(self) -> list[SpanRow]:
        """One row per utterance of ``text``, then per utterance of segments (or recording) that has no text."""
        folder = self.folder
        wav = read_table(folder / "wav.scp", "audio")
        if not (folder / "text").is_file():
            raise CorpusError(f"{folder / 'text'}: missing (a Kaldi data dir needs wav.scp and text)")
        texts = read_lines(folder / "text")
        segments = read_segments(folder / "segments") if (folder / "segments").is_file() else None
        speakers = read_speakers(folder)
        recordings = {key: recording(value, f"{folder / 'wav.scp'} line {line}", self.audio_root, self.allow_pipes)
                      for key, (line, value) in wav.items()}
        listed = [(folder / "text", line, utt, words) for line, utt, words in texts]
        known = {utt for _, _, utt, _ in listed}
        extra = segments if segments is not None else {key: (line, key) for key, (line, _) in wav.items()}
        where = folder / ("segments" if segments is not None else "wav.scp")
        listed += [(where, fields[0], utt, "") for utt, fields in extra.items() if utt not in known]
        return [self._row(source, line, utt, words, segments, recordings, speakers)
                for source, line, utt, words in listed]

    def _row(self, source: Path, line: int, utt: str, words: str, segments: dict | None,
             recordings: dict[str, Recording | tuple[str, str]], speakers: dict[str, str]) -> SpanRow:
        span, rec_id, skip = Span(overshoot=MAX_OVERSHOOT), utt, None
        if segments is not None:
            if utt in segments:
                _, rec_id, start, duration = segments[utt]
                span = Span(start, duration, overshoot=MAX_OVERSHOOT)
            else:
                skip = ("missing_clip", f"'{utt}' has no line in segments")
        found = recordings.get(rec_id)
        if skip is None and found is None:
            skip = ("missing_clip", f"recording '{rec_id}' is not in wav.scp")
        elif isinstance(found, tuple):
            skip, found = found, None
        audio = rec_id if span.offset == 0 and span.duration is None else (
            f"{rec_id} {span.offset:g}-{'end' if span.duration is None else f'{span.offset + span.duration:g}'}")
        row = SourceRow(collection=self.collection, source=str(source.relative_to(self.folder.parent)), line=line,
                        audio=None, audio_text=audio, sentence=words, speaker=speakers.get(utt, utt))
        return SpanRow(row=row, output=self.clips / (safe_name(utt) + self.suffix),
                       recording=found if isinstance(found, Recording) else None, span=span, skip=skip)
