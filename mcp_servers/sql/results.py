"""Query results: JSON-safe values, a compact text table, and a bounded store served in pages.

Why a store: a large result must not be pushed into the model's context, yet the model (or the
user) may need the rest of it. The full result (up to a stored-row cap) stays here under a
`query_id`, readable page by page as `sql://results/{query_id}?page=N`; the agent cites SQL
evidence by that id. The store is an LRU bounded by bytes, so memory stays flat.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import re
import secrets
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

RESULT_URI_PREFIX = "sql://results/"
CELL_CHARS = 60  # a text-table cell is cut past this


# The integers a JSON number carries exactly everywhere: JavaScript clients (IDE hosts) read
# numbers as doubles and silently round past 2^53.
SAFE_INT = 2**53 - 1


def jsonable(value: Any) -> Any:
    """A DuckDB value as plain JSON (numbers stay numbers where every client reads them exactly)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if -SAFE_INT <= value <= SAFE_INT else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        f = float(value)  # a JSON number when exact; as text when a float would lose digits
        return f if math.isfinite(f) and Decimal(repr(f)) == value else str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "base64:" + base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    return str(value)


# DuckDB hands these back as None/bool/int/str already: nothing to convert, cell by cell.
_NATIVE_TYPES = frozenset(
    {"BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "VARCHAR"}
    | {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
)
_WIDE_INTS = frozenset({"BIGINT", "HUGEINT", "UBIGINT", "UHUGEINT"})  # may pass SAFE_INT
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*\d+\)")
_EXACT_DECIMAL_DIGITS = 15  # any decimal of up to 15 significant digits survives float() and back


def _finite_float(value: float | None) -> float | str | None:
    return value if value is None or math.isfinite(value) else str(value)


def _safe_int(value: int | None) -> int | str | None:
    return value if value is None or -SAFE_INT <= value <= SAFE_INT else str(value)


def _short_decimal(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.time) else jsonable(value)


def cell_limit(max_chars: int, columns: int) -> int:
    """Characters one cell may take: half the character cap spread over the columns (at least 100),
    so one row always fits in a reply and in a stored page."""
    return max(100, max_chars // max(1, 2 * columns))


# DuckDB values that Python cannot hold exactly: months of an INTERVAL (a timedelta counts 30 days),
# nanoseconds. Columns of these types (nested ones included) are read as DuckDB's own text.
_TEXT_TYPES = re.compile(r"\b(?:INTERVAL|TIMESTAMP_NS|TIME_NS)\b")
# Python shows DuckDB's ±infinity of these as its first/last date (0001-01-01, 9999-12-31).
_EDGE_TYPES = frozenset({"DATE", "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP WITH TIME ZONE"})
_PLAIN_TYPES = _NATIVE_TYPES | {"FLOAT", "DOUBLE"}


def text_columns(types: Sequence[str], *, unsure: bool = False) -> set[int]:
    """Columns to read as DuckDB's text: those of `_TEXT_TYPES`; with `unsure`, every column that is
    not a plain number or text (a value did not convert to Python at all)."""
    return {
        i
        for i, t in enumerate(types)
        if _TEXT_TYPES.search(t) or (unsure and t not in _PLAIN_TYPES and not _DECIMAL.fullmatch(t))
    }


def edge_columns(types: Sequence[str], rows: Sequence[Sequence[Any]]) -> set[int]:
    """Date and timestamp columns holding a value at Python's limits, which may be DuckDB's ±infinity."""
    edges = ("0001-01-01", "9999-12-31")
    return {
        i
        for i, t in enumerate(types)
        if t in _EDGE_TYPES and any(isinstance(r[i], str) and r[i].startswith(edges) for r in rows)
    }


class CellClipper:
    """Converts cells to JSON with each one bounded by `limit` characters, counting the cells it cut.

    Why: a single value (a 2 MB string, a list of millions of items) would otherwise reach the model
    and every stored page whole. A long string keeps its first `limit` characters plus a marker; a
    list, struct or map whose JSON is longer becomes that JSON's first `limit` characters plus a
    marker. Nested values are converted only as far as the cut, so a huge one costs O(limit).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.cut = 0
        self.edge = False  # a date or timestamp was at Python's limits: maybe DuckDB's ±infinity

    def dated(self, value: Any) -> Any:
        if isinstance(value, dt.date):
            if value.year in (1, 9999):
                self.edge = True
            return value.isoformat()
        return jsonable(value)

    def text(self, value: str | None) -> str | None:
        if value is None or len(value) <= self.limit:
            return value
        self.cut += 1
        return value[: self.limit] + f"…[{len(value) - self.limit:,} more characters]"

    def any(self, value: Any) -> Any:
        if isinstance(value, bytes | bytearray | memoryview):
            data = bytes(value[: self.limit])  # base64 of `limit` bytes is already longer than `limit`
            full = 7 + 4 * math.ceil(len(value) / 3)
            text = "base64:" + base64.b64encode(data).decode()
            if full <= self.limit:
                return text
            self.cut += 1
            return text[: self.limit] + f"…[{full - self.limit:,} more characters]"
        if not isinstance(value, list | tuple | set | dict):
            converted = jsonable(value)
            return self.text(converted) if isinstance(converted, str) else converted
        left = [self.limit + 1]  # items still to convert: each adds at least one character of JSON
        converted = _bounded(value, left)
        encoded = _ENCODER.encode(converted)
        if len(encoded) <= self.limit:
            return converted
        self.cut += 1
        more = f"{len(encoded) - self.limit:,}" + ("+" if left[0] < 0 else "")
        return encoded[: self.limit] + f"…[{more} more characters of JSON]"


def _bounded(value: Any, left: list[int]) -> Any:
    """jsonable(value), stopping once `left[0]` items have been converted (then left[0] < 0)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if left[0] <= 0:
                left[0] = -1
                break
            left[0] -= 1
            out[str(k)] = _bounded(v, left)
        return out
    if isinstance(value, list | tuple | set):
        items: list[Any] = []
        for v in value:
            if left[0] <= 0:
                left[0] = -1
                break
            left[0] -= 1
            items.append(_bounded(v, left))
        return items
    return jsonable(value)


def column_converter(duckdb_type: str, clipper: CellClipper) -> Callable[[Any], Any] | None:
    """What `jsonable` would do to every value of a column of this DuckDB type, with text, blobs and
    nested values bounded by `clipper`, specialised once per column; None when the values are JSON
    already. Converting a 100-row result cell by cell through `jsonable` cost more than running the query."""
    if duckdb_type == "VARCHAR":
        return clipper.text
    if duckdb_type in _WIDE_INTS:
        return _safe_int
    if duckdb_type in _NATIVE_TYPES:
        return None
    if duckdb_type in ("FLOAT", "DOUBLE"):
        return _finite_float
    if (m := _DECIMAL.fullmatch(duckdb_type)) and int(m.group(1)) <= _EXACT_DECIMAL_DIGITS:
        return _short_decimal
    if duckdb_type in _EDGE_TYPES:
        return clipper.dated
    if duckdb_type.startswith(("TIMESTAMP", "DATE", "TIME")):
        return _iso
    return clipper.any


def json_rows(raw: Sequence[Sequence[Any]], converters: Sequence[Callable[[Any], Any] | None]) -> list[list[Any]]:
    """Rows as JSON-ready lists, each column through its `column_converter`."""
    rows = [list(r) for r in raw]
    for j, convert in enumerate(converters):
        if convert is not None:
            for row in rows:
                row[j] = convert(row[j])
    return rows


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def row_chars(row: Sequence[Any]) -> int:
    """JSON size of one row: the unit of the character caps."""
    return len(_ENCODER.encode(row)) + 1


def rows_chars(rows: Sequence[Sequence[Any]]) -> int:
    """sum(row_chars(r) for r in rows), in one encoder call."""
    return len(_ENCODER.encode(rows)) - 1 if rows else 0


_TABLE_ESCAPES = str.maketrans({"\n": " ", "|": "¦"})


def _cut(text: str) -> str:
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def _cell(value: Any) -> str:
    text = "NULL" if value is None else (json.dumps(value) if isinstance(value, dict | list) else str(value))
    return _cut(text.translate(_TABLE_ESCAPES))


def _any_cells(values: Sequence[Any]) -> list[str]:
    return list(map(_cell, values))


def _plain_cells(values: Sequence[Any]) -> list[str]:
    return ["NULL" if v is None else str(v) for v in values]


def _text_cells(values: Sequence[str | None]) -> list[str]:
    return ["NULL" if v is None else _cut(v.translate(_TABLE_ESCAPES)) for v in values]


# Columns whose JSON values print short (at most 40 characters) with no newline or pipe, so
# str() alone is what `_cell` would make of them.
_PLAIN_CELL_TYPES = (_NATIVE_TYPES - {"VARCHAR"}) | {
    "FLOAT",
    "DOUBLE",
    "DATE",
    "TIME",
    "TIME WITH TIME ZONE",
    "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE",
    "TIMESTAMP_S",
    "TIMESTAMP_MS",
    "TIMESTAMP_NS",
}


def _cells_of(duckdb_type: str) -> Callable[[Sequence[Any]], list[str]]:
    if duckdb_type in _PLAIN_CELL_TYPES or _DECIMAL.fullmatch(duckdb_type):
        return _plain_cells
    return _text_cells if duckdb_type == "VARCHAR" else _any_cells


def text_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], types: Sequence[str] | None = None) -> str:
    """A compact pipe table: cheap in tokens, easy for a model to read.

    `types` (DuckDB's, one per column) picks a cell formatter per column, which makes the same
    text at a third of the cost of formatting cell by cell (a quarter of a 100-row call's body)."""
    lines = [" | ".join(c.translate(_TABLE_ESCAPES) for c in columns), " | ".join("---" for _ in columns)]
    if rows:
        formats = [_cells_of(t) for t in types] if types is not None else [_any_cells] * len(columns)
        cells = [fmt(col) for fmt, col in zip(formats, zip(*rows, strict=True), strict=True)]
        lines += map(" | ".join, zip(*cells, strict=True))
    return "\n".join(lines)


