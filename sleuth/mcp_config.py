"""The JSON that plugs Sleuth's three servers into an MCP host (Claude Desktop, VS Code, Cursor).

Commands are absolute (this environment's `sleuth` executable and the resolved workspace), because
hosts start servers from their own working directory without this virtualenv on PATH.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

SERVERS = ("docs", "sql", "files")


def sleuth_executable() -> str:
    """The `sleuth` script beside this interpreter, else whatever PATH finds."""
    beside = Path(sys.executable).with_name("sleuth")
    if beside.exists():
        return str(beside)
    return shutil.which("sleuth") or "sleuth"


def server_entries(workspace: Path) -> dict[str, dict[str, Any]]:
    exe = sleuth_executable()
    return {
        f"sleuth-{name}": {"command": exe, "args": ["serve", name, "--workspace", str(workspace)]} for name in SERVERS
    }


def render(client: str, workspace: Path) -> str:
    """JSON for one host. VS Code uses `servers` with a `type`; the others use `mcpServers`."""
    entries = server_entries(workspace)
    if client == "vscode":
        doc: dict[str, Any] = {"servers": {k: {"type": "stdio", **v} for k, v in entries.items()}}
    elif client in ("claude-desktop", "cursor"):
        doc = {"mcpServers": entries}
    else:
        raise ValueError(f"unknown client {client!r}")
    return json.dumps(doc, indent=2)
