"""The hostile suite: writes, engine control, file escapes, statement smuggling, runaway queries.

Every input goes through a real `sleuth serve sql` subprocess over stdio. Each must come back as
a refusal or error (is_error, a clear message, no traceback) or, for the big-result cases, bounded
by the row and character caps; afterwards the server still answers and the warehouse file is
byte-for-byte unchanged.
"""

from __future__ import annotations

import json

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from tests.sql.conftest import SqlWorkspace, sha256, stdio_params


def refused_inputs(ws: SqlWorkspace) -> list[str]:
    data, secret, root = ws.data, ws.secret, ws.root
    return [
        # writes and DDL
        "DROP TABLE customers",
        "DELETE FROM orders",
        "UPDATE customers SET name = 'x'",
        "INSERT INTO customers VALUES (999, 'x', 'north', DATE '2024-01-01')",
        "CREATE TABLE evil AS SELECT 1",
        "CREATE TEMP TABLE evil AS SELECT 1",
        "CREATE VIEW evil AS SELECT 1",
        "CREATE MACRO evil() AS 1",
        "CREATE SEQUENCE evil",
        "ALTER TABLE customers ADD COLUMN x INTEGER",
        "TRUNCATE orders",
        "DROP VIEW IF EXISTS big_orders",
        "WITH x AS (DELETE FROM orders RETURNING *) SELECT * FROM x",
        "SELECT nextval('seq')",
        # other databases
        f"ATTACH '{root / 'evil.duckdb'}' AS evil",
        "DETACH warehouse",
        "USE memory",
        # copy, export, import
        f"COPY customers TO '{root / 'leak.csv'}'",
        f"COPY (SELECT * FROM customers) TO '{root / 'leak.parquet'}' (FORMAT parquet)",
        f"COPY customers FROM '{secret / 'secret.csv'}'",
        f"EXPORT DATABASE '{root / 'export'}'",
        f"IMPORT DATABASE '{root / 'export'}'",
        # extensions
        "INSTALL httpfs",
        "LOAD httpfs",
        "FORCE INSTALL sqlite",
        # configuration and engine control
        "SET enable_external_access = true",
        "SET threads TO 64",
        "RESET lock_configuration",
        "PRAGMA enable_profiling",
        "CALL checkpoint()",
        "CALL duckdb_secrets()",
        "CALL read_csv('/etc/passwd')",
        "CALL query('DROP TABLE customers')",
        "CHECKPOINT",
        "VACUUM",
        "BEGIN TRANSACTION",
        "SELECT * FROM duckdb_secrets()",
        "SELECT * FROM query('DROP TABLE customers')",
        # files outside the data folders
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM '/etc/passwd'",
        'SELECT * FROM "/etc/passwd"',
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/etc/*')",
        f"SELECT * FROM read_csv('{data}/../secret/secret.csv')",
        f"SELECT * FROM read_csv('{data}/**/../../secret/*.csv')",
        f"SELECT * FROM read_csv(['{data}/sales.csv', '{secret}/secret.csv'])",
        f"SELECT * FROM read_text('{data}/link.txt')",
        f"SELECT * FROM read_csv('{data}/escape.csv')",
        "SELECT * FROM escape",  # no view is made for a data file that links outside its folder
        f"SELECT * FROM read_blob('{ws.db}')",
        "SELECT * FROM read_csv('/et' || 'c/passwd')",
        "SELECT * FROM read_parquet('https://example.com/x.parquet')",
        "SELECT * FROM sqlite_scan('/tmp/x.db', 't')",
        # several statements and comment tricks
        "SELECT 1; DROP TABLE customers",
        "SELECT 1; SELECT 2",
        "SELECT 1 /* harmless */; DROP TABLE customers --",
        "/* hello */ DROP TABLE customers",
        "SELECT 1 --\n; DROP TABLE customers",
        "-- only a comment",
        "   ",
        "SELECT 1\x00; DROP TABLE customers",
        "EXPLAIN ANALYZE DELETE FROM orders",
        "SELECT " + "(" * 5000 + "1" + ")" * 5000,
        "SELECT 1 " + "UNION ALL SELECT 1 " * 200_000,
    ]


