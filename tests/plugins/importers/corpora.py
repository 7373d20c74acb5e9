"""Small corpora in the real layouts of LJSpeech, VCTK, TED-LIUM, MLS, M-AILABS, VoxForge and FLEURS (numpy audio)."""

from __future__ import annotations

import csv
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import soundfile

from sttx.core.data.importing import ImportReport
from sttx.plugins.importers.espeak import read_sentences

SENTENCES = read_sentences()[:40]
NUMBERS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
#: soundfile's (format, subtype) by suffix; .sph is written by hand, as TED-LIUM's headers are
FORMATS = {".wav": ("WAV", "PCM_16"), ".flac": ("FLAC", "PCM_16"), ".opus": ("OGG", "OPUS")}


def seconds_for(sentence: str) -> float:
    """Long enough for DeepSpeech's rule (one 20 ms frame per character) with room to spare."""
    return round(len(sentence) / 35 + 0.4, 2)


def tone(seconds: float, rate: int, seed: int = 0) -> np.ndarray:
    """A chirp with a little noise: any audio will do, the importers never listen."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * (200 + 80 * t) * t) + 0.01 * rng.standard_normal(len(t))).astype(np.float32)


def sphere_bytes(audio: np.ndarray, rate: int) -> bytes:
    """A NIST SPHERE file with the header fields in TED-LIUM's order (1024-byte header, 16-bit little endian)."""
    pcm = np.clip(audio * 32767, -32768, 32767).astype("<i2")
    fields = [f"sample_count -i {len(pcm)}", "sample_n_bytes -i 2", "channel_count -i 1",
              "sample_byte_format -s2 01", f"sample_rate -i {rate}", "sample_coding -s3 pcm",
              "sample_sig_bits -i 16", "end_head"]
    header = ("NIST_1A\n   1024\n" + "\n".join(fields) + "\n").encode("ascii")
    return header.ljust(1024, b" ") + pcm.tobytes()


