"""Load TensorFlow quietly: its C++ start-up lines (CUDA probing, oneDNN notes) are noise for a CPU user."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null meanwhile: native libraries (TF, KenLM) write there, below sys.stderr."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with Path(os.devnull).open("wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def load_tensorflow(*, quiet: bool = True) -> Any:
    """Import TensorFlow and probe its devices once; with ``quiet`` the C++ start-up chatter is dropped.

    DeepSpeech hid the same lines with TF_CPP_MIN_LOG_LEVEL, which TensorFlow 2.21 no longer honours for them.
    Python exceptions (an ImportError, say) still surface: only the native stderr is muted, and only meanwhile.
    """
    if "tensorflow" in sys.modules or not quiet:
        import tensorflow as tf

        return tf
    with stderr_silenced():
        import tensorflow as tf

        tf.config.list_physical_devices()
    return tf
