"""Fixtures for the SQL server tests: a small real warehouse file, data folders, a secret outside them.

The workspace is built once per session in a temp folder; the DuckDB file is only ever opened
read-only by the servers under test (tests that write copy it first).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from mcp import StdioServerParameters
from sleuth_testkit import SLEUTH, free_port, serve_http


@dataclass(frozen=True)
class SqlWorkspace:
    root: Path
    db: Path
    data: Path
    secret: Path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_warehouse(db: Path) -> None:
    """Customers and orders with comments, a view and a sequence: enough to exercise every tool."""
    con = duckdb.connect(str(db))
    con.execute(
        """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, region VARCHAR, signup DATE);
        COMMENT ON TABLE customers IS 'One row per customer';
        COMMENT ON COLUMN customers.region IS 'Sales region';
        INSERT INTO customers
          SELECT i, 'customer ' || i, ['north', 'south', 'east', 'west'][1 + i % 4],
                 DATE '2024-01-01' + INTERVAL (i) DAY
          FROM range(1, 201) t(i);
        CREATE TABLE orders (id INTEGER, customer_id INTEGER, amount DECIMAL(10, 2), ordered_at TIMESTAMP,
                             status VARCHAR, note VARCHAR);
        INSERT INTO orders
          SELECT i, 1 + i % 200, (i % 97) * 1.25, TIMESTAMP '2024-03-01' + INTERVAL (i) HOUR,
                 CASE WHEN i % 10 = 0 THEN 'refunded' ELSE 'paid' END, CASE WHEN i % 7 = 0 THEN NULL ELSE 'n' END
          FROM range(1, 5001) t(i);
        CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 100;
        CREATE SEQUENCE seq;
        """
    )
    con.close()


@pytest.fixture(scope="session")
def sql_ws(tmp_path_factory: pytest.TempPathFactory) -> SqlWorkspace:
    root = tmp_path_factory.mktemp("sqlws")
    db = root / "warehouse.duckdb"
    build_warehouse(db)
    data = root / "data"
    (data / "nested").mkdir(parents=True)
    (data / "sales.csv").write_text("region,total\nnorth,10\nsouth,20\n", encoding="utf-8")
    (data / "nested" / "items.json").write_text('[{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}]', "utf-8")
    con = duckdb.connect()
    con.execute(f"COPY (SELECT range AS n FROM range(50)) TO '{data / 'events.parquet'}' (FORMAT parquet)")
    con.close()
    secret = root / "secret"
    secret.mkdir()
    (secret / "secret.csv").write_text("token\nTOP-SECRET-123\n", encoding="utf-8")
    os.symlink(secret / "secret.csv", data / "link.txt")  # symlinks inside the data folder pointing out
    os.symlink(secret / "secret.csv", data / "escape.csv")
    return SqlWorkspace(root=root, db=db, data=data, secret=secret)


def stdio_params(ws: SqlWorkspace, *extra: str, env: dict[str, str] | None = None) -> StdioServerParameters:
    """`sleuth serve sql` as a subprocess over stdio, logging into the workspace."""
    args = ["serve", "sql", "--workspace", str(ws.root), "--db", str(ws.db), "--data", str(ws.data), *extra]
    return StdioServerParameters(command=str(SLEUTH), args=args, env=env or {})


def serve_sql_refused(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`sleuth serve sql` run to see it refuse to start: stdin closed, stdout and stderr captured."""
    cmd = [str(SLEUTH), "serve", "sql", "--workspace", str(workspace), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.fixture
def http_server(sql_ws: SqlWorkspace, tmp_path: Path) -> Iterator[str]:
    """`sleuth serve sql --transport http` on a free loopback port; yields the MCP URL.

    The server inherits this process's environment, so a test can set SLEUTH_* for it.
    """
    port = free_port()
    cmd = [str(SLEUTH), "serve", "sql", "--workspace", str(sql_ws.root), "--db", str(sql_ws.db)]
    cmd += ["--data", str(sql_ws.data), "--transport", "http", "--host", "127.0.0.1", "--port", str(port)]
    with serve_http(cmd, port, tmp_path / "sql-http.log") as url:
        yield url
