"""Load the defog sql-eval databases (PostgreSQL dumps) and Chinook (SQLite) into DuckDB files.

    uv run python scripts/load_defog.py --out .cache/defog            # load, then check the gold queries
    uv run python scripts/load_defog.py --out /tmp/defog --no-check   # load only

The dumps need small fixes for DuckDB: `public.` prefixes dropped, SERIAL as INTEGER, and two
PostgreSQL/MySQL-only functions the INSERTs call (TO_CHAR, bcryptHash) provided as temporary
macros while loading (they are not left in the database files). Chinook is copied table by table
with Python's sqlite3, because DuckDB's sqlite extension is not bundled and must not be downloaded.

The check runs every gold query (the `query` column of questions_gen_postgres.csv; alternatives
separated by ';', `{a, b}` column choices expanded to all columns) directly in DuckDB and through
the SQL server's run_query, and reports how many run, how many match, and why the rest do not.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import re
import sqlite3
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SRC = ROOT.parent / "shared" / "data" / "defog"
DEFAULT_CHINOOK = ROOT.parent / "shared" / "data" / "chinook" / "Chinook_Sqlite.sqlite"

LOAD_MACROS = [
    # broker.sql formats timestamps with TO_CHAR(ts, '%Y%m%d %H:%i:%s') (MySQL's %i = minutes); DuckDB's
    # strftime needs a constant format, and that is the only one the dumps use.
    "CREATE TEMP MACRO to_char(ts, fmt) AS strftime(CAST(ts AS TIMESTAMP), '%Y%m%d %H:%M:%S')",
    # ewallet.sql hashes passwords with a PostgreSQL extension function; any stable digest will do.
    "CREATE TEMP MACRO bcrypthash(x) AS md5(CAST(x AS VARCHAR))",
]


@dataclass
class LoadReport:
    name: str
    path: Path
    statements: int = 0
    failed: list[str] = field(default_factory=list)


def fix_dump(text: str) -> str:
    """PostgreSQL dump text as DuckDB accepts it."""
    text = re.sub(r"\bpublic\.", "", text)
    text = re.sub(r"\bSERIAL\b", "INTEGER", text, flags=re.IGNORECASE)
    # DuckDB foreign keys need identical column types (ewallet's do not match); analysis needs no FKs.
    text = re.sub(r"\s+REFERENCES\s+[\w.]+\s*\([^)]*\)", "", text, flags=re.IGNORECASE)
    return text


def _fresh_db_path(out_dir: Path, name: str) -> Path:
    """`<out_dir>/<name>.duckdb` with any previous file (and its WAL) removed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.duckdb"
    for p in (path, path.with_suffix(".duckdb.wal")):
        p.unlink(missing_ok=True)
    return path


