"""What is in the database: tables, columns, counts, samples, simple stats, the schema document.

Only catalog names ever reach SQL text here, always quoted; a user-supplied table name is first
matched against the catalog, so describe_table cannot be used to inject SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp_servers.sql.engine import Engine, quote_ident
from mcp_servers.sql.errors import QueryFailed, SqlError, nearest
from mcp_servers.sql.results import CellClipper

SAMPLE_ROWS = 5
STAT_CHARS = 60
COUNT_TIMEOUT_S = 2.0
_NO_MINMAX = ("[]", "STRUCT", "MAP", "UNION", "BLOB", "BIT", "JSON")


@dataclass(frozen=True)
class Table:
    database: str
    schema: str
    name: str
    kind: str
    comment: str | None

    @property
    def display(self) -> str:
        return self.name if self.schema == "main" else f"{self.schema}.{self.name}"

    @property
    def spelled(self) -> tuple[tuple[str, ...], ...]:
        """Ways to name it: as list_tables shows it (one part), schema.name, database.schema.name
        (a part may hold dots or quotes itself)."""
        return ((self.display,), (self.schema, self.name), (self.database, self.schema, self.name))

    @property
    def ref(self) -> str:
        return ".".join(quote_ident(p) for p in (self.database, self.schema, self.name))


def tables(engine: Engine) -> list[Table]:
    rows = engine.internal(
        "SELECT database_name, schema_name, table_name, 'table', comment FROM duckdb_tables() WHERE NOT internal "
        "UNION ALL SELECT database_name, schema_name, view_name, 'view', comment FROM duckdb_views() "
        "WHERE NOT internal ORDER BY 3, 2"
    )
    return [Table(*r) for r in rows]


def _parts(name: str) -> tuple[str, ...] | None:
    """A dotted SQL name split into its parts, double-quoted ones unquoted ('""' is a quote); None
    when a quote is left open."""
    parts: list[str] = []
    buf: list[str] = []
    i = 0
    while i < len(name):
        if name[i] == '"':
            end = name.find('"', i + 1)
            while end >= 0 and name[end + 1 : end + 2] == '"':
                end = name.find('"', end + 2)
            if end < 0:
                return None
            buf.append(name[i + 1 : end].replace('""', '"'))
            i = end + 1
        elif name[i] == ".":
            parts.append("".join(buf))
            buf = []
            i += 1
        else:
            buf.append(name[i])
            i += 1
    return (*parts, "".join(buf))


def resolve(engine: Engine, name: str) -> Table:
    """The catalog entry a user-given name means, or a helpful error.

    The name is tried as written (quo"te), then as SQL ("quo""te", "main"."t"), then with its quotes
    dropped; each exact, then case-insensitive, and the first reading that names one table wins."""
    known = tables(engine)
    raw = name.strip()
    parsed = _parts(raw)
    readings = [(raw,), parsed, tuple(raw.replace('"', "").split("."))]
    for fold in (str, str.lower):
        for reading in readings:
            if reading is None:
                continue
            wanted = tuple(map(fold, reading))
            hits = [t for t in known if wanted in {tuple(map(fold, sp)) for sp in t.spelled}]
            if len(hits) == 1:
                return hits[0]
    close = nearest(raw.replace('"', "").split(".")[-1], [t.display for t in known])
    hint = f"did you mean {', '.join(close)}?" if close else "list_tables() shows every table"
    raise SqlError(f"no table or view named {name!r}", fix=hint)


def row_count(engine: Engine, table: Table) -> int | None:
    try:
        return int(engine.internal(f"SELECT count(*) FROM {table.ref}", timeout_s=COUNT_TIMEOUT_S)[0][0])
    except SqlError:
        return None


def columns(engine: Engine, table: Table) -> list[tuple[str, str, bool, str | None]]:
    return [
        (r[0], r[1], bool(r[2]), r[3])
        for r in engine.internal(
            "SELECT column_name, data_type, is_nullable, comment FROM duckdb_columns() "
            "WHERE database_name = ? AND schema_name = ? AND table_name = ? ORDER BY column_index",
            [table.database, table.schema, table.name],
        )
    ]


def _short(value: Any) -> Any:
    value = CellClipper(STAT_CHARS).any(value)  # a huge list or blob is converted only as far as the cut
    if isinstance(value, str) and len(value) > STAT_CHARS:
        return value[: STAT_CHARS - 1] + "…"
    return value


def _stats(engine: Engine, table: Table, cols: list[tuple[str, str, bool, str | None]]) -> list[dict[str, Any]]:
    parts: list[str] = []
    for name, typ, _, _ in cols:
        q = quote_ident(name)
        parts += [f"count(*) - count({q})", f"approx_count_distinct({q})"]
        parts += ["NULL", "NULL"] if any(k in typ.upper() for k in _NO_MINMAX) else [f"min({q})", f"max({q})"]
    row = engine.internal(f"SELECT {', '.join(parts)} FROM {table.ref}")[0]
    keys = ("null_count", "distinct_approx", "min", "max")
    return [{k: _short(row[i * 4 + j]) for j, k in enumerate(keys)} for i in range(len(cols))]


def describe(engine: Engine, table: Table) -> dict[str, Any]:
    """Columns with types and nullability, sample rows, and per-column stats (within the time limit)."""
    cols = columns(engine, table)
    sample = engine.internal(f"SELECT * FROM {table.ref} LIMIT {SAMPLE_ROWS}")
    note = None
    try:
        stats = _stats(engine, table, cols)
    except SqlError as exc:
        stats = [{} for _ in cols]
        note = f"stats unavailable: {exc.message}"
    return {
        "table": table.display,
        "kind": table.kind,
        "row_count": row_count(engine, table),
        "comment": table.comment,
        "columns": [
            {"name": n, "type": t, "nullable": nl, "comment": c, **st}
            for (n, t, nl, c), st in zip(cols, stats, strict=True)
        ],
        "sample_rows": [[_short(v) for v in r] for r in sample],
        "stats_note": note,
    }


def schema_document(engine: Engine, only: list[Table] | None = None, counts: bool = True) -> str:
    """The schema as Markdown: one section per table with its columns, types and comments."""
    out = ["# Database schema (DuckDB)", ""]
    for t in only if only is not None else tables(engine):
        n = row_count(engine, t) if counts else None
        head = f"## {t.display} ({t.kind}" + (f", {n:,} rows)" if n is not None else ")")
        out.append(head)
        if t.comment:
            out.append(t.comment)
        try:
            cols = columns(engine, t)
        except QueryFailed:
            cols = []
        for name, typ, nullable, comment in cols:
            line = f"- {name} {typ}" + ("" if nullable else " NOT NULL")
            out.append(line + (f" -- {comment}" if comment else ""))
        out.append("")
    if only is None and engine.skipped_files:
        out += ["## Data files not loaded (no view)", *(f"- {f}" for f in engine.skipped_files), ""]
    return "\n".join(out)
