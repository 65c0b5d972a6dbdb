"""Bridge overhead: a held raw `mcp.Client` vs `MCPBridge.call` on the same stdio test server.

    uv run python scripts/bench_bridge.py [--calls 300]

Prints a table and writes bench-results/bridge.json. The difference of the medians is what the
bridge adds per call (outcome conversion, retry wrapper, timeouts). Timings are noisy on a shared
machine; compare medians, not single runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

from mcp import Client, StdioServerParameters

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.mcp_bridge import MCPBridge, ServerConfig  # noqa: E402

SERVER = ROOT / "tests" / "agent_infra" / "thirdparty_server.py"


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }


async def timed(call) -> float:
    t = time.perf_counter()
    await call()
    return (time.perf_counter() - t) * 1000


async def main(n: int) -> dict[str, object]:
    """Raw and bridged calls alternate, so load changes on a shared machine hit both alike."""
    params = StdioServerParameters(command=sys.executable, args=[str(SERVER), "raw", "--tools", "whoami"])
    config = ServerConfig("bridged", command=sys.executable, args=[str(SERVER), "bridged", "--tools", "whoami"])
    async with Client(params) as client, MCPBridge([config]) as bridge:

        async def raw_call():
            return await client.call_tool("whoami", {})

        async def bridged_call():
            return await bridge.call("bridged", "whoami", {})

        for _ in range(20):  # warm-up
            await raw_call()
            await bridged_call()
        raw, bridged = [], []
        for _ in range(n):
            raw.append(await timed(raw_call))
            bridged.append(await timed(bridged_call))
        start = time.perf_counter()
        await asyncio.gather(*(bridged_call() for _ in range(n)))
        concurrent_ms = (time.perf_counter() - start) * 1000
    r, b = summary(raw), summary(bridged)
    return {
        "calls": n,
        "raw_client": r,
        "bridge": b,
        "overhead_median_ms": round(b["median_ms"] - r["median_ms"], 3),
        "bridge_concurrent_total_ms": round(concurrent_ms, 1),
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=300)
    result = asyncio.run(main(ap.parse_args().calls))
    print(f"{'':<16}{'median ms':>10}{'p95 ms':>10}{'mean ms':>10}")
    for name in ("raw_client", "bridge"):
        s = result[name]
        print(f"{name:<16}{s['median_ms']:>10}{s['p95_ms']:>10}{s['mean_ms']:>10}")
    print(f"bridge overhead (median): {result['overhead_median_ms']} ms per call")
    print(f"{result['calls']} concurrent bridged calls: {result['bridge_concurrent_total_ms']} ms total")
    out = ROOT / "bench-results" / "bridge.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")
