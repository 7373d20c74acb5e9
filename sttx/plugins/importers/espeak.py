"""The espeak importer: synthesize a small labelled corpus with espeak-ng (DeepSpeech CSV or Common Voice layout)."""

from __future__ import annotations

import concurrent.futures
import contextlib
import csv
import functools
import hashlib
import io
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import attrs
import click
import numpy as np
import soundfile
from tqdm import tqdm

from sttx import hookimpl
from sttx.api import option
from sttx.core.contract.errors import SttxError, UsageError
from sttx.core.contract.registry import Importer, ImporterRegistry
from sttx.core.data.audio import resample, to_int16
from sttx.core.data.importing import CV_COLUMNS, normalize_transcript
from sttx.plugins.importers.espeak_variants import data_paths_with, stock_variants, write_variants

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
SENTENCES = DATA_DIR / "sentences.txt"
#: "en" is espeak-ng's British English voice (the shipped sample was made when "en-gb+m1" meant plain "en")
DEFAULT_VOICES = ("en-us+m3", "en+f2", "en", "en-us+f4")
Layout = Literal["csv", "cv"]
_SPLITS = ("train", "dev", "test", "validated", "other", "invalidated")


class SynthesisError(SttxError):
    """espeak-ng is missing or failed on a sentence."""


@attrs.frozen
class SynthesizedClip:
    """One clip written by :func:`synthesize_corpus`; ``path`` is relative to the output directory."""

    index: int
    path: str
    sentence: str
    transcript: str
    voice: str
    speed: int
    pitch: int
    duration: float
    split: str = ""


@attrs.frozen
class SynthesisReport:
    """What was written: the clips and the CSV (csv layout) or TSVs (cv layout), all under ``out_dir``."""

    out_dir: Path
    layout: str
    clips: tuple[SynthesizedClip, ...]
    files: tuple[Path, ...]

    @property
    def duration(self) -> float:
        """Seconds of audio synthesized."""
        return sum(clip.duration for clip in self.clips)