def write_clip(path: Path, seconds: float, rate: int, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    audio = tone(seconds, rate, seed)
    if path.suffix == ".sph":
        path.write_bytes(sphere_bytes(audio, rate))
    else:
        file_format, subtype = FORMATS[path.suffix]
        soundfile.write(path, audio, rate, format=file_format, subtype=subtype)
    return path


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def tar_folder(folder: Path, archive: Path, arcname: str | None = None) -> Path:
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:" + {".bz2": "bz2", ".gz": "gz", ".tgz": "gz"}.get(archive.suffix, "")) as tar:
        tar.add(folder, arcname=arcname or folder.name)
    return archive


def zip_folder(folder: Path, archive: Path) -> Path:
    """Files at the top of the zip, as VCTK-Corpus-0.92.zip has them."""
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                bundle.write(path, str(path.relative_to(folder)))
    return archive


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def assert_accounted(report: ImportReport) -> dict[str, int]:
    """Every collection's rows are imported or skipped with a reason; returns all skips summed by reason."""
    totals: dict[str, int] = {}
    for name in report.outcomes:
        counts = report.counts(name)
        assert counts["rows"] == counts["imported"] + sum(counts["skipped"].values()), name
        for reason, number in counts["skipped"].items():
            totals[reason] = totals.get(reason, 0) + number
    return totals


def check_clips(csv_path: Path) -> list[dict[str, str]]:
    """The CSV's clips exist, are 16 kHz mono 16-bit and have the size the CSV says."""
    rows = read_csv(csv_path)
    for row in rows:
        clip = csv_path.parent / row["wav_filename"]
        info = soundfile.info(clip)
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16"), clip
        assert int(row["wav_filesize"]) == clip.stat().st_size
    return rows


def make_ljspeech(root: Path, count: int = 12) -> Path:
    """LJSpeech-1.1/metadata.csv (id|raw|normalized) and wavs/ at 22.05 kHz."""
    corpus = root / "LJSpeech-1.1"
    lines = []
    for number in range(count):
        clip = f"LJ001-{number + 1:04d}"
        sentence = SENTENCES[number]
        write_clip(corpus / "wavs" / f"{clip}.wav", seconds_for(sentence), 22050, number)
        lines.append(f"{clip}|{sentence} No. {number + 1}|{sentence} Number {NUMBERS[number]}.")
    write_lines(corpus / "metadata.csv", lines)
    return corpus


def make_vctk(root: Path, version: str = "0.92", speakers: int = 6, per_speaker: int = 2) -> Path:
    """VCTK-Corpus-0.92 (wav48_silence_trimmed/pNNN/pNNN_NNN_mic{1,2}.flac) or 0.80 (wav48/pNNN/pNNN_NNN.wav), with
    txt/pNNN/pNNN_NNN.txt; 48 kHz."""
    corpus = root / ("VCTK-Corpus-0.92" if version == "0.92" else "VCTK-Corpus")
    number = 0
    for index in range(speakers):
        speaker = f"p{225 + index}"
        for utterance in range(1, per_speaker + 1):
            name, sentence = f"{speaker}_{utterance:03d}", SENTENCES[number]
            write_lines(corpus / "txt" / speaker / f"{name}.txt", [sentence])
            if version == "0.92":
                for mic in ("mic1", "mic2"):
                    write_clip(corpus / "wav48_silence_trimmed" / speaker / f"{name}_{mic}.flac",
                               seconds_for(sentence), 48000, number)
            else:
                write_clip(corpus / "wav48" / speaker / f"{name}.wav", seconds_for(sentence), 48000, number)
            number += 1
    return corpus


def make_tedlium(root: Path) -> Path:
    """TEDLIUM_release-3: data/{sph,stm} (3 talks), legacy/train/{sph,stm} linking to them, legacy/{dev,test}/{sph,stm}
    (1 talk each); 16 kHz sph."""
    corpus = root / "TEDLIUM_release-3"
    talks = {("data", "TalkA_2010"): 3, ("data", "TalkB_2011"): 2, ("data", "TalkC_2012"): 2,
             ("legacy/dev", "TalkD_2009"): 2, ("legacy/test", "TalkE_2008"): 2}
    number = 0
    for (where, talk), segments in talks.items():
        lines, start = [], 0.5
        for _ in range(segments):
            sentence = SENTENCES[number].lower().rstrip(".").replace("it's", "it 's")
            end = round(start + seconds_for(sentence), 2)
            lines.append(f"{talk} 1 {talk} {start:.2f} {end:.2f} <o,f0,male> {sentence} <unk>")
            start, number = end + 0.3, number + 1
        lines.insert(1, f"{talk} 1 inter_segment_gap {start - 0.3:.2f} {start:.2f} <o,,unknown> "
                        "ignore_time_segment_in_scoring")
        write_lines(corpus / where / "stm" / f"{talk}.stm", lines)
        write_clip(corpus / where / "sph" / f"{talk}.sph", start + 0.5, 16000, number)
        if where == "data":  # legacy/train holds links into data/, as the release does
            for kind in ("sph", "stm"):
                (corpus / "legacy" / "train" / kind).mkdir(parents=True, exist_ok=True)
                link = corpus / "legacy" / "train" / kind / f"{talk}.{kind}"
                link.symlink_to(f"../../../data/{kind}/{talk}.{kind}")
    return corpus


def make_mls(root: Path, suffix: str = ".flac") -> Path:
    """mls_english (flac, 16 kHz) or mls_english_opus (48 kHz): <set>/transcripts.txt, audio/<spk>/<book>/."""
    corpus = root / ("mls_english" if suffix == ".flac" else "mls_english_opus")
    number = 0
    for name, speaker in (("train", "4800"), ("dev", "1982"), ("test", "2035")):
        lines = []
        for segment in range(2 if name != "train" else 4):
            utterance, sentence = f"{speaker}_10003_{segment:06d}", SENTENCES[number].lower().rstrip(".")
            lines.append(f"{utterance}\t{sentence}")
            write_clip(corpus / name / "audio" / speaker / "10003" / f"{utterance}{suffix}", seconds_for(sentence),
                       16000 if suffix == ".flac" else 48000, number)
            number += 1
        write_lines(corpus / name / "transcripts.txt", lines)
    return corpus


def make_m_ailabs(root: Path) -> Path:
    """de_DE/by_book/{female/<speaker>,male/<speaker>,mix}/<book>/metadata.csv + wavs/ (16 kHz)."""
    corpus = root / "de_DE"
    number = 0
    for folder in ("female/eva_k/grune_haus", "male/karlsson/kleine_lord", "mix/caspar", "male/karlsson/altehaus"):
        lines = []
        book = folder.rsplit("/", 1)[-1]
        for index in range(3):
            clip, sentence = f"{book}_{index:02d}_f{number:06d}", SENTENCES[number]
            lines.append(f"{clip}|{sentence} 1 mal.|{sentence} Ein mal.")
            write_clip(corpus / "by_book" / folder / "wavs" / f"{clip}.wav", seconds_for(sentence), 16000, number)
            number += 1
        write_lines(corpus / "by_book" / folder / "metadata.csv", lines)
    return corpus


def make_voxforge_session(folder: Path, session: str, first: int, audio: str = "wav") -> Path:
    """<speaker>-<date>-<id>/etc/PROMPTS (``<session>/mfc/<id> WORDS``) and wav/*.wav or flac/*.flac."""
    lines = []
    for index in range(3):
        sentence = SENTENCES[first + index]
        clip = f"a{index + 1:04d}"
        lines.append(f"{session}/mfc/{clip} {sentence.upper().rstrip('.')}")
        write_clip(folder / session / audio / f"{clip}.{audio}", seconds_for(sentence), 16000, first + index)
    write_lines(folder / session / "etc" / "PROMPTS", lines)
    write_lines(folder / session / "etc" / "README", ["User Name:" + session.split("-")[0]])
    return folder / session


def make_fleurs(root: Path, archived: bool = True) -> Path:
    """fleurs/data/en_us: <set>.tsv (no header, 7 columns) and audio/<set>.tar.gz (members <set>/<file>.wav)."""
    corpus = root / "fleurs" / "data" / "en_us"
    number = 0
    for name, count in (("train", 4), ("dev", 2), ("test", 2)):
        lines, folder = [], corpus / "audio" / name
        for _ in range(count):
            raw = SENTENCES[number].replace("planks", "planks, 2 of them")
            normalized = raw.lower().replace(",", "").replace("2", "two").rstrip(".")
            file_name = f"{10004088536354799741 + number}.wav"
            samples = int(seconds_for(raw) * 16000)
            lines.append("\t".join([str(1000 + number), file_name, raw, normalized,
                                    " ".join(normalized.replace(" ", "|")), str(samples), "FEMALE"]))
            write_clip(folder / file_name, seconds_for(raw), 16000, number)
            number += 1
        write_lines(corpus / f"{name}.tsv", lines)
        if archived:
            tar_folder(folder, corpus / "audio" / f"{name}.tar.gz", arcname=name)
            for clip in folder.iterdir():
                clip.unlink()
            folder.rmdir()
    return corpus
