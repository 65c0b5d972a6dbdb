"""Per-call overhead of run_query over a direct DuckDB call, measured four ways.

    uv run python scripts/bench_sql.py [--calls 300] [--rows 100000]

1. direct: `connection.execute(sql).fetchall()` on the server engine's own locked-down connection;
2. handler: `MCPServer.call_tool("run_query", ...)` in-process (safety checks, engine, result store,
   JSON shaping; no transport);
3. stdio: one held `mcp.Client` session to `sleuth serve sql` as a subprocess;
4. http: one held session over Streamable HTTP to `sleuth serve sql --transport http`.

Overhead is each mode's p50 minus the direct p50 (same query, same data). Target: stdio overhead
p50 <= 2 ms. Prints a table and writes bench-results/bench_sql.json. The data is a generated
DuckDB file in a temp folder (seeded, so runs compare).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402
from mcp import Client, StdioServerParameters  # noqa: E402

from mcp_servers.sql.server import create_server  # noqa: E402
from mcp_servers.sql.service import SqlService  # noqa: E402
from sleuth.config import SqlSettings  # noqa: E402

SLEUTH = Path(sys.executable).with_name("sleuth")
QUERIES = {
    "point": "SELECT id, region, amount FROM orders WHERE id = 4242",
    "group_by": "SELECT region, count(*) AS n, sum(amount) AS total FROM orders GROUP BY region ORDER BY region",
    "rows_100": "SELECT * FROM orders ORDER BY id LIMIT 100",
}


def make_db(path: Path, rows: int) -> None:
    con = duckdb.connect(str(path))
    con.execute("SELECT setseed(0.42)")
    con.execute(
        f"""CREATE TABLE orders AS SELECT range AS id,
              ['north', 'south', 'east', 'west'][1 + (range % 4)::INT] AS region,
              round(random() * 500, 2)::DECIMAL(10, 2) AS amount,
              TIMESTAMP '2024-01-01' + INTERVAL (range) MINUTE AS ordered_at
            FROM range({rows})"""
    )
    con.close()


def summary(samples_ms: list[float]) -> dict[str, float]:
    s = sorted(samples_ms)
    return {
        "p50_ms": round(statistics.median(s), 3),
        "p95_ms": round(s[int(0.95 * (len(s) - 1))], 3),
        "mean_ms": round(statistics.fmean(s), 3),
        "n": len(s),
    }


async def timed(call: Callable[[], Awaitable[Any]], calls: int, warmup: int = 20) -> list[float]:
    for _ in range(warmup):
        await call()
    out = []
    for _ in range(calls):
        t0 = time.perf_counter()
        await call()
        out.append((time.perf_counter() - t0) * 1000)
    return out


async def bench_client(client: Client, sql: str, calls: int) -> list[float]:
    async def call() -> None:
        r = await client.call_tool("run_query", {"sql": sql})
        if r.is_error:
            raise RuntimeError(r.content)

    return await timed(call, calls)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("HTTP server exited during start-up")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("HTTP server did not start")


async def run(calls: int, rows: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench_sql_"))
    db = tmp / "bench.duckdb"
    make_db(db, rows)
    svc = SqlService(SqlSettings(db=db))
    server = create_server(svc)
    engine = svc.engine
    results: dict[str, dict[str, Any]] = {q: {} for q in QUERIES}

    for name, sql in QUERIES.items():

        async def direct(sql: str = sql) -> None:
            engine.conn.execute(sql).fetchall()

        async def handler(sql: str = sql) -> None:
            r = await server.call_tool("run_query", {"sql": sql})
            if r.is_error:
                raise RuntimeError(r.content)

        results[name]["direct"] = summary(await timed(direct, calls))
        results[name]["handler"] = summary(await timed(handler, calls))

    args = ["serve", "sql", "--workspace", str(tmp), "--db", str(db)]
    stdio = StdioServerParameters(command=str(SLEUTH), args=args, env={"SLEUTH_LOG_LEVEL": "error"})
    async with Client(stdio, read_timeout_seconds=60) as client:
        for name, sql in QUERIES.items():
            results[name]["stdio"] = summary(await bench_client(client, sql, calls))

    port = _free_port()
    proc = subprocess.Popen(
        [str(SLEUTH), *args, "--transport", "http", "--port", str(port), "--log-level", "error"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_port(port, proc)
        async with Client(f"http://127.0.0.1:{port}/mcp", read_timeout_seconds=60) as client:
            for name, sql in QUERIES.items():
                results[name]["http"] = summary(await bench_client(client, sql, calls))
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    for modes in results.values():
        base = modes["direct"]["p50_ms"]
        for mode in ("handler", "stdio", "http"):
            modes[mode]["overhead_p50_ms"] = round(modes[mode]["p50_ms"] - base, 3)
    return {
        "calls_per_mode": calls,
        "rows": rows,
        "cpu_count": os.cpu_count(),
        "note": "shared 2-core machine; timings are noisy",
        "queries": QUERIES,
        "results": results,
        "target": "stdio overhead p50 <= 2 ms",
    }


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    ap = argparse.ArgumentParser(description="run_query overhead over direct DuckDB")
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    report = asyncio.run(run(args.calls, args.rows))
    print(f"{'query':10} {'mode':8} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'overhead p50':>13}")
    for name, modes in report["results"].items():
        for mode, s in modes.items():
            over = f"{s['overhead_p50_ms']:+.3f}" if "overhead_p50_ms" in s else ""
            print(f"{name:10} {mode:8} {s['p50_ms']:8.3f} {s['p95_ms']:8.3f} {s['mean_ms']:8.3f} {over:>13}")
    out = REPO / "bench-results" / "bench_sql.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
