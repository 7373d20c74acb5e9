"""Typed domain errors; the CLI turns each into one clear line."""

from __future__ import annotations


class SttxError(Exception):
    """Base of every error sttx raises for a user's input or environment."""


class UsageError(SttxError):
    """A bad option value or combination: the CLI reports it as a usage error (exit 2)."""


class GrammarError(UsageError):
    """A malformed augmentation or value-range specification.

    :param text: the whole text that was parsed
    :param position: index into ``text`` of the offending token
    :param message: what is wrong, naming the token
    """

    def __init__(self, text: str, position: int, message: str) -> None:
        self.text = text
        self.position = max(0, min(position, len(text)))
        self.message = message
        super().__init__(f"{message} in {text!r} at position {self.position}")

    def caret(self) -> str:
        """The text with a caret line under the offending position."""
        return f"  {self.text}\n  {' ' * self.position}^"


class PluginError(SttxError):
    """A plugin broke the contract (a duplicate name, a wrong registration)."""


class RegistryError(PluginError):
    """A lookup or registration in a registry failed."""


class UnknownNameError(RegistryError, UsageError):
    """A name the user picked is not registered; the message lists the valid names."""

    def __init__(self, kind: str, name: str, valid: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.valid = valid
        listing = ", ".join(valid) if valid else "(none registered)"
        super().__init__(f"unknown {kind} {name!r}; known: {listing}")


class DataError(SttxError):
    """A sample collection (CSV, SDB, manifest) that is missing or malformed; the message names file and row."""
