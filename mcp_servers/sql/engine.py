"""The DuckDB side: one locked-down connection, timeouts by interrupt, bounded fetches.

Why one connection behind a lock: a DuckDB connection is not safe for concurrent use, and the
data-folder views are TEMP views, which only their own connection sees. Queries are serialised;
a watchdog thread calls `connection.interrupt()` at each query's deadline, so a runaway query
stops and the server stays healthy whichever thread runs it.

Engine settings are the last safety layer: the database is opened read-only (unless --read-write),
file access is limited to the data folders, extensions can be neither installed nor loaded, no
spilling to disk, and the configuration is locked so a query cannot undo any of it.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from mcp_servers.sql.errors import QueryFailed, QueryRefused, QueryTimeout, SqlError, from_duckdb
from mcp_servers.sql.results import (
    CellClipper,
    cell_limit,
    column_converter,
    edge_columns,
    json_rows,
    row_chars,
    rows_chars,
    text_columns,
)
from sleuth.config import SqlSettings
from sleuth.errors import SleuthError
from sleuth.logs import get_logger

log = get_logger(__name__)

Query = str | duckdb.Statement  # SQL text, or a statement DuckDB already parsed

DATA_SUFFIXES = {
    ".csv": "read_csv",
    ".tsv": "read_csv",
    ".parquet": "read_parquet",
    ".json": "read_json_auto",
    ".jsonl": "read_json_auto",
    ".ndjson": "read_json_auto",
}
_READ_TYPES = {duckdb.StatementType.SELECT}
_WRITE_TYPES = {
    duckdb.StatementType.INSERT,
    duckdb.StatementType.UPDATE,
    duckdb.StatementType.DELETE,
    duckdb.StatementType.CREATE,
    duckdb.StatementType.DROP,
}
FETCH_BATCH = 2048


@dataclass
class Fetched:
    """Rows of one query as JSON-ready lists, with how much of the result they are."""

    columns: list[str]
    types: list[str]
    rows: list[list[Any]]
    chars: int  # JSON characters of all rows (the sum of results.row_chars)
    complete: bool  # False: the result had more rows than the fetch limits allowed
    elapsed_ms: float
    cell_chars: int = 0  # the limit each cell was cut to
    cells_cut: int = 0  # cells longer than that, cut


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _view_name(root: Path, path: Path, taken: set[str]) -> str:
    stem = str(path.relative_to(root).with_suffix("")).lower()
    name = re.sub(r"[^a-z0-9_]+", "_", stem).strip("_") or "data"
    if name[0].isdigit():
        name = "t_" + name
    base, n = name, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _collect(
    cur: duckdb.DuckDBPyConnection, converters: list[Any], max_rows: int, max_chars: int
) -> tuple[list[list[Any]], int, bool]:
    """Rows of an executed query as JSON-ready lists within both caps; their characters; all of them?"""
    rows: list[list[Any]] = []
    chars, complete = 0, True
    while complete and (batch := cur.fetchmany(min(FETCH_BATCH, max_rows + 1 - len(rows)))):
        fresh = json_rows(batch, converters)
        fresh_chars = rows_chars(fresh)
        if len(rows) + len(fresh) <= max_rows and chars + fresh_chars <= max_chars:
            rows += fresh
            chars += fresh_chars
            continue
        for row in fresh:  # a cap falls inside this batch: find the row it falls on
            size = row_chars(row)
            if len(rows) >= max_rows or (chars + size > max_chars and rows):
                complete = False
                break
            rows.append(row)
            chars += size
    return rows, chars, complete


def _as_text(sql: Query, casts: set[int], width: int) -> str:
    """The vetted query as a subquery whose `casts` columns come back as VARCHAR (DuckDB's own text).

    The text is the one both parsers accepted as a single read statement; only its trailing
    semicolons are dropped (DuckDB's tokenizer finds them, so none inside a string or comment),
    and a newline ends a trailing line comment before the closing parenthesis."""
    text = sql.query if isinstance(sql, duckdb.Statement) else sql
    tokens = duckdb.tokenize(text)
    end = len(text)
    for offset, kind in reversed(tokens):
        if kind == duckdb.token_type.comment:
            continue
        if kind == duckdb.token_type.operator and text[offset] == ";":
            end = offset
            continue
        break
    cols = ", ".join(f"CAST(#{i + 1} AS VARCHAR)" if i in casts else f"#{i + 1}" for i in range(width))
    return f"SELECT {cols} FROM (\n{text[:end]}\n) AS q"


class _Watchdog:
    """One thread that interrupts the connection once an armed deadline passes.

    Why not a Timer per query: starting a thread costs about a quarter of a millisecond. Why arming
    does not wake the thread: a thread wake-up per query costs another tenth of a millisecond or
    more on a small machine. Instead the thread never sleeps past `_wake_at`: when idle it naps for
    `idle_s` (the usual time limit), so a deadline at least that far away is seen in time without
    a notify; only a shorter deadline wakes it. Arm, disarm and the interrupt share one condition
    lock, so a query that finished (disarmed) is never interrupted afterwards.
    """

    def __init__(self, conn: duckdb.DuckDBPyConnection, idle_s: float) -> None:
        self._conn = conn
        self._idle_s = idle_s
        self._cond = threading.Condition()
        self._deadline: float | None = None
        # The thread wakes no later than this (monotonic). 0 until it first waits: before that it
        # reads the deadline anyway, so no arm needs to wake it.
        self._wake_at = 0.0
        self._stopped = False
        self.fired = False
        threading.Thread(target=self._run, name="sql-watchdog", daemon=True).start()

    def arm(self, seconds: float) -> None:
        with self._cond:
            self._deadline = time.monotonic() + seconds
            self.fired = False
            if self._deadline < self._wake_at:
                self._cond.notify()

    def disarm(self) -> None:
        with self._cond:
            self._deadline = None

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                if self._deadline is None:
                    self._wake_at = now + self._idle_s
                elif self._deadline > now:
                    self._wake_at = self._deadline
                else:
                    self._deadline, self.fired = None, True
                    self._conn.interrupt()
                    continue
                self._cond.wait(self._wake_at - now)


class Engine:
    """A configured DuckDB connection plus the bounded ways the server uses it."""

    def __init__(self, settings: SqlSettings) -> None:
        self.settings = settings
        self.read_only = not settings.read_write
        self.roots = [Path(p).resolve() for p in settings.data_dirs]
        self._lock = threading.Lock()
        self.skipped_files: list[str] = []  # "path: why", one per data file that has no view
        self.conn = self._connect()
        self._watchdog = _Watchdog(self.conn, idle_s=settings.timeout_s)
        try:
            self._configure()
        except duckdb.Error as exc:
            self.close()
            raise SleuthError(
                f"cannot apply the SQL limits: {str(exc).splitlines()[0]}",
                fix="check sql.memory_limit (e.g. '1GB') and sql.threads",
            ) from None

    # -- opening -------------------------------------------------------------------------------
    def _connect(self) -> duckdb.DuckDBPyConnection:
        s = self.settings
        if s.db is None and not s.data_dirs:
            raise SleuthError("the SQL server has no database", fix="pass --db FILE.duckdb and/or --data DIR")
        for d in s.data_dirs:
            if Path(d).exists() and not Path(d).is_dir():
                raise SleuthError(
                    f"data folder {d} is a file, not a folder", fix="pass --data with the folder holding it"
                )
            if not Path(d).is_dir():
                raise SleuthError(f"data folder {d} does not exist", fix="pass --data with an existing folder")
        config = {
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
        }
        if s.db is None:
            return duckdb.connect(":memory:", config=config)
        if Path(s.db).is_dir():
            raise SleuthError(f"database {s.db} is a folder, not a DuckDB file", fix="pass --db with the DuckDB file")
        if not Path(s.db).is_file():
            raise SleuthError(f"database file {s.db} does not exist", fix="pass --db with an existing DuckDB file")
        try:
            return duckdb.connect(str(s.db), read_only=self.read_only, config=config)
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0]
            raise SleuthError(
                f"cannot open {s.db} as a DuckDB database: {first}",
                fix="check that it is a DuckDB file and that no other process holds it open for writing",
            ) from None

    def _configure(self) -> None:
        s, c = self.settings, self.conn
        if c.execute("SELECT current_setting('lock_configuration')").fetchone()[0]:  # type: ignore[index]
            # DuckDB shares one instance per file within a process: another engine here already
            # locked it down, and its limits apply (they cannot be changed any more, by design).
            log.warning("database already opened and locked in this process; its settings apply", db=str(s.db))
            self._create_data_views()
            return
        c.execute(f"SET memory_limit = {_quote_str(s.memory_limit)}")
        c.execute(f"SET threads = {int(s.threads)}")
        c.execute("SET temp_directory = ''")  # never spill next to the warehouse file
        roots = [str(r) + "/" for r in self.roots]
        c.execute(f"SET allowed_directories = [{', '.join(_quote_str(r) for r in roots)}]")
        c.execute("SET enable_external_access = false")
        self._create_data_views()
        c.execute("SET lock_configuration = true")

    def _create_data_views(self) -> None:
        taken = {r[0].lower() for r in self.conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        taken |= {r[0].lower() for r in self.conn.execute("SELECT view_name FROM duckdb_views()").fetchall()}
        for root in self.roots:
            for path in sorted(root.rglob("*")):
                reader = DATA_SUFFIXES.get(path.suffix.lower())
                if reader is None or not path.is_file() or any(p.startswith(".") for p in path.parts):
                    continue
                real = path.resolve()
                if real != root and root not in real.parents:
                    # DuckDB's allowed_directories compares path text, so a symlink would let it out.
                    self.skipped_files.append(f"{path}: a link to {real}, outside {root}")
                    log.warning("data file skipped: links outside its data folder", path=str(path))
                    continue
                name = _view_name(root, path, taken)
                sql = f"CREATE TEMP VIEW {quote_ident(name)} AS SELECT * FROM {reader}({_quote_str(str(path))})"
                try:
                    self.conn.execute(sql)
                    comment = f"file {path.relative_to(root)} in {root}"
                    self.conn.execute(f"COMMENT ON VIEW {quote_ident(name)} IS {_quote_str(comment)}")
                except duckdb.Error as exc:
                    self.skipped_files.append(f"{path}: {str(exc).splitlines()[0].strip()[:300]}")
                    log.warning("data file skipped", path=str(path), error=str(exc).splitlines()[0])

    # -- running -------------------------------------------------------------------------------
    def _guarded(self, fn: Any, timeout_s: float | None = None) -> Any:
        """Run fn() holding the connection, interrupting it when the time limit passes."""
        limit = timeout_s or self.settings.timeout_s
        if not self._lock.acquire(timeout=limit):
            raise QueryTimeout(
                f"the server was busy with another query for {limit:g} s",
                fix="try again, or make the other query cheaper",
            )
        self._watchdog.arm(limit)
        try:
            return fn()
        except duckdb.Error as exc:
            if self._watchdog.fired or isinstance(exc, duckdb.InterruptException):
                raise QueryTimeout(
                    f"the query was stopped after {limit:g} s (time limit)",
                    fix="add filters or a LIMIT, aggregate earlier, or ask for fewer columns",
                ) from None
            raise
        finally:
            self._watchdog.disarm()
            self._lock.release()

    def parse(self, sql: str) -> duckdb.Statement:
        """DuckDB's own reading of the SQL: exactly one statement, returned to run as parsed."""
        try:
            stmts = self._guarded(lambda: self.conn.extract_statements(sql))
        except duckdb.Error as exc:
            raise from_duckdb(exc, self.table_names(), []) from None
        if len(stmts) != 1:
            raise QueryRefused(f"one statement per call; DuckDB reads {len(stmts)} here")
        return stmts[0]

    def require_type(self, sql: str, *, write: bool, call: bool = False) -> duckdb.Statement:
        """The parsed statement, if its type is allowed. `call`: the allow-list already approved
        this CALL of a catalog function."""
        stmt = self.parse(sql)
        allowed = _READ_TYPES | (_WRITE_TYPES if write else set()) | ({duckdb.StatementType.CALL} if call else set())
        if stmt.type not in allowed:
            raise QueryRefused(f"DuckDB reads this as a {stmt.type.name} statement, which is not allowed here")
        return stmt

    def fetch(
        self, sql: Query, max_rows: int, max_chars: int, tables: Sequence[str] = (), cell_budget: int | None = None
    ) -> Fetched:
        """Run one already-vetted statement; keep at most max_rows rows / max_chars characters, each
        cell cut to `results.cell_limit(cell_budget or max_chars, columns)` characters.

        Pass the `duckdb.Statement` that `require_type` returned: DuckDB then runs exactly what was
        checked, without parsing the text a second time (a tenth of a millisecond per call). The one
        exception: a result with values Python cannot hold exactly (INTERVAL, TIMESTAMP_NS, ±infinity
        dates, an interval past timedelta's range) runs again, its text as a subquery of a projection
        that reads those columns as DuckDB's own text.
        `tables` (those the query names) narrow the column hints of an error to where they apply.
        """

        def work() -> Fetched:
            t0 = time.perf_counter()
            cur = self.conn.execute(sql)
            desc = cur.description or []
            types = [str(d[1]) for d in desc]
            limit = cell_limit(cell_budget or max_chars, len(desc))
            casts: set[int] = set()
            wanted = text_columns(types)
            while True:  # at most three runs: as is, text types as text, ±infinity dates too
                if wanted != casts:
                    casts = wanted
                    cur = self.conn.execute(_as_text(sql, casts, len(types)))
                clipper = CellClipper(limit)
                converters = [clipper.text if i in casts else column_converter(t, clipper) for i, t in enumerate(types)]
                try:
                    rows, chars, complete = _collect(cur, converters, max_rows, max_chars)
                except (OverflowError, ValueError):  # a value Python's date or timedelta cannot hold
                    wanted = text_columns(types, unsure=True)
                    if wanted == casts:  # read as text already: not a value Python cannot hold
                        raise
                else:
                    wanted = casts | edge_columns(types, rows) if clipper.edge else casts
                if wanted == casts:
                    break
            elapsed = (time.perf_counter() - t0) * 1000
            return Fetched([d[0] for d in desc], types, rows, chars, complete, elapsed, clipper.limit, clipper.cut)

        try:
            return self._guarded(work if self.read_only else lambda: self._in_read_only_transaction(work))
        except duckdb.Error as exc:
            raise from_duckdb(exc, self.table_names(), self.column_names(tables)) from None

    def _in_read_only_transaction(self, work: Callable[[], Fetched]) -> Fetched:
        """Run a read on a read-write connection so that nothing it calls can write.

        The allow-list vets the SQL text, but a view or macro made earlier with execute_write
        runs whatever its body says (nextval() in a view, say). A READ ONLY transaction makes
        DuckDB refuse any write inside it, and the rollback leaves nothing behind either way.
        """
        self.conn.execute("BEGIN TRANSACTION READ ONLY")
        try:
            return work()
        finally:
            self.conn.execute("ROLLBACK")

    def bind(self, sql: str, tables: Sequence[str] = ()) -> list[tuple[str, str]]:
        """Columns and types a SELECT would return, without running it (DuckDB binds lazily)."""

        def work() -> list[tuple[str, str]]:
            rel = self.conn.sql(sql)
            return list(zip(rel.columns, [str(t) for t in rel.types], strict=True))

        try:
            return self._guarded(work)
        except duckdb.Error as exc:
            raise from_duckdb(exc, self.table_names(), self.column_names(tables)) from None

    def execute_write(self, sql: Query) -> tuple[int | None, float]:
        """Run one vetted write statement; rows changed (when DuckDB reports it) and elapsed ms."""

        def work() -> tuple[int | None, float]:
            t0 = time.perf_counter()
            cur = self.conn.execute(sql)
            row = cur.fetchone() if cur.description else None
            changed = int(row[0]) if row and isinstance(row[0], int) else None
            return changed, (time.perf_counter() - t0) * 1000

        try:
            return self._guarded(work)
        except duckdb.Error as exc:
            raise from_duckdb(exc, self.table_names(), self.column_names()) from None

    def internal(self, sql: str, params: Sequence[Any] = (), timeout_s: float | None = None) -> list[tuple]:
        """Trusted catalog SQL written by this server (never user text), under the same limits."""
        try:
            return self._guarded(lambda: self.conn.execute(sql, list(params)).fetchall(), timeout_s)
        except duckdb.Error as exc:
            raise QueryFailed(str(exc).splitlines()[0]) from None

    # -- catalog names for error hints -----------------------------------------------------------
    def table_names(self) -> list[str]:
        try:
            rows = self.internal(
                "SELECT table_name FROM duckdb_tables() WHERE NOT internal "
                "UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal"
            )
        except SqlError:
            return []
        return [r[0] for r in rows]

    def column_names(self, tables: Sequence[str] = ()) -> list[str]:
        """Column names of the given tables (matched by their last name part), else of all tables."""
        wanted = [t.split(".")[-1].lower() for t in tables]
        sql = "SELECT DISTINCT column_name FROM duckdb_columns() WHERE NOT internal"
        try:
            rows = self.internal(sql + " AND lower(table_name) IN (SELECT unnest(?))", [wanted]) if wanted else []
            rows = rows or self.internal(sql)
        except SqlError:
            return []
        return [r[0] for r in rows]

    def close(self) -> None:
        self._watchdog.stop()
        self.conn.close()
