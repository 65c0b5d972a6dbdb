"""User-facing errors: one readable message plus the fix, never a traceback."""

from __future__ import annotations


class SleuthError(Exception):
    """An error the user can act on. `fix` says what to do about it."""

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.fix}" if self.fix else self.message


class ConfigError(SleuthError):
    """Bad configuration: names the key, where it came from, and the fix."""
