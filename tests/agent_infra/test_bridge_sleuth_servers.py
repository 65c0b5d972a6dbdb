"""Smoke test: the bridge drives Sleuth's own three servers via `sleuth_server_configs` (demo copy)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.mcp_bridge import MCPBridge, sleuth_server_configs
from sleuth.config import load_settings

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    if not (DEMO / "sleuth.toml").is_file():
        pytest.skip("examples/demo is missing (scripts/make_demo.py builds it)")
    ws = tmp_path / "demo"
    shutil.copytree(DEMO, ws, ignore=shutil.ignore_patterns(".sleuth"))
    return ws


async def test_bridge_runs_sleuth_servers(workspace: Path) -> None:
    settings = load_settings(workspace, environ={})
    async with MCPBridge(sleuth_server_configs(settings), stderr_dir=settings.logs_dir) as bridge:
        assert bridge.problems == {}
        by_server = {s: {t.name for t in bridge.tools if t.server == s} for s in ("docs", "sql", "files")}
        assert {"search_docs", "run_query", "read_file"} <= set().union(*by_server.values())
        assert all(by_server.values()), by_server
        tables = await bridge.call("sql", "list_tables", {})
        assert tables.is_error is False and tables.structured is not None
        listing = await bridge.call("files", "list_dir", {"path": "."})
        assert listing.is_error is False
        refused = await bridge.call("sql", "run_query", {"sql": "DROP TABLE customers"})
        assert refused.is_error is True and refused.text
