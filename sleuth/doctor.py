"""`sleuth doctor`: check the environment and say exactly what to fix.

Each check returns (status, what, fix). Servers are checked for real: each one is started over
stdio the way an MCP host would start it, and must list its tools within a time limit.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from sleuth.config import Settings, check_paths, load_settings
from sleuth.errors import SleuthError
from sleuth.mcp_config import SERVERS, sleuth_executable

OK, WARN, FAIL = "ok", "warn", "fail"
PACKAGES = ("mcp", "langgraph", "langchain-core", "duckdb", "bm25s", "onnxruntime")


@dataclass
class Check:
    status: str
    what: str
    fix: str = ""


def check_python() -> Check:
    v = sys.version_info
    if v < (3, 11):
        return Check(FAIL, f"Python {v.major}.{v.minor}", "use Python 3.11 or newer (uv python install 3.11)")
    return Check(OK, f"Python {v.major}.{v.minor}.{v.micro}")


def check_versions() -> Check:
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            return Check(FAIL, f"package {name} is missing", "run: uv sync")
    return Check(OK, ", ".join(found))


def check_model(settings: Settings) -> Check:
    from agent.models import model_problem

    problem = model_problem(settings.agent, workspace=settings.workspace)
    if problem:
        return Check(WARN, f"model {settings.agent.model} is not usable", problem)
    where = f" at {settings.agent.base_url}" if settings.agent.base_url else ""
    return Check(OK, f"model {settings.agent.model}{where}")


def check_index(settings: Settings) -> Check:
    from mcp_servers.docs.layout import read_current

    generation = read_current(settings.index_dir)
    if generation:
        return Check(OK, f"docs index {generation} at {settings.index_dir}")
    return Check(WARN, "docs index not built yet", f"run: sleuth ingest --workspace {settings.workspace}")


async def _start_server(name: str, workspace: Path, timeout_s: float) -> Check:
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(
        command=sleuth_executable(), args=["serve", name, "--workspace", str(workspace)], env=dict(os.environ)
    )
    try:
        async with asyncio.timeout(timeout_s), Client(params) as client:
            tools = await client.list_tools()
        return Check(OK, f"server {name} starts ({len(tools.tools)} tools)")
    except TimeoutError:
        return Check(
            FAIL,
            f"server {name} did not answer within {timeout_s:.0f} s",
            f"run: sleuth serve {name} --log-level debug",
        )
    except Exception as exc:  # a failing server must not stop the other checks
        return Check(FAIL, f"server {name} failed to start: {exc}", f"run: sleuth serve {name} --log-level debug")


async def check_servers(workspace: Path, timeout_s: float = 30.0) -> list[Check]:
    return list(await asyncio.gather(*(_start_server(n, workspace, timeout_s) for n in SERVERS)))


def collect(workspace: Path | None, log_level: str | None) -> list[Check]:
    checks = [check_python(), check_versions()]
    try:
        settings = load_settings(workspace, {"log_level": log_level} if log_level else None)
    except SleuthError as exc:
        return [*checks, Check(FAIL, f"configuration: {exc.message}", exc.fix or "")]
    checks.append(Check(OK, f"configuration loads (workspace {settings.workspace})"))
    checks.extend(Check(FAIL, p.message, p.fix or "") for p in check_paths(settings))
    checks.append(check_model(settings))
    checks.append(check_index(settings))
    checks.extend(asyncio.run(check_servers(settings.workspace)))
    return checks


def run_doctor(workspace: Path | None, log_level: str | None) -> int:
    """Print every check; exit 1 if any failed (warnings do not fail)."""
    from rich.console import Console
    from rich.markup import escape

    console = Console(stderr=False, highlight=False)
    marks = {OK: "[green]✓[/green]", WARN: "[yellow]![/yellow]", FAIL: "[red]✗[/red]"}
    checks = collect(workspace, log_level)
    for c in checks:
        console.print(f"{marks[c.status]} {escape(c.what)}")
        if c.fix:
            console.print(f"    fix: {c.fix}", markup=False)
    failed = sum(c.status == FAIL for c in checks)
    console.print(f"\n{len(checks) - failed} of {len(checks)} checks passed" + (f", {failed} failed" if failed else ""))
    return 1 if failed else 0
