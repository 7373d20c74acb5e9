"""bench/augment.py's codec baseline: bare opuslib round-trips the audio with the settings of sttx's codec link."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.augment import RATE, bare_opuslib, make_noise_and_ir, row, sttx_steps


def test_bare_opuslib_matches_the_codec_link(tmp_path: Path) -> None:
    """Same encoder, bitrate, complexity and frames: the decoded audio is sttx's, but for sttx's delay removal."""
    import opuslib

    t = np.arange(int(1.3 * RATE)) / RATE
    clip = (0.3 * np.sin(2 * np.pi * 220 * t) * np.sin(2 * np.pi * 3 * t)).astype(np.float32)
    noise, _ = make_noise_and_ir(tmp_path)
    ours, _fired = sttx_steps(noise)["codec"](clip, 0)
    bare = bare_opuslib(clip, 0)
    delay = opuslib.Encoder(RATE, 1, opuslib.APPLICATION_AUDIO).lookahead
    assert len(ours) == len(clip) and len(bare) >= len(clip)
    # the last frame differs (sttx encodes past the end to make up for the delay); everything before is identical
    shared = len(clip) - 2 * RATE * 60 // 1000
    np.testing.assert_array_equal(bare[delay : delay + shared], ours[:shared])
    assert np.corrcoef(ours[:shared], clip[:shared])[0, 1] > 0.9  # and it is a faithful round trip


def test_rows_print_both_speeds_and_the_ratio() -> None:
    line = row("codec", 645.0, "opuslib: bare encode + decode", 483.0)
    assert line.split()[:2] == ["codec", "645"] and line.split()[-2:] == ["483", "1.34"]
    assert row("gaps", 70000.0, "TimeMask", None).split()[-2:] == ["-", "-"]
