"""Fixtures for the agent infrastructure tests: third-party-style MCP servers as real subprocesses."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.mcp_bridge import ServerConfig

HERE = Path(__file__).parent
TEST_SERVER = HERE / "thirdparty_server.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stdio_server(name: str, tools: str | None = None) -> ServerConfig:
    args = [str(TEST_SERVER), name] + (["--tools", tools] if tools else [])
    return ServerConfig(name, command=sys.executable, args=args)


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"test server exited early with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"test server did not listen on port {port} within {timeout_s} s")


@pytest.fixture(scope="module")
def http_server() -> Iterator[str]:
    """`beta` over Streamable HTTP with `lookup` (clashes with stdio servers) and `report`."""
    port = free_port()
    cmd = [sys.executable, str(TEST_SERVER), "beta", "--tools", "lookup,report", "--http", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(10)
