"""Framework overhead of one Sleuth turn, model latency excluded.

A turn here is the full graph — plan, act (3 concurrent tool calls), tools, act (cited draft),
reflect (deterministic checks + critique), answer — driven through `Sleuth.stream` with SQLite
checkpoints (durability "sync", as in production). The model is the scripted model (no latency;
its own bookkeeping is included in the act/plan/reflect times). The tools are trivial and served by an
in-process MCP server over the real MCP client, so server start-up and stdio are excluded; the
measured tool time (inside the tools node) is also reported, and subtracted in `overhead_ms`.

    uv run python scripts/bench_agent.py [--turns 60] [--warmup 5]

Prints a table and writes bench-results/bench_agent.json. Target: <= 25 ms per turn on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations

from agent import events
from agent.bridge.core import BridgedTool
from agent.bridge.outcome import ToolOutcome, to_outcome
from agent.facade import Sleuth
from agent.models import ScriptedChatModel
from sleuth.config import load_settings

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench-results" / "bench_agent.json"
NODES = ["plan", "act", "tools", "reflect", "answer"]


def trivial_server() -> MCPServer:
    """docs/sql/files look-alikes that return fixed, well-formed results instantly."""
    server = MCPServer("bench", log_level="WARNING")
    ro = ToolAnnotations(read_only_hint=True)
    counter = iter(range(10**9))

    @server.tool(annotations=ro)
    def search_docs(query: str) -> dict[str, Any]:
        """Search the docs."""
        return {
            "passages": [
                {
                    "citation_id": "d:00000000aa",
                    "source": "docs/policy.md",
                    "heading_path": ["Policy", "Returns"],
                    "text": "Returns are accepted within 30 days.",
                }
            ]
        }

    @server.tool(annotations=ro)
    def run_query(sql: str) -> dict[str, Any]:
        """Run SQL."""
        return {"query_id": f"q_{next(counter):06d}", "sql": sql, "columns": ["n"], "rows": [[5]], "row_count": 1}

    @server.tool(annotations=ro)
    def read_file(path: str) -> dict[str, Any]:
        """Read a file."""
        return {"path": path, "start_line": 1, "lines": [{"line": 1, "text": "Warehouse moved to Denver."}]}

    return server


class InProcessBridge:
    """The MCPBridge surface the agent uses (tools, langchain_tools, call) over an in-process client."""

    def __init__(self, client: Client, tools: list[BridgedTool]) -> None:
        self.client = client
        self.tools = tools

    async def call(self, server: str, tool: str, args: dict[str, Any], timeout_s: float | None = None) -> ToolOutcome:
        started = time.perf_counter()
        result = await self.client.call_tool(tool, args)
        return to_outcome(result, (time.perf_counter() - started) * 1000)

    def langchain_tools(self) -> list[BaseTool]:
        return [
            StructuredTool(
                name=t.qualified_name,
                description=t.description,
                args_schema=t.input_schema,
                coroutine=_unused,
                response_format="content_and_artifact",
            )
            for t in self.tools
        ]


async def _unused(**_: Any) -> tuple[str, None]:  # the agent calls tools through `call`, not this
    raise NotImplementedError


def script(turns: int) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    for _ in range(turns):
        steps += [
            {
                "structured": {
                    "sources": ["docs", "sql", "files"],
                    "subquestions": [],
                    "needs_tools": True,
                    "remember": [],
                }
            },
            {
                "tool_calls": [
                    {"name": "search_docs", "args": {"query": "returns"}},
                    {"name": "run_query", "args": {"sql": "SELECT count(*) AS n FROM stores"}},
                    {"name": "read_file", "args": {"path": "files/notes.txt"}},
                ]
            },
            {
                "text": "Returns are accepted within 30 days [d:00000000aa]. "
                "The warehouse moved to Denver [file:files/notes.txt:1]."
            },
            {"structured": {"supported": ["all"], "unsupported": [], "missing": [], "verdict": "pass"}},
        ]
    return steps


async def run(turns: int, warmup: int) -> dict[str, Any]:
    server = trivial_server()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(Path(tmp), environ={})
        async with Client(server) as client:
            listed = await client.list_tools()
            tools = [
                BridgedTool(
                    server=s,
                    name=t.name,
                    qualified_name=t.name,
                    description=t.description or t.name,
                    input_schema=dict(t.input_schema),
                    read_only=True,
                    destructive=False,
                )
                for t, s in zip(listed.tools, ["docs", "sql", "files"], strict=True)
            ]
            model = ScriptedChatModel(steps=script(turns + warmup))
            async with Sleuth(settings, model=model, bridge=InProcessBridge(client, tools)) as sleuth:
                rows = []
                cpu_ms = 0.0
                for i in range(turns + warmup):
                    cpu0 = time.process_time()
                    thread = f"bench-{i}"
                    t0 = time.perf_counter()
                    answer = None
                    async for ev in sleuth.stream("What is the return policy and where is the warehouse?", thread):
                        if isinstance(ev, events.Answer):
                            answer = ev
                    total = (time.perf_counter() - t0) * 1000
                    assert answer is not None and answer.grounded, answer
                    if i < warmup:
                        continue
                    cpu_ms += (time.process_time() - cpu0) * 1000
                    trace = sleuth.last_trace(thread)
                    node_ms = {n: sum(s["elapsed_ms"] for s in trace.steps if s["node"] == n) for n in NODES}
                    tool_ms = max(s["elapsed_ms"] for s in trace.steps if s["node"] == "tool")  # concurrent
                    rows.append({"total_ms": total, "tool_ms": tool_ms, **{f"{n}_ms": v for n, v in node_ms.items()}})
    result = summarise(rows, turns)
    result["cpu_ms_per_turn"] = round(cpu_ms / turns, 3)
    result["langgraph_floor_median_ms"] = await langgraph_floor(turns)
    return result


async def langgraph_floor(turns: int) -> float:
    """Median wall ms of the same 6-node path with no-op nodes and the same SQLite checkpointer:
    what LangGraph itself costs per turn on this machine, for scale."""
    from langgraph.graph import END, START, StateGraph
    from typing_extensions import TypedDict

    from agent.memory import open_checkpointer

    class S(TypedDict, total=False):
        n: int

    async def noop(state: S) -> dict[str, int]:
        return {"n": state.get("n", 0) + 1}

    g = StateGraph(S)
    path = ["plan", "act", "tools", "act2", "reflect", "answer"]
    for name in path:
        g.add_node(name, noop)
    for a, b in zip([START, *path], [*path, END], strict=True):
        g.add_edge(a, b)
    with tempfile.TemporaryDirectory() as tmp:
        async with open_checkpointer(load_settings(Path(tmp), environ={})) as cp:
            graph = g.compile(checkpointer=cp)
            times = []
            for i in range(turns):
                t0 = time.perf_counter()
                cfg = {"configurable": {"thread_id": f"floor-{i}"}}
                async for _ in graph.astream({"n": 0}, cfg, stream_mode=["custom", "updates"], durability="sync"):
                    pass
                times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 3)


def summarise(rows: list[dict[str, float]], turns: int) -> dict[str, Any]:
    def stats(key: str) -> dict[str, float]:
        vals = sorted(r[key] for r in rows)
        return {
            "mean": round(statistics.fmean(vals), 3),
            "median": round(statistics.median(vals), 3),
            "p95": round(vals[int(0.95 * (len(vals) - 1))], 3),
        }

    for r in rows:
        r["overhead_ms"] = r["total_ms"] - r["tool_ms"]
        r["checkpoint_and_stream_ms"] = r["total_ms"] - sum(r[f"{n}_ms"] for n in NODES)
    keys = ["total_ms", "overhead_ms", "tool_ms", *[f"{n}_ms" for n in NODES], "checkpoint_and_stream_ms"]
    return {
        "turns": turns,
        "tool_calls_per_turn": 3,
        "model": "scripted (no latency)",
        "checkpointer": "SQLite (AsyncSqliteSaver, durability=sync)",
        "tools": "in-process MCP server, trivial tools; tool_ms = the slowest of the 3 concurrent calls",
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "target_ms": 25.0,
        "stats": {k: stats(k) for k in keys},
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--turns", type=int, default=60)
    p.add_argument("--warmup", type=int, default=5)
    a = p.parse_args()
    result = asyncio.run(run(a.turns, a.warmup))
    print(f"Sleuth turn overhead: {a.turns} turns, 3 tool calls each, load average {result['load_average'][0]:.1f}")
    print(f"{'metric':<28}{'mean':>10}{'median':>10}{'p95':>10}")
    for k, s in result["stats"].items():
        print(f"{k:<28}{s['mean']:>10.2f}{s['median']:>10.2f}{s['p95']:>10.2f}")
    print(f"{'cpu_ms_per_turn (process)':<28}{result['cpu_ms_per_turn']:>10.2f}")
    print(f"{'langgraph_floor (no-op)':<28}{'':>10}{result['langgraph_floor_median_ms']:>10.2f}")
    verdict = "meets" if result["stats"]["overhead_ms"]["median"] <= result["target_ms"] else "misses"
    print(f"median overhead {result['stats']['overhead_ms']['median']:.2f} ms {verdict} the 25 ms target")
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2))
    print(f"wrote {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
