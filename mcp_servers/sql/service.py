"""The tools' logic, synchronous and transport-free: safety check, engine call, shaping the result.

Each method returns a finished `CallToolResult` (structured content, text for the model, resource
links) or an `is_error` result with a message the model can act on. It never raises for bad
input, so no call can crash the server. `server.py` runs these in a worker thread.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
from mcp.types import CallToolResult, ResourceLink, TextContent

from mcp_servers.sql import catalog
from mcp_servers.sql.engine import Engine
from mcp_servers.sql.errors import SqlError, UnparsableSql
from mcp_servers.sql.results import ResultStore, StoredResult, result_uri, take_within, text_table
from mcp_servers.sql.safety import CheckedSql, check_sql
from sleuth.config import SqlSettings
from sleuth.logs import get_logger

log = get_logger(__name__)

STORE_MAX_ROWS = 20_000  # rows of one result kept for paging (fetching more costs seconds)
STORE_MAX_CHARS = 20_000_000  # JSON characters of one result kept for paging
STORE_MAX_BYTES = 64_000_000  # all kept results together


def _error(exc: SqlError) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=exc.text())], is_error=True)


def _guard(fn: Callable[..., CallToolResult]) -> Callable[..., CallToolResult]:
    """Every tool answers: known failures as their message, anything else as a generic is_error."""

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> CallToolResult:
        try:
            return fn(*args, **kwargs)
        except SqlError as exc:
            log.info("sql tool refused or failed", tool=fn.__name__, kind=exc.kind, error=exc.message[:300])
            return _error(exc)
        except (duckdb.Error, ValueError, TypeError, OverflowError) as exc:
            log.warning("sql tool error", tool=fn.__name__, error=str(exc)[:300])
            return _error(SqlError(f"{type(exc).__name__}: {str(exc).splitlines()[0][:500]}"))

    return wrapped


@dataclass(frozen=True)
class Vetted:
    """SQL both parsers accepted: sqlglot's verdict and DuckDB's parsed statement (what will run)."""

    checked: CheckedSql
    statement: duckdb.Statement


def vet(engine: Engine, sql: str, *, write: bool = False) -> Vetted:
    """Both parsers must accept the SQL: sqlglot's allow-list, then DuckDB's statement type.

    When sqlglot cannot parse, DuckDB's parser is asked first so a plain syntax error comes back
    with DuckDB's line-and-caret position; the SQL is refused either way.
    """
    try:
        checked = check_sql(sql, engine.roots, write=write)
    except UnparsableSql:
        engine.parse(sql)  # raises QueryFailed with the position of a syntax error
        raise
    return Vetted(checked, engine.require_type(sql, write=write, call=checked.statement == "Call"))


class SqlService:
    """One database, its safety policy, and the store of recent results."""

    def __init__(self, settings: SqlSettings) -> None:
        self.settings = settings
        self.engine = Engine(settings)
        # Close the connection when the service goes away or at exit (not per client session:
        # an in-process server may serve several sessions in turn).
        weakref.finalize(self, self.engine.close)
        self.store = ResultStore(STORE_MAX_BYTES, page_rows=settings.max_rows, page_chars=settings.max_chars)

    @property
    def read_write(self) -> bool:
        return not self.engine.read_only

    @_guard
    def list_tables(self) -> CallToolResult:
        entries = [
            {"name": t.display, "kind": t.kind, "row_count": catalog.row_count(self.engine, t), "comment": t.comment}
            for t in catalog.tables(self.engine)
        ]
        lines = [
            f"{e['name']} ({e['kind']}, {e['row_count'] if e['row_count'] is not None else '?'} rows)"
            + (f": {e['comment']}" if e["comment"] else "")
            for e in entries
        ]
        text = "\n".join(lines) if lines else "The database has no tables."
        skipped = self.engine.skipped_files
        if skipped:
            text += "\n\nData files not loaded (no view):\n" + "\n".join(f"- {f}" for f in skipped)
        structured = {"tables": entries, "skipped_files": skipped}
        return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured)

    @_guard
    def describe_table(self, table: str) -> CallToolResult:
        info = catalog.describe(self.engine, catalog.resolve(self.engine, table))
        head = f"{info['table']} ({info['kind']}, {info['row_count']} rows)"
        if info["comment"]:
            head += f": {info['comment']}"
        col_rows = [
            [
                c["name"],
                c["type"],
                "yes" if c["nullable"] else "no",
                c.get("null_count"),
                c.get("distinct_approx"),
                c.get("min"),
                c.get("max"),
                c["comment"],
            ]
            for c in info["columns"]
        ]
        cols = text_table(["column", "type", "nullable", "nulls", "distinct~", "min", "max", "comment"], col_rows)
        sample = text_table([c["name"] for c in info["columns"]], info["sample_rows"])
        text = f"{head}\n\n{cols}\n\nSample rows:\n{sample}"
        if info["stats_note"]:
            text += f"\n\n({info['stats_note']})"
        return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=info)

    @_guard
    def run_query(self, sql: str, max_rows: int | None = None) -> CallToolResult:
        limit = self.settings.max_rows if max_rows is None else max(1, min(int(max_rows), self.settings.max_rows))
        vetted = vet(self.engine, sql)
        got = self.engine.fetch(
            vetted.statement, STORE_MAX_ROWS, STORE_MAX_CHARS, vetted.checked.tables, self.settings.max_chars
        )
        stored = StoredResult(self.store.new_id(), sql, got.columns, got.types, got.rows, got.chars, got.complete)
        self.store.put(stored)
        head_chars = got.chars if len(got.rows) <= limit else None  # the head is the whole result
        shown = take_within(got.rows, limit, self.settings.max_chars, head_chars)
        head = got.rows[:shown]
        truncated = shown < len(got.rows) or not got.complete
        structured = {
            "query_id": stored.query_id,
            "sql": sql,
            "columns": got.columns,
            "column_types": got.types,
            "rows": head,
            "row_count": len(got.rows),
            "row_count_exact": got.complete,
            "truncated": truncated,
            "cells_cut": got.cells_cut,
            "elapsed_ms": round(got.elapsed_ms, 3),
            "result_uri": result_uri(stored.query_id),
            "pages": len(stored.pages),
        }
        count = f"{len(got.rows):,}" + ("" if got.complete else "+")
        table = text_table(got.columns, head, got.types)
        if len(table) > self.settings.max_chars:
            table = table[: self.settings.max_chars].rsplit("\n", 1)[0]
        text = f"query_id {stored.query_id} · {count} rows · {got.elapsed_ms:.1f} ms\n{table}"
        content: list[Any] = []
        if got.cells_cut:
            text += (
                f"\n({got.cells_cut:,} long value(s) of the result were cut to {got.cell_chars:,} characters,"
                " here and in its stored pages; select a part in SQL, e.g. substr(col, start, n), to read more)"
            )
        if truncated:
            text += (
                f"\n(showing {shown:,} of {count} rows; the full result is at {result_uri(stored.query_id)}"
                f" in {len(stored.pages)} page(s))"
            )
        content.append(TextContent(type="text", text=text))
        if truncated:
            content.append(
                ResourceLink(
                    type="resource_link",
                    uri=result_uri(stored.query_id),
                    name=f"result {stored.query_id}",
                    description=f"Full result of {stored.query_id}: {count} rows in {len(stored.pages)} page(s).",
                    mime_type="application/json",
                )
            )
        return CallToolResult(content=content, structured_content=structured)

    @_guard
    def check_query(self, sql: str) -> CallToolResult:
        checked = vet(self.engine, sql).checked
        cols = self.engine.bind(sql, checked.tables)
        structured = {
            "valid": True,
            "statement": checked.statement.upper(),
            "tables": checked.tables,
            "columns": [{"name": n, "type": t} for n, t in cols],
        }
        text = (
            "Valid read-only query. Tables: "
            + (", ".join(checked.tables) or "none")
            + ". Result columns: "
            + ", ".join(f"{n} {t}" for n, t in cols)
        )
        return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured)

    @_guard
    def execute_write(self, sql: str) -> CallToolResult:
        vetted = vet(self.engine, sql, write=True)
        checked = vetted.checked
        changed, elapsed = self.engine.execute_write(vetted.statement)
        structured = {"statement": checked.statement.upper(), "rows_affected": changed, "elapsed_ms": round(elapsed, 3)}
        text = f"{checked.statement.upper()} done" + (f": {changed} row(s) affected" if changed is not None else "")
        return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured)

    def read_result(self, query_id: str, page: int) -> dict[str, Any]:
        """One page of a stored result; KeyError/IndexError say what is missing."""
        stored = self.store.get(query_id)
        if stored is None:
            raise KeyError(f"no stored result {query_id!r} (unknown id, or evicted: run the query again)")
        return stored.page(page)
