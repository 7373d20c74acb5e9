"""`sttx play`: clips from a file or collection, augmented with training's per-sample seeds, played or written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner, Result

from sttx.cli import build_cli
from sttx.core.contract.augmentation import apply_chain
from sttx.core.contract.plugins import SttxPluginManager
from sttx.core.data import play
from sttx.core.data.audio import read_audio, write_audio
from sttx.plugins.augment._dsp import max_dbfs

RATE = 16000


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A CSV of three short tone clips."""
    rows = ["wav_filename,wav_filesize,transcript"]
    for index in range(3):
        path = tmp_path / f"clip{index}.wav"
        t = np.arange(RATE // 2 + index * 800) / RATE
        write_audio(path, 0.4 * np.sin(2 * np.pi * (200 + 100 * index) * t), RATE)
        rows.append(f"{path},{path.stat().st_size},tone {index}")
    csv = tmp_path / "clips.csv"
    csv.write_text("\n".join(rows) + "\n")
    return csv


def invoke(pm: SttxPluginManager, *args: str) -> Result:
    return CliRunner().invoke(build_cli(pm), ["play", *args])


def test_output_dir_writes_each_clip_and_reports_draws(pm: SttxPluginManager, corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(pm, str(corpus), "--augment", "volume[dbfs=-20]", "--augment", "gaps[p=0]", "--output", str(out))
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.wav"))
    assert [file.name[:6] for file in files] == ["000000", "000001", "000002"]
    for file in files:
        assert abs(max_dbfs(read_audio(file)) + 20) < 0.5
    assert "volume[dbfs=-20]" in result.output and "gaps" not in result.output.replace("gaps[p=0]", "")


def test_output_file_concatenates_and_selection_options(pm: SttxPluginManager, corpus: Path, tmp_path: Path) -> None:
    target = tmp_path / "all.wav"
    result = invoke(pm, str(corpus), "--start", "1", "--number", "1", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert len(read_audio(target)) == RATE // 2 + 800
    assert "#1 " in result.output and "no augmentation fired" in result.output


def test_same_seed_same_audio(pm: SttxPluginManager, corpus: Path, tmp_path: Path) -> None:
    runs = []
    for name in ("a.wav", "b.wav", "c.wav"):
        seed = "9" if name == "c.wav" else "1"
        args = [str(corpus), "--augment", "gaps[n=3,size=30]", "--random", "--seed", seed, "--output"]
        assert invoke(pm, *args, str(tmp_path / name)).exit_code == 0
        runs.append((tmp_path / name).read_bytes())
    assert runs[0] == runs[1] and runs[0] != runs[2]


def test_pipe_writes_one_streaming_wav(pm: SttxPluginManager, corpus: Path) -> None:
    result = CliRunner().invoke(build_cli(pm), ["play", str(corpus), "--pipe", "--augment", "reverb"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes[:4] == b"RIFF" and result.stdout_bytes[8:12] == b"WAVE"
    samples = (len(result.stdout_bytes) - 44) // 2
    assert samples == sum(RATE // 2 + i * 800 for i in range(3))
    assert result.stderr.count("reverb[") == 3


def test_without_a_device_falls_back_to_files(
    pm: SttxPluginManager, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(play, "play_clip", lambda clip: False)
    monkeypatch.chdir(tmp_path)
    result = invoke(pm, str(corpus), "--number", "2")
    assert result.exit_code == 0, result.output
    assert "no sound device" in result.output
    assert len(list((tmp_path / "sttx-play").iterdir())) == 2


def test_unhearable_augmentations_are_skipped_with_a_note(pm: SttxPluginManager, corpus: Path, tmp_path: Path) -> None:
    result = invoke(
        pm, str(corpus), "--augment", "pitch", "--augment", "time_mask[domain=signal]", "--output", str(tmp_path / "o")
    )
    assert result.exit_code == 0, result.output
    assert "skipped: pitch" in result.output and result.output.count("time_mask[") == 3


def test_errors(pm: SttxPluginManager, corpus: Path, tmp_path: Path) -> None:
    assert invoke(pm, str(corpus), "--augment", "reverbb").exit_code == 2
    missing = invoke(pm, str(corpus), "--augment", f"overlay[source={tmp_path / 'none.wav'}]")
    assert missing.exit_code == 2 and "none.wav" in missing.output
    assert invoke(pm, str(corpus), "--start", "7").exit_code == 2
    assert invoke(pm, str(tmp_path / "absent.wav")).exit_code == 2


def test_render_equals_the_training_chain(pm: SttxPluginManager, corpus: Path) -> None:
    registry = pm.registries()
    augmentations = [registry.augmentations.parse("gaps[n=2]"), registry.augmentations.parse("volume[dbfs=-9~3]")]
    refs = play.source_refs(str(corpus), registry.sample_formats)
    clip = next(play.render(refs, [2], augmentations, clock=0.2, seed=5))
    expected, fired = apply_chain(
        list(enumerate(augmentations)), refs[2].load().audio, sample_rate=RATE, clock=0.2, seed=5, epoch=0, index=2
    )
    assert clip.audio.tobytes() == expected.tobytes() and clip.fired == fired
    assert soundfile.info(refs[2].audio.path).samplerate == RATE


def test_unreadable_clips_are_skipped_and_counted(tmp_path):
    from click.testing import CliRunner

    from sttx.cli import build_cli
    from sttx.core.contract.plugins import get_plugin_manager

    sample = Path(__file__).resolve().parents[2] / "sttx" / "data" / "sample"
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF" + bytes(range(256)) * 4)
    good = sample / "clips" / "0001.flac"
    (tmp_path / "set.csv").write_text(
        f"wav_filename,wav_filesize,transcript\ncorrupt.wav,1028,hello there\n{good},0,the vane\n"
    )
    pm = get_plugin_manager(load_entrypoints=False, disabled=set())
    result = CliRunner().invoke(build_cli(pm), ["play", str(tmp_path / "set.csv"), "--output", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "skipped 1 unreadable clip(s)" in result.output
    assert "corrupt.wav" in result.output
    assert len(list((tmp_path / "out").glob("*.wav"))) == 1


def test_a_source_where_nothing_decodes_fails_saying_why(pm: SttxPluginManager, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # where the no-device fallback would write sttx-play/
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF" + bytes(range(256)) * 4)
    source = tmp_path / "broken.csv"
    source.write_text("wav_filename,wav_filesize,transcript\nempty.wav,0,a\ncorrupt.wav,1028,b\ngone.wav,9,c\n")
    for mode in (["--output", str(tmp_path / "out")], ["--pipe"], []):
        result = CliRunner().invoke(build_cli(pm), ["play", str(source), *mode])
        assert result.exit_code == 1, result.output
        errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and errors[0].startswith(f"Error: no clip of {source} could be decoded (3 tried): ")
        assert f"empty file (0 bytes): 1 (e.g. {tmp_path / 'empty.wav'})" in errors[0]
        assert f"no such file: 1 (e.g. {tmp_path / 'gone.wav'})" in errors[0]
        assert "wrote" not in result.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "sttx-play").exists()
