"""Each of Sleuth's three servers, served over Streamable HTTP by the real `sleuth serve`, passes the
official MCP conformance scenarios that apply to any server (see conformance_runner.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from conformance_runner import GENERIC_SCENARIOS, require_install, run_scenarios
from sleuth_testkit import SLEUTH, free_port, serve_http, server_env

pytestmark = pytest.mark.conformance


def _sql_args(ws: Path) -> list[str]:
    db = ws / "shop.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR, city VARCHAR)")
        con.execute("INSERT INTO customers VALUES (1, 'Ada', 'London'), (2, 'Grace', 'New York')")
    return ["--db", str(db)]


def _files_args(ws: Path) -> list[str]:
    root = ws / "root"
    (root / "notes").mkdir(parents=True)
    (root / "readme.txt").write_text("Sleuth conformance fixture.\n", encoding="utf-8")
    (root / "notes" / "todo.md").write_text("# Todo\n- pass the conformance suite\n", encoding="utf-8")
    return ["--root", str(root)]


def _docs_args(ws: Path) -> list[str]:
    docs = ws / "docs"
    docs.mkdir()
    (docs / "handbook.md").write_text("# Handbook\n\nExpenses are approved by the team lead.\n", encoding="utf-8")
    (docs / "faq.md").write_text("# FAQ\n\n## Holidays\n\nEveryone gets 25 days.\n", encoding="utf-8")
    return []


WORKSPACES: dict[str, Callable[[Path], list[str]]] = {"docs": _docs_args, "sql": _sql_args, "files": _files_args}


@pytest.mark.parametrize("name", list(WORKSPACES))
def test_server_passes_generic_conformance_scenarios(name: str, tmp_path: Path) -> None:
    require_install()  # skip (or fail under CI) before starting a server for nothing
    ws = tmp_path / "ws"
    ws.mkdir()
    port = free_port()
    cmd = [str(SLEUTH), "serve", name, "--workspace", str(ws), "--transport", "http", "--port", str(port)]
    with serve_http(cmd + WORKSPACES[name](ws), port, ws / "server.log", env=server_env(), start_timeout_s=60) as url:
        results = run_scenarios(url, GENERIC_SCENARIOS)
    assert list(results) == GENERIC_SCENARIOS
    failed = {s: r.message for s, r in results.items() if not r.passed}
    assert not failed, f"{name} server fails MCP conformance scenarios: {failed}"
    # The suite really talked to this server: tools-list saw its tools.
    tools = results["tools-list"].checks[0]["details"]["tools"]
    assert tools, f"{name} server listed no tools"


def test_runner_reports_failing_checks_and_bad_scenarios(tmp_path: Path) -> None:
    """The runner must not pass what the suite fails: an undocumented tool, an unknown scenario."""
    require_install()
    port = free_port()
    cmd = [sys.executable, str(Path(__file__).with_name("standin_server.py")), str(port)]
    with serve_http(cmd, port, tmp_path / "server.log", env=server_env(), start_timeout_s=60) as url:
        results = run_scenarios(url, ["ping", "tools-list", "no-such-scenario"])
    assert results["ping"].passed, results["ping"].message
    assert not results["tools-list"].passed
    assert "Tool 0: missing description" in results["tools-list"].message
    assert not results["no-such-scenario"].passed
    assert "no-such-scenario" in results["no-such-scenario"].message