def take_within(rows: Sequence[Sequence[Any]], max_rows: int, max_chars: int, chars: int | None = None) -> int:
    """How many leading rows fit in both caps (at least one if any, so a result is never empty; a
    row is bounded anyway, each cell by `cell_limit`).

    `chars`: rows_chars(rows[:max_rows]), when the caller knows it already."""
    if (rows_chars(rows[:max_rows]) if chars is None else chars) <= max_chars:
        return min(len(rows), max_rows)
    used = 0
    for i, row in enumerate(rows[:max_rows]):
        used += row_chars(row)
        if used > max_chars and i > 0:
            return i
    return min(len(rows), max_rows)


def _paginate(sizes: Sequence[int], page_rows: int, page_chars: int) -> list[tuple[int, int]]:
    """Page boundaries from row sizes, fixed when the result is stored: page N always means the same rows."""
    bounds: list[tuple[int, int]] = []
    start = used = 0
    for i, size in enumerate(sizes):
        if i > start and (i - start >= page_rows or used + size > page_chars):
            bounds.append((start, i))
            start, used = i, 0
        used += size
    if start < len(sizes) or not bounds:
        bounds.append((start, len(sizes)))
    return bounds


@dataclass
class StoredResult:
    """A full result kept for paging and citation."""

    query_id: str
    sql: str
    columns: list[str]
    types: list[str]
    rows: list[list[Any]]
    chars: int  # JSON characters of all rows (the sum of row_chars)
    complete: bool  # False when the result had more rows than the store keeps
    pages: list[tuple[int, int]] = field(default_factory=list)
    nbytes: int = 0

    def page(self, number: int) -> dict[str, Any]:
        """One page as a JSON-ready dict (1-based page numbers)."""
        if not 1 <= number <= len(self.pages):
            raise IndexError(f"page {number} does not exist; this result has {len(self.pages)} page(s)")
        start, end = self.pages[number - 1]
        nxt = f"{RESULT_URI_PREFIX}{self.query_id}?page={number + 1}" if number < len(self.pages) else None
        return {
            "query_id": self.query_id,
            "sql": self.sql,
            "columns": self.columns,
            "column_types": self.types,
            "page": number,
            "pages": len(self.pages),
            "first_row": start + 1,
            "rows": self.rows[start:end],
            "row_count": len(self.rows),
            "complete": self.complete,
            "next": nxt,
        }


