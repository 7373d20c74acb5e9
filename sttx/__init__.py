"""sttx: train speech-to-text models in the DeepSpeech/Coqui STT lineage, as a small core plus plugins."""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

#: Marker that plugins (and sttx's own built-ins) use to implement hooks: ``@sttx.hookimpl``.
hookimpl = pluggy.HookimplMarker("sttx")

__all__ = ["__version__", "hookimpl"]