def _save_memory_db(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Copy the in-memory database to `path` in one go: loading in memory first is ~100x faster than
    row-by-row commits to a file."""
    con.execute(f"ATTACH '{path}' AS out")
    con.execute("COPY FROM DATABASE memory TO out")
    con.execute("DETACH out")


def load_dump(sql_file: Path, out_dir: Path) -> LoadReport:
    """One dump into `<out_dir>/<name>.duckdb` (replaced if present), statement by statement."""
    path = _fresh_db_path(out_dir, sql_file.stem)
    report = LoadReport(sql_file.stem, path)
    con = duckdb.connect(":memory:")
    try:
        for macro in LOAD_MACROS:
            con.execute(macro)
        for stmt in con.extract_statements(fix_dump(sql_file.read_text(encoding="utf-8"))):
            report.statements += 1
            try:
                con.execute(stmt)
            except duckdb.Error as exc:
                report.failed.append(f"{stmt.query.strip()[:80]}: {str(exc).splitlines()[0]}")
        _save_memory_db(con, path)
    finally:
        con.close()
    return report


def load_chinook(sqlite_file: Path, out_dir: Path) -> Path:
    """Chinook's tables copied into `<out_dir>/chinook.duckdb` through Python's sqlite3."""
    path = _fresh_db_path(out_dir, "chinook")
    src = sqlite3.connect(f"file:{sqlite_file}?mode=ro", uri=True)
    con = duckdb.connect(":memory:")
    try:
        tables = [
            r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        ]
        for table in tables:
            cols = src.execute(f'PRAGMA table_info("{table}")').fetchall()  # cid, name, type, notnull, default, pk
            defs = ", ".join(f'"{c[1]}" {_duck_type(c[2])}' + (" NOT NULL" if c[3] else "") for c in cols)
            con.execute(f'CREATE TABLE "{table}" ({defs})')
            rows = src.execute(f'SELECT * FROM "{table}"').fetchall()
            marks = "(" + ", ".join("?" for _ in cols) + ")"
            for i in range(0, len(rows), 500):  # multi-row INSERTs: executemany is row by row, ~50x slower
                chunk = rows[i : i + 500]
                params = [v for row in chunk for v in row]
                con.execute(f'INSERT INTO "{table}" VALUES {", ".join(marks for _ in chunk)}', params)
        _save_memory_db(con, path)
    finally:
        con.close()
        src.close()
    return path


def _duck_type(sqlite_type: str) -> str:
    t = sqlite_type.upper()
    if "INT" in t:
        return "BIGINT"
    if t.startswith(("NUMERIC", "DECIMAL")):
        return t
    if any(k in t for k in ("REAL", "FLOA", "DOUB")):
        return "DOUBLE"
    if "DATE" in t or "TIME" in t:
        return "TIMESTAMP"
    return "VARCHAR"


# -- gold queries -------------------------------------------------------------------------------


@dataclass
class Gold:
    index: int
    db: str
    category: str
    alternatives: list[str]


def expand_braces(query: str) -> str:
    """defog's `{a, b}` means 'any of these columns': take them all; `GROUP BY {}` groups by them."""
    m = re.search(r"\{([^{}]*)\}", query)
    if not m:
        return query
    cols = ", ".join(c.strip() for c in m.group(1).split(","))
    out = query[: m.start()] + cols + query[m.end() :]
    return out.replace("GROUP BY {}", f"GROUP BY {cols}")


def gold_queries(csv_file: Path) -> list[Gold]:
    with csv_file.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [
        Gold(
            i, r["db_name"], r["query_category"], [expand_braces(q.strip()) for q in r["query"].split(";") if q.strip()]
        )
        for i, r in enumerate(rows)
    ]


def categorize(error: str) -> str:
    """A short, stable reason for a DuckDB error on a PostgreSQL gold query."""
    e = error
    if e.startswith("Refused"):
        return "refused by the server's safety checks"
    if "Function with name" in e and "does not exist" in e:
        name = re.search(r"Function with name (\w+)", e)
        return f"PostgreSQL-only function ({name.group(1).lower() if name else '?'})"
    if "No function matches" in e or "Could not choose a best candidate" in e:
        return "function argument types differ from PostgreSQL"
    if "Conversion Error" in e or "Could not convert" in e:
        return "implicit cast PostgreSQL allows, DuckDB does not"
    if e.startswith("Parser Error") or "syntax error" in e:
        return "PostgreSQL-only syntax"
    if "must appear in the GROUP BY" in e or "GROUP BY" in e:
        return "GROUP BY rule stricter than PostgreSQL"
    if e.startswith("Binder Error"):
        return "binder error (name or type resolution differs)"
    if e.startswith("Catalog Error"):
        return "missing table or column"
    return "other: " + e.splitlines()[0][:60]


def _normalize(rows: list[list[Any]]) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)