# Both parsers agree these are one harmless SELECT: the DROP sits inside a comment and never runs.
COMMENTED_OUT = [
    "SELECT 1 /* /* nested */ ; DROP TABLE customers */",
    "SELECT 1 -- ; DROP TABLE customers",
    "SELECT 1 /* ; DROP TABLE customers */",
]


def _text(result: object) -> str:
    return "\n".join(getattr(b, "text", "") for b in result.content)  # type: ignore[attr-defined]


@pytest.mark.timeout(180)
async def test_hostile_suite_is_refused_or_bounded_and_db_unchanged(sql_ws: SqlWorkspace) -> None:
    before = sha256(sql_ws.db)
    files_before = sorted(p.name for p in sql_ws.root.iterdir() if p.name != ".sleuth")
    inputs = refused_inputs(sql_ws)
    assert len(inputs) + len(COMMENTED_OUT) >= 40
    problems: list[str] = []
    params = stdio_params(sql_ws, "--timeout", "2", env={"SLEUTH_SQL__MAX_ROWS": "100"})
    async with Client(params, read_timeout_seconds=60) as client:
        for sql in inputs:
            for tool in ("run_query", "check_query"):
                r = await client.call_tool(tool, {"sql": sql})
                text = _text(r)
                if not r.is_error:
                    problems.append(f"{tool} accepted {sql!r}: {text[:200]}")
                elif not text.strip() or "Traceback" in text or "TOP-SECRET" in text:
                    problems.append(f"{tool} gave an unclear error for {sql!r}: {text[:200]}")

        for table in ('customers"; DROP TABLE customers; --', "../../etc/passwd", "read_csv('/etc/passwd')", ""):
            r = await client.call_tool("describe_table", {"table": table})
            if not r.is_error or "Traceback" in _text(r):
                problems.append(f"describe_table accepted {table!r}: {_text(r)[:200]}")
        for uri in ("sql://results/../../etc/passwd", "sql://results/q_nope?page=1", "sql://results/q_nope?page=-1"):
            try:
                await client.read_resource(uri)
                problems.append(f"resource read accepted {uri!r}")
            except MCPError:
                pass

        for sql in COMMENTED_OUT:
            r = await client.call_tool("run_query", {"sql": sql})
            if r.is_error or r.structured_content["rows"] != [[1]]:
                problems.append(f"commented-out statement misread: {sql!r}: {_text(r)[:200]}")

        # Runaway queries are interrupted at the time limit; the server says so and stays healthy.
        for sql in (
            "SELECT count(*) FROM range(100000000000) a",
            "SELECT count(*) FROM range(100000) a, range(100000) b WHERE a.range + b.range = -1",
        ):
            r = await client.call_tool("run_query", {"sql": sql})
            if not (r.is_error and "time limit" in _text(r)):
                problems.append(f"no timeout for {sql!r}: {_text(r)[:200]}")
        r = await client.call_tool("run_query", {"sql": "SELECT list(range) FROM range(400000000)"})
        if not r.is_error:
            problems.append("a 400M-element list was returned instead of being stopped")

        # Big results are bounded by the caps (100 rows here, 50,000 characters by default).
        r = await client.call_tool("run_query", {"sql": "SELECT * FROM range(10000000)"})
        sc = r.structured_content or {}
        if r.is_error or len(sc["rows"]) != 100 or not sc["truncated"]:
            problems.append(f"range(10M) not bounded to 100 rows: {_text(r)[:200]}")
        r = await client.call_tool("run_query", {"sql": "SELECT repeat('x', 3000000) AS big"})
        if r.is_error or len(json.dumps(r.structured_content)) > 50_000 or len(_text(r)) > 50_000:
            problems.append("a 3M-character cell was not cut to the character cap")
        r = await client.call_tool("run_query", {"sql": "SELECT repeat('y', 2000) AS s FROM range(1000)"})
        if r.is_error or len(json.dumps(r.structured_content["rows"])) > 50_000:
            problems.append("1000 x 2000-character rows were not cut to the character cap")

        health = await client.call_tool("run_query", {"sql": "SELECT count(*) AS n FROM customers"})
        assert not health.is_error and health.structured_content["rows"] == [[200]]

    assert not problems, "\n".join(problems)
    assert sha256(sql_ws.db) == before
    assert sorted(p.name for p in sql_ws.root.iterdir() if p.name != ".sleuth") == files_before
