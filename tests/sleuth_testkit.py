"""Helpers shared by several test folders: loopback ports and real server subprocesses.

Importable as `sleuth_testkit` from any test folder (tests/conftest.py puts tests/ on sys.path), and
as `tests.sleuth_testkit` from scripts that put the repo root on sys.path (scripts/bench_sql.py).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

SLEUTH = Path(sys.executable).with_name("sleuth")


def free_port() -> int:
    """A loopback port nobody listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env() -> dict[str, str]:
    """The test process's environment without SLEUTH_* settings that could change the server."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SLEUTH_")}


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 30.0, log: Path | None = None) -> None:
    """Return once `proc` accepts connections on loopback `port`; raise if it exits or never listens."""
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log is not None else ""
            raise RuntimeError(f"server {proc.args!r} exited early with code {proc.returncode}: {tail}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"server {proc.args!r} did not listen on port {port} within {timeout_s:.0f} s")
        time.sleep(0.1)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate politely, kill if it does not go within 10 s; always reap."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def serve_http(
    cmd: list[str],
    port: int,
    log: Path,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    start_timeout_s: float = 30.0,
) -> Iterator[str]:
    """Run an MCP server command that listens on loopback `port`; yield its MCP URL, stop it after.

    The server's stdout and stderr go to `log` (quoted when it fails to start); `env=None` inherits ours.
    """
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    try:
        wait_for_port(port, proc, start_timeout_s, log)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        stop(proc)