async def check_gold(db_dir: Path, golds: list[Gold]) -> dict[str, Any]:
    """Run each alternative directly and through run_query (in-process MCP client); compare results."""
    from mcp import Client

    from mcp_servers.sql.results import jsonable, text_columns
    from mcp_servers.sql.server import build_server
    from sleuth.config import Settings, SqlSettings

    per_alt: Counter[str] = Counter()
    questions_ok = 0
    mismatches: list[str] = []
    not_run: list[str] = []
    by_db: dict[str, list[Gold]] = {}
    for g in golds:
        by_db.setdefault(g.db, []).append(g)
    for db, items in sorted(by_db.items()):
        path = db_dir / f"{db}.duckdb"
        # Expected results first, on a plain connection closed before the server opens the file
        # (DuckDB refuses two connections with different settings to one file in one process).
        expected: dict[str, tuple[list[str], list[list[Any]]] | str] = {}
        direct = duckdb.connect(str(path), read_only=True)
        for sql in (a for g in items for a in g.alternatives):
            try:
                cur = direct.execute(sql)
                names = [d[0] for d in cur.description or []]
                types = [str(d[1]) for d in cur.description or []]
                casts = text_columns(types)
                rows = cur.fetchall() if not casts else None
                if rows is None:  # run_query gives these as DuckDB's own text: ask DuckDB for it
                    cols = ", ".join(
                        f"CAST(#{i + 1} AS VARCHAR)" if i in casts else f"#{i + 1}" for i in range(len(types))
                    )
                    rows = direct.execute(f"SELECT {cols} FROM (\n{sql}\n) AS q").fetchall()
                expected[sql] = (names, [[jsonable(v) for v in r] for r in rows])
            except duckdb.Error as exc:
                expected[sql] = str(exc)
        direct.close()
        settings = Settings(sql=SqlSettings(db=path, max_rows=1_000_000, max_chars=100_000_000, timeout_s=30))
        async with Client(build_server(settings)) as client:
            for g in items:
                ran = False
                reasons: list[str] = []
                for sql in g.alternatives:
                    want = expected[sql]
                    if isinstance(want, str):
                        per_alt[categorize(want)] += 1
                        reasons.append(categorize(want))
                        continue
                    r = await client.call_tool("run_query", {"sql": sql})
                    text = "\n".join(getattr(b, "text", "") for b in r.content)
                    if r.is_error:
                        per_alt[categorize(text)] += 1
                        mismatches.append(f"{db}#{g.index}: DuckDB runs it, run_query says: {text[:150]}")
                        continue
                    sc = r.structured_content
                    if sc["columns"] != want[0] or _normalize(sc["rows"]) != _normalize(want[1]):
                        per_alt["result differs"] += 1
                        mismatches.append(f"{db}#{g.index}: results differ for {sql[:100]}")
                        continue
                    per_alt["runs, same result"] += 1
                    ran = True
                questions_ok += ran
                if not ran:
                    not_run.append(f"{db}#{g.index} ({g.category}): {'; '.join(dict.fromkeys(reasons))}")
    alts = sum(len(g.alternatives) for g in golds)
    return {
        "questions": len(golds),
        "questions_run": questions_ok,
        "alternatives": alts,
        "alternative_outcomes": dict(per_alt.most_common()),
        "mismatches": mismatches,
        "not_run": not_run,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=DEFAULT_SRC, help="folder with the defog *.sql dumps")
    ap.add_argument("--chinook", type=Path, default=DEFAULT_CHINOOK, help="Chinook_Sqlite.sqlite")
    ap.add_argument("--out", type=Path, required=True, help="output folder for the .duckdb files")
    ap.add_argument("--no-check", action="store_true", help="load only; skip the gold-query check")
    args = ap.parse_args(argv)
    if not args.src.is_dir():
        print(f"error: {args.src} not found (the shared defog data)", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    for dump in sorted(args.src.glob("*.sql")):
        rep = load_dump(dump, args.out)
        status = "ok" if not rep.failed else f"{len(rep.failed)} statement(s) failed"
        print(f"{rep.name:16} {rep.statements:4} statements  {status}")
        for f in rep.failed:
            print(f"    {f}")
    if args.chinook.is_file():
        print(f"chinook          -> {load_chinook(args.chinook, args.out)}")
    print(f"loaded in {time.perf_counter() - t0:.1f} s into {args.out}")
    if args.no_check:
        return 0
    golds = gold_queries(args.src / "questions_gen_postgres.csv")
    t1 = time.perf_counter()
    report = asyncio.run(check_gold(args.out, golds))
    print(f"\ngold queries: {report['questions_run']} of {report['questions']} questions run with the same result")
    print(f"alternatives: {report['alternatives']}")
    for reason, n in report["alternative_outcomes"].items():
        print(f"  {n:4}  {reason}")
    for q in report["not_run"]:
        print(f"  not run: {q}")
    for m in report["mismatches"]:
        print(f"  ! {m}")
    print(f"checked in {time.perf_counter() - t1:.1f} s")
    return 1 if report["mismatches"] else 0


if __name__ == "__main__":
    sys.exit(main())