def result_uri(query_id: str, page: int = 1) -> str:
    return f"{RESULT_URI_PREFIX}{query_id}?page={page}"


class ResultStore:
    """Recent full results, least recently used evicted first once `max_bytes` is exceeded."""

    def __init__(self, max_bytes: int, page_rows: int, page_chars: int) -> None:
        self.max_bytes = max_bytes
        self.page_rows = page_rows
        self.page_chars = page_chars
        self._items: OrderedDict[str, StoredResult] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def new_id() -> str:
        return "q_" + secrets.token_hex(6)

    def put(self, result: StoredResult) -> None:
        # Row sizes matter only when the rows overflow one page by characters (then measure each).
        over = result.chars > self.page_chars
        sizes = [row_chars(r) for r in result.rows] if over else [0] * len(result.rows)
        result.pages = _paginate(sizes, self.page_rows, self.page_chars)
        result.nbytes = result.chars + len(result.sql) + 200
        with self._lock:
            self._items[result.query_id] = result
            self._bytes += result.nbytes
            while self._bytes > self.max_bytes and len(self._items) > 1:
                _, old = self._items.popitem(last=False)
                self._bytes -= old.nbytes

    def get(self, query_id: str) -> StoredResult | None:
        with self._lock:
            item = self._items.get(query_id)
            if item is not None:
                self._items.move_to_end(query_id)
            return item

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)
