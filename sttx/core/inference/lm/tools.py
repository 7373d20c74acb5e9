"""KenLM's tools (lmplz, build_binary, filter): found on PATH, else compiled once per user from the sdist."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs

from sttx.core.contract.errors import SttxError

log = logging.getLogger(__name__)

KENLM_VERSION = "0.3.0"
TOOL_NAMES = ("lmplz", "build_binary", "filter")
#: what a Debian/Ubuntu machine needs to compile them (scripts/setup.sh installs these)
BUILD_PACKAGES = ("cmake", "g++", "make", "libboost-program-options-dev", "libboost-system-dev",
                  "libboost-thread-dev", "libboost-test-dev", "zlib1g-dev", "libbz2-dev", "liblzma-dev")
INSTALL_HINT = "install them with: apt-get install " + " ".join(BUILD_PACKAGES)
TOOLS_DIR_ENV = "STTX_KENLM_BIN"


class KenLMToolsError(SttxError):
    """KenLM's tools are missing and cannot be built (no compiler, no boost, no registry); the message says why."""


@attrs.frozen
class KenLMTools:
    """Paths of the three executables."""

    lmplz: Path
    build_binary: Path
    filter: Path

    @classmethod
    def in_dir(cls, folder: Path) -> KenLMTools | None:
        """The tools in ``folder`` when all three are there and executable."""
        paths = [folder / name for name in TOOL_NAMES]
        if all(path.is_file() and os.access(path, os.X_OK) for path in paths):
            return cls(*paths)
        return None


def cache_dir() -> Path:
    """Where the compiled tools live: ``$XDG_CACHE_HOME/sttx/kenlm/<version>/bin`` (``~/.cache`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sttx" / "kenlm" / KENLM_VERSION / "bin"


def find_tools() -> KenLMTools | None:
    """``$STTX_KENLM_BIN``, then PATH (a KenLM installed by hand), then the per-user cache; None if none has them."""
    override = os.environ.get(TOOLS_DIR_ENV)
    if override:
        return KenLMTools.in_dir(Path(override))
    on_path = [shutil.which(name) for name in TOOL_NAMES]
    if all(on_path):
        return KenLMTools(*(Path(str(path)) for path in on_path))
    return KenLMTools.in_dir(cache_dir())


def ensure_tools() -> KenLMTools:
    """The tools, compiling them into the cache first when they are nowhere to be found (1-2 minutes, once)."""
    tools = find_tools()
    if tools is not None:
        return tools
    if os.environ.get(TOOLS_DIR_ENV):
        raise KenLMToolsError(f"${TOOLS_DIR_ENV}={os.environ[TOOLS_DIR_ENV]} does not hold {', '.join(TOOL_NAMES)}")
    target = cache_dir()
    with _lock(target.parent):  # a second process waits for the first build instead of starting its own
        tools = KenLMTools.in_dir(target)
        if tools is None:
            build_tools(target)
            tools = KenLMTools.in_dir(target)
    if tools is None:
        raise KenLMToolsError(f"the KenLM build finished but {target} lacks {', '.join(TOOL_NAMES)}")
    return tools


@contextlib.contextmanager
def _lock(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".build.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def missing_build_tools() -> list[str]:
    """The compiler tools absent from PATH (boost and the compression libraries are found by cmake later)."""
    needed = {"cmake": "cmake", "make": "make", "c++": "g++"}
    return [package for command, package in needed.items() if shutil.which(command) is None]


def build_tools(target: Path) -> None:
    """Download the kenlm sdist with pip, build lmplz, build_binary and filter with cmake, copy them to ``target``."""
    missing = missing_build_tools()
    if missing:
        raise KenLMToolsError(f"cannot compile KenLM's tools: {', '.join(missing)} not found; {INSTALL_HINT}")
    log.warning("compiling KenLM %s's lmplz, build_binary and filter once into %s (1-2 minutes)", KENLM_VERSION,
                target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kenlm-build-", dir=target.parent) as scratch:
        work = Path(scratch)
        source = _download_sdist(work)
        build = work / "build"
        jobs = str(max(1, min(4, os.cpu_count() or 1)))
        _run(["cmake", "-S", str(source), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release", "-DKENLM_MAX_ORDER=6"],
             "configure", target)
        _run(["cmake", "--build", str(build), "--target", *TOOL_NAMES, "--", "-j", jobs], "compile", target)
        staged = work / "bin"
        staged.mkdir()
        for name in TOOL_NAMES:
            shutil.copy2(build / "bin" / name, staged / name)
        if target.exists():
            shutil.rmtree(target)
        staged.rename(target)  # all three appear at once: a half-built cache is never found


def _download_sdist(work: Path) -> Path:
    """``pip download`` the kenlm sdist (the package registry) and unpack it; the source folder."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", "kenlm", "-d", str(work),
               f"kenlm=={KENLM_VERSION}"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    archives = sorted(work.glob("kenlm-*.tar.gz"))
    if done.returncode != 0 or not archives:
        reason = (done.stderr.strip().splitlines() or ["no sdist downloaded"])[-1]
        raise KenLMToolsError(f"cannot download the kenlm=={KENLM_VERSION} sdist with pip: {reason}")
    with tarfile.open(archives[0]) as archive:
        archive.extractall(work / "src", filter="data")
    roots = [path for path in (work / "src").iterdir() if (path / "CMakeLists.txt").is_file()]
    if not roots:
        raise KenLMToolsError(f"the kenlm=={KENLM_VERSION} sdist holds no CMakeLists.txt")
    return roots[0]


def _run(command: list[str], step: str, target: Path) -> None:
    """Run one build step, its output kept in a log beside the cache; a failure names the log and the likely cause."""
    log_file = target.parent / "build.log"
    with log_file.open("a") as handle:
        done = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, check=False)
    if done.returncode == 0:
        return
    text = log_file.read_text(errors="replace")
    if "Boost" in text and "Could NOT find" in text:
        cause = "the boost libraries are missing"
    elif "ZLIB" in text and "Could NOT find" in text:
        cause = "zlib is missing"
    else:
        cause = "see the log"
    raise KenLMToolsError(f"KenLM {step} step failed ({cause}; log: {log_file}); {INSTALL_HINT}")


def main() -> None:
    """``python -m sttx.core.inference.lm.tools``: find or build the tools, print their folder (scripts/setup.sh)."""
    logging.basicConfig(format="%(message)s", level=logging.WARNING)
    try:
        print(ensure_tools().lmplz.parent)
    except KenLMToolsError as error:
        print(f"Error: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
