"""``python -m sttx``: the same CLI as the ``sttx`` console script."""

from __future__ import annotations

from sttx.cli import main

main()
