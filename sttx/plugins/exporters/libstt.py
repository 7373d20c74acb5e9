"""Run a .tflite through the stock Coqui STT native library (libstt.so) via ctypes, isolated in a subprocess.

libstt ignores interpreter errors (it prints them and decodes garbage) and crashes on malformed files, so the
library is called in a child process whose native stderr is captured; error lines there fail the run.
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import attrs

from sttx.core.contract.errors import SttxError

ERROR_MARKERS = ("Error running session", "ERROR:", "Didn't find op", "failed to", "Node number")


class LibsttError(SttxError):
    """libstt refused the model, crashed, or printed interpreter errors (the message quotes them)."""


@attrs.frozen
class LibsttResult:
    """One file's result: candidates as (transcript, confidence), best seconds of one STT_SpeechToText call."""

    path: str
    candidates: list[tuple[str, float]]
    seconds: float


class _Token(ctypes.Structure):
    _fields_ = (("text", ctypes.c_char_p), ("timestep", ctypes.c_uint), ("start_time", ctypes.c_float))


class _Candidate(ctypes.Structure):
    _fields_ = (("tokens", ctypes.POINTER(_Token)), ("num_tokens", ctypes.c_uint), ("confidence", ctypes.c_double))


class _Metadata(ctypes.Structure):
    _fields_ = (("transcripts", ctypes.POINTER(_Candidate)), ("num_transcripts", ctypes.c_uint))


def _child(lib_dir: str, model: str, wavs: list[str], beam_width: int, candidates: int, repeat: int,
           scorer: dict | None = None) -> None:
    """Runs in the child: load the libraries, transcribe each wav, print one JSON line per file."""
    import numpy as np
    import soundfile

    ctypes.CDLL(str(Path(lib_dir) / "libkenlm.so"), mode=ctypes.RTLD_GLOBAL)
    stt = ctypes.CDLL(str(Path(lib_dir) / "libstt.so"))
    stt.STT_SpeechToTextWithMetadata.restype = ctypes.POINTER(_Metadata)
    handle = ctypes.c_void_p()
    status = stt.STT_CreateModel(model.encode(), ctypes.byref(handle))
    if status != 0:
        stt.STT_ErrorCodeToErrorMessage.restype = ctypes.c_char_p
        print(json.dumps({"error": f"0x{status:04x} {stt.STT_ErrorCodeToErrorMessage(status).decode()}"}))
        return
    if beam_width > 0:
        stt.STT_SetModelBeamWidth(handle, ctypes.c_uint(beam_width))
    if scorer is not None and not _enable_scorer(stt, handle, scorer):
        return
    for wav in wavs:
        audio = np.ascontiguousarray(soundfile.read(wav, dtype="int16")[0])
        buffer = audio.ctypes.data_as(ctypes.POINTER(ctypes.c_short))
        seconds = float("inf")
        for _ in range(repeat):  # best of `repeat`: benchmarks want the least disturbed run
            started = time.perf_counter()
            meta = stt.STT_SpeechToTextWithMetadata(handle, buffer, ctypes.c_uint(len(audio)), candidates)
            seconds = min(seconds, time.perf_counter() - started)
            found = [
                (b"".join(meta[0].transcripts[k].tokens[t].text for t in range(meta[0].transcripts[k].num_tokens)),
                 meta[0].transcripts[k].confidence)
                for k in range(meta[0].num_transcripts)
            ]
            stt.STT_FreeMetadata(meta)
        rows = [[text.decode("utf-8", "replace"), confidence] for text, confidence in found]
        print(json.dumps({"path": wav, "candidates": rows, "seconds": seconds}), flush=True)


def _enable_scorer(stt: ctypes.CDLL, handle: ctypes.c_void_p, scorer: dict) -> bool:
    """STT_EnableExternalScorer, then the weights when given; prints the refusal as the error line."""
    stt.STT_ErrorCodeToErrorMessage.restype = ctypes.c_char_p
    status = stt.STT_EnableExternalScorer(handle, scorer["path"].encode())
    if status == 0 and scorer.get("alpha") is not None:
        status = stt.STT_SetScorerAlphaBeta(handle, ctypes.c_float(scorer["alpha"]), ctypes.c_float(scorer["beta"]))
    if status != 0:
        message = stt.STT_ErrorCodeToErrorMessage(status).decode()
        print(json.dumps({"error": f"scorer {scorer['path']}: 0x{status:04x} {message}"}))
    return status == 0


def run_libstt(
    lib_dir: str | Path,
    model: str | Path,
    wavs: list[str | Path],
    *,
    beam_width: int = 0,
    candidates: int = 3,
    repeat: int = 1,
    cpus: set[int] | None = None,
    timeout: float = 600,
    scorer: str | Path | None = None,
    lm_alpha: float | None = None,
    lm_beta: float | None = None,
) -> list[LibsttResult]:
    """Transcribe 16-bit wavs with libstt in a child process; LibsttError on a refusal, crash or error line.

    :param lib_dir: folder holding libstt.so and libkenlm.so (from the stt 1.4.0 wheel's ``stt/lib``)
    :param beam_width: override the model's beam width (0 keeps the exported one)
    :param cpus: pin the child to these CPUs (benchmarks use one core)
    :param scorer: an external scorer to enable (STT_EnableExternalScorer); a refusal is a LibsttError
    :param lm_alpha: with ``lm_beta``, the scorer weights (STT_SetScorerAlphaBeta); None keeps the scorer's defaults
    """
    code = (
        "import json,sys,os; from sttx.plugins.exporters.libstt import _child; a=json.loads(sys.argv[1]);"
        "os.sched_setaffinity(0, a.pop('cpus')) if a.get('cpus') else a.pop('cpus', None); _child(**a)"
    )
    args = {"lib_dir": str(lib_dir), "model": str(model), "wavs": [str(w) for w in wavs], "beam_width": beam_width,
            "candidates": candidates, "repeat": repeat, "cpus": sorted(cpus) if cpus else None,
            "scorer": None if scorer is None else {"path": str(scorer), "alpha": lm_alpha, "beta": lm_beta}}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[3]), *sys.path])}
    done = subprocess.run([sys.executable, "-c", code, json.dumps(args)], capture_output=True, text=True,
                          timeout=timeout, env=env, check=False)
    errors = [line for line in done.stderr.splitlines() if any(m in line for m in ERROR_MARKERS)]
    if done.returncode != 0 or errors:
        detail = "; ".join(errors[:3]) or done.stderr.strip().splitlines()[-1:] or f"exit {done.returncode}"
        raise LibsttError(f"libstt on {model}: exit {done.returncode}: {detail}")
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if rows and "error" in rows[0]:
        raise LibsttError(f"libstt refused {model}: {rows[0]['error']}")
    return [LibsttResult(r["path"], [(t, c) for t, c in r["candidates"]], r["seconds"]) for r in rows]