def read_sentences(path: str | Path = SENTENCES) -> list[str]:
    """Non-empty stripped lines of a UTF-8 text file (the shipped Harvard sentences by default)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"--sentences {path}: cannot read ({error})") from None
    sentences = [line.strip() for line in lines if line.strip()]
    if not sentences:
        raise UsageError(f"--sentences {path}: holds no sentences")
    return sentences


def _espeak() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise SynthesisError("espeak-ng is not installed (Debian/Ubuntu: apt-get install espeak-ng)")
    return exe


@functools.lru_cache(maxsize=1)
def _voice_table() -> tuple[frozenset[str], dict[str, str]]:
    """(lower-case names of espeak-ng's voice files, language code -> file of its first-listed voice)."""
    listing = subprocess.run([_espeak(), "--voices"], capture_output=True, text=True, check=False).stdout
    files: set[str] = set()
    by_language: dict[str, str] = {}
    for line in listing.splitlines()[1:]:
        # columns: Pty Language Age/Gender VoiceName File [Other Languages]; the listing is in priority order
        fields = line.split()
        if len(fields) >= 5:
            files.add(fields[4].lower().rsplit("/", 1)[-1])
            if not fields[4].startswith("mb/"):  # mbrola voices need mbrola and its databases installed
                by_language.setdefault(fields[1].lower(), fields[4])
    return frozenset(files), by_language


def resolve_voice(voice: str) -> str:
    """The ``-v`` argument that gives ``voice``: a language code with a variant ("en-gb+f3") becomes its voice
    file ("gmw/en+f3"), because espeak-ng 1.51 silently drops the variant when it selects a voice by language."""
    base, plus, variant = voice.partition("+")
    if not plus:
        return voice
    files, by_language = _voice_table()
    if base.lower() in files or base.lower() not in by_language:
        return voice
    return f"{by_language[base.lower()]}+{variant}"


def speak(text: str, voice: str, speed: int, pitch: int, data_path: str | None = None) -> tuple[np.ndarray, int]:
    """espeak-ng's float32 mono waveform and its rate; the text goes through stdin so it is never an option.

    :param data_path: an ``ESPEAK_DATA_PATH`` for espeak-ng (one that also holds generated variants)
    """
    exe = _espeak()
    command = [exe, "-v", resolve_voice(voice), "-s", str(speed), "-p", str(pitch), "--stdin", "--stdout"]
    env = {**os.environ, "ESPEAK_DATA_PATH": data_path} if data_path else None
    done = subprocess.run(command, input=(text + "\n").encode(), capture_output=True, check=False, env=env)
    if done.returncode != 0 or len(done.stdout) <= 44:
        problem = done.stderr.decode(errors="replace").strip() or f"exit code {done.returncode}"
        raise SynthesisError(f"espeak-ng -v {voice} failed on {text!r}: {problem}")
    audio, rate = soundfile.read(io.BytesIO(done.stdout), dtype="float32")
    return audio, int(rate)


def add_noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """White noise at ``snr_db`` below the clip's RMS power."""
    power = float(np.mean(np.square(audio, dtype=np.float64))) or 1e-10
    noise = rng.standard_normal(len(audio)) * np.sqrt(power / 10 ** (snr_db / 10))
    return np.clip(audio + noise, -1.0, 1.0).astype(np.float32)


@attrs.frozen(kw_only=True)
class _Plan:
    """The random choices for one clip, drawn from (seed, index) so any --jobs gives the same corpus."""

    index: int
    sentence: str
    voice: str
    speed: int
    pitch: int
    noise_seed: int


def _plans(sentences: Sequence[str], count: int, voices: Sequence[str], seed: int,
           speed: tuple[int, int], pitch: tuple[int, int]) -> list[_Plan]:
    order = np.random.default_rng([seed, 0]).permutation(len(sentences))
    plans = []
    for index in range(count):
        rng = np.random.default_rng([seed, 1, index])
        plans.append(_Plan(
            index=index + 1,
            sentence=sentences[order[index % len(sentences)]],
            voice=voices[int(rng.integers(len(voices)))],
            speed=int(rng.integers(speed[0], speed[1] + 1)),
            pitch=int(rng.integers(pitch[0], pitch[1] + 1)),
            noise_seed=int(rng.integers(2**31)),
        ))
    return plans


def _render(plan: _Plan, rate: int, noise_db: float | None, data_path: str | None) -> np.ndarray:
    audio, source_rate = speak(plan.sentence, plan.voice, plan.speed, plan.pitch, data_path)
    audio = resample(audio, source_rate, rate)
    if noise_db is not None:
        audio = add_noise(audio, noise_db, np.random.default_rng(plan.noise_seed))
    return audio


def _write_clip(plan: _Plan, out_dir: Path, name: str, rate: int, noise_db: float | None,
                data_path: str | None = None) -> SynthesizedClip:
    audio = _render(plan, rate, noise_db, data_path)
    relative = f"clips/{name}"
    fmt = {".wav": "WAV", ".flac": "FLAC", ".mp3": "MP3"}[Path(name).suffix]
    if fmt == "MP3":
        soundfile.write(out_dir / relative, audio, rate, format="MP3", subtype="MPEG_LAYER_III")
    else:
        soundfile.write(out_dir / relative, to_int16(audio), rate, format=fmt, subtype="PCM_16")
    return SynthesizedClip(plan.index, relative, plan.sentence, normalize_transcript(plan.sentence),
                           plan.voice, plan.speed, plan.pitch, len(audio) / rate)


def _split_for(clip: SynthesizedClip, voices: Sequence[str]) -> str:
    """Common Voice keeps speakers apart: with 3+ voices the first is test and the second dev, else by index."""
    if len(voices) >= 3:
        return {voices[0]: "test", voices[1]: "dev"}.get(clip.voice, "train")
    return {0: "dev", 5: "test"}.get(clip.index % 10, "train")


def client_id(voice: str) -> str:
    """A Common Voice style speaker id (128 hex digits) standing for the voice."""
    return hashlib.sha512(voice.encode()).hexdigest()


def _cv_row(clip: SynthesizedClip, locale: str) -> list[str]:
    return [client_id(clip.voice), Path(clip.path).name, clip.sentence, "2", "0", "", "", "", locale, ""]


def write_cv_tsvs(out_dir: Path, clips: Sequence[SynthesizedClip], locale: str = "en") -> list[Path]:
    """train/dev/test/validated/other/invalidated.tsv with Common Voice's header, from each clip's ``split``."""
    rows: dict[str, list[SynthesizedClip]] = {name: [] for name in _SPLITS}
    for clip in clips:
        rows[clip.split].append(clip)
        if clip.split in ("train", "dev", "test"):
            rows["validated"].append(clip)
    paths = []
    for name, members in rows.items():
        path = out_dir / f"{name}.tsv"
        lines = ["\t".join(CV_COLUMNS)] + ["\t".join(_cv_row(clip, locale)) for clip in members]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def write_csv(path: Path, clips: Sequence[SynthesizedClip]) -> Path:
    """A DeepSpeech CSV (wav_filename relative to the CSV, wav_filesize, transcript)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["wav_filename", "wav_filesize", "transcript"])
        for clip in clips:
            writer.writerow([clip.path, (path.parent / clip.path).stat().st_size, clip.transcript])
    return path


def synthesize_corpus(
    sentences: Sequence[str],
    out_dir: str | Path,
    *,
    count: int,
    voices: Sequence[str] = DEFAULT_VOICES,
    seed: int = 0,
    speed: tuple[int, int] = (140, 190),
    pitch: tuple[int, int] = (30, 70),
    noise_db: float | None = None,
    layout: Layout = "csv",
    sample_rate: int = 16000,
    audio_format: str = "wav",
    csv_name: str = "espeak.csv",
    locale: str = "en",
    other: int = 0,
    invalidated: int = 0,
    jobs: int = 2,
    random_variants: int = 0,
) -> SynthesisReport:
    """Speak ``count`` sentences with espeak-ng, each with a voice, speed (wpm) and pitch drawn from ``seed``.

    The csv layout writes ``clips/NNNN.<audio_format>`` (16-bit mono at ``sample_rate``) and a DeepSpeech CSV of
    normalised transcripts. The cv layout writes a Common Voice release: ``clips/*.mp3`` at ``sample_rate``
    (48 kHz is what Common Voice ships) and the six TSVs with the original sentences; the voice is the
    client_id. In cv, the last ``other`` + ``invalidated`` clips go to other.tsv / invalidated.tsv only.

    :param noise_db: add white noise at this SNR (dB); None adds none
    :param jobs: parallel espeak-ng processes (the result does not depend on it)
    :param random_variants: also speak with this many random speakers (espeak_variants.random_variant), each in
        every language of ``voices``; their variant files are written to ``out_dir/variants``
    """
    _check_args(sentences, count, voices, speed, pitch, layout, audio_format, other + invalidated)
    out = Path(out_dir)
    (out / "clips").mkdir(parents=True, exist_ok=True)
    width = max(4, len(str(count)))
    name = f"common_voice_{locale}_{{:0{width}d}}.mp3" if layout == "cv" else f"{{:0{width}d}}.{audio_format}"
    variants = write_variants(out / "variants", random_variants, seed) if random_variants > 0 else []
    languages = dict.fromkeys(voice.partition("+")[0] for voice in voices)
    voices = [*voices, *(f"{language}+{variant}" for language in languages for variant in variants)]
    _check_variants(voices, variants)
    plans = _plans(sentences, count, voices, seed, speed, pitch)
    with _data_paths(out / "variants", variants) as data_paths, \
            concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as pool:  # the work is in espeak-ng and soxr
        work = pool.map(lambda p: _write_clip(p, out, name.format(p.index), sample_rate, noise_db,
                                              data_paths.get(p.voice.partition("+")[2])), plans)
        clips = list(tqdm(work, total=count, desc="Synthesizing", unit="clip", disable=None))
    if layout == "csv":
        return SynthesisReport(out, layout, tuple(clips), (write_csv(out / csv_name, clips),))
    kept = count - other - invalidated
    clips = [attrs.evolve(clip, split=_split_for(clip, voices) if i < kept else
                          ("other" if i < kept + other else "invalidated")) for i, clip in enumerate(clips)]
    return SynthesisReport(out, layout, tuple(clips), tuple(write_cv_tsvs(out, clips, locale)))


def _data_paths(folder: Path, variants: Sequence[str]) -> contextlib.AbstractContextManager[dict[str, str]]:
    """ESPEAK_DATA_PATHs that hold the generated ``variants``, by variant (none needed without them)."""
    if not variants:
        return contextlib.nullcontext({})
    return data_paths_with([folder / name for name in variants], _espeak())


def _check_variants(voices: Sequence[str], generated: Sequence[str]) -> None:
    """Refuse a variant espeak-ng does not have: it would speak the plain voice without a word."""
    asked = {voice: voice.partition("+")[2] for voice in voices if "+" in voice}
    known = stock_variants(_espeak()) | set(generated) if asked else frozenset()
    for voice, variant in asked.items():
        if variant not in known:
            raise UsageError(f"--voices {voice}: espeak-ng has no variant {variant!r} (file names, case matters; "
                             "espeak-ng --voices=variant lists them)")


def _check_args(sentences: Sequence[str], count: int, voices: Sequence[str], speed: tuple[int, int],
                pitch: tuple[int, int], layout: str, audio_format: str, held_out: int) -> None:
    problems = {
        "--sentences holds no sentences": not sentences,
        f"--count must be positive, not {count}": count < 1,
        "--voices must name at least one voice": not voices,
        f"--speed range {speed} must be low <= high": speed[0] > speed[1],
        f"--pitch range {pitch} must be low <= high": pitch[0] > pitch[1],
        f"--layout must be csv or cv, not {layout!r}": layout not in ("csv", "cv"),
        f"--audio_format must be wav or flac, not {audio_format!r}": audio_format not in ("wav", "flac"),
        f"other + invalidated ({held_out}) must leave clips for validated": held_out >= count,
    }
    for message, bad in problems.items():
        if bad:
            raise UsageError(message)


SAMPLE_DIR = DATA_DIR / "sample"


def regenerate_sample(out_dir: str | Path = SAMPLE_DIR) -> SynthesisReport:
    """Rebuild the shipped sample corpus (40 FLAC clips + sample.csv) exactly: fixed sentences, voices and seed."""
    out = Path(out_dir)
    for old in (out / "clips").glob("*.flac"):
        old.unlink()
    return synthesize_corpus(read_sentences(SENTENCES), out, count=40, voices=DEFAULT_VOICES, seed=2024,
                             audio_format="flac", csv_name="sample.csv", jobs=2)



def prepare_espeak(sentences: str | Path, out_dir: str | Path, **options: Any) -> SynthesisReport:
    """:func:`synthesize_corpus` over the lines of a sentences file (the shipped Harvard sentences by default)."""
    return synthesize_corpus(read_sentences(sentences), out_dir, **options)


def _int_range(text: str, flag: str) -> tuple[int, int]:
    low, _, high = text.partition(":")
    try:
        return int(low), int(high or low)
    except ValueError:
        raise UsageError(f"{flag} {text!r}: expected LOW:HIGH integers, e.g. 140:190") from None


@click.command("espeak")
@option("--sentences", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=SENTENCES,
        help="UTF-8 text, one sentence a line [default: the shipped Harvard sentences].")
@option("--out", "--out_dir", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
        help="Folder to write the corpus into.")
@option("--count", type=click.IntRange(min=1), default=20, help="Clips to synthesize.")
@option("--voices", default=",".join(DEFAULT_VOICES), help="Comma-separated espeak-ng voices (espeak-ng --voices).")
@option("--seed", type=int, default=0, help="Seed for sentence order, voice, speed, pitch and noise.")
@option("--speed", default="140:190", help="Words per minute, LOW:HIGH.")
@option("--pitch", default="30:70", help="espeak-ng pitch 0-99, LOW:HIGH.")
@option("--noise_db", type=float, default=None, help="Add white noise at this SNR in dB.")
@option("--layout", type=click.Choice(["csv", "cv"]), default="csv", help="DeepSpeech CSV or Common Voice release.")
@option("--audio_format", type=click.Choice(["wav", "flac"]), default="wav", help="Clip format of the csv layout.")
@option("--sample_rate", type=click.IntRange(min=8000), default=None, help="[default: 16000; 48000 for cv]")
@option("--locale", default="en", help="The locale column of a cv layout.")
@option("--other", type=click.IntRange(min=0), default=0, help="cv: clips listed only in other.tsv.")
@option("--invalidated", type=click.IntRange(min=0), default=0, help="cv: clips listed only in invalidated.tsv.")
@option("--jobs", type=click.IntRange(min=1), default=2, help="Parallel espeak-ng processes.")
@option("--random_variants", type=click.IntRange(min=0), default=0,
        help="Also speak with N random speakers (pitch, formants, voicing, breath, echo), each in every language "
             "of --voices; their espeak-ng variant files go to OUT/variants.")
def espeak_command(sentences: Path, out_dir: Path, speed: str, pitch: str, sample_rate: int | None,
                   **options: Any) -> None:
    """Synthesize a labelled corpus with espeak-ng, for smoke tests, demos and CI with no downloads."""
    rate = sample_rate or (48000 if options["layout"] == "cv" else 16000)
    options["voices"] = [voice.strip() for voice in str(options["voices"]).split(",") if voice.strip()]
    report = prepare_espeak(sentences, out_dir, speed=_int_range(speed, "--speed"),
                            pitch=_int_range(pitch, "--pitch"), sample_rate=rate, **options)
    click.echo(f"Synthesized {len(report.clips)} clips ({report.duration:.1f} s) into {out_dir}")
    for path in report.files:
        click.echo(f"Wrote {path}")


@hookimpl
def register_importers(register: ImporterRegistry) -> None:
    register.add("espeak", Importer(prepare=prepare_espeak, command=espeak_command,
                                    description="synthesize a corpus with espeak-ng (csv or Common Voice layout)"))


if __name__ == "__main__":  # python -m sttx.plugins.importers.espeak --regenerate-sample [DIR]
    import sys

    if len(sys.argv) < 2 or sys.argv[1] != "--regenerate-sample":
        sys.exit("usage: python -m sttx.plugins.importers.espeak --regenerate-sample [DIR]")
    report = regenerate_sample(sys.argv[2] if len(sys.argv) > 2 else SAMPLE_DIR)
    print(f"wrote {len(report.clips)} clips ({report.duration:.1f} s) and {report.files[0]}")
