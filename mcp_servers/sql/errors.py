"""Errors the model can act on: what went wrong, where, and the nearest valid names.

Every failure of a tool becomes a `SqlError` whose text is shown to the model as an `is_error`
result. DuckDB's own messages are kept (they point at the line and column) and trimmed of noise;
unknown names get the closest real table or column names from the catalog.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

MAX_ERROR_CHARS = 2000


class SqlError(Exception):
    """A tool failure with a message for the model and an optional fix."""

    kind = "error"

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def text(self) -> str:
        body = self.message if not self.fix else f"{self.message}\nFix: {self.fix}"
        return body[:MAX_ERROR_CHARS]


class QueryRefused(SqlError):
    """The SQL was refused by the safety checks before it reached the engine."""

    kind = "refused"

    def text(self) -> str:
        return f"Refused: {super().text()}"


class UnparsableSql(QueryRefused):
    """sqlglot could not parse the SQL, so its safety cannot be verified (fail closed)."""


class QueryTimeout(SqlError):
    """The query ran past its time limit and was interrupted."""

    kind = "timeout"


class QueryFailed(SqlError):
    """DuckDB raised an error while binding or running the query."""

    kind = "failed"


def nearest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Closest names by spelling (case-insensitive), best first."""
    pool = {c.lower(): c for c in candidates}
    return [pool[m] for m in difflib.get_close_matches(name.lower(), list(pool), n=n, cutoff=0.5)]


_MISSING_COLUMN = re.compile(r'Referenced column "([^"]+)" not found')
_MISSING_COLUMN_2 = re.compile(r'does not have a column named "([^"]+)"')
_MISSING_TABLE = re.compile(r"Table with name ([^\s!]+) does not exist")
_DID_YOU_MEAN = re.compile(r'\nDid you mean "[^"]*"\?')


def from_duckdb(exc: Exception, tables: Iterable[str], columns: Iterable[str]) -> QueryFailed:
    """Turn a DuckDB exception into a QueryFailed with the useful part and name hints."""
    text = str(exc).strip()
    fix = None
    if m := _MISSING_TABLE.search(text):
        # DuckDB's own guess may name an internal catalog view; ours comes from the user's tables.
        text = _DID_YOU_MEAN.sub("", text)
        close = nearest(m.group(1).split(".")[-1], tables)
        fix = (
            f"did you mean {', '.join(close)}? list_tables() shows every table"
            if close
            else "list_tables() shows every table"
        )
    elif m := (_MISSING_COLUMN.search(text) or _MISSING_COLUMN_2.search(text)):
        close = nearest(m.group(1).split(".")[-1], columns)
        fix = (
            f"nearest existing columns: {', '.join(close)}; describe_table() lists them all"
            if close
            else "describe_table() lists the columns"
        )
    elif text.startswith("Parser Error"):
        fix = "correct the syntax at the marked position (DuckDB dialect)"
    return QueryFailed(text, fix)
