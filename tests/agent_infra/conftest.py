"""Fixtures for the agent infrastructure tests: MCP servers and PostgreSQL as real subprocesses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sleuth_testkit import free_port, serve_http

from agent.mcp_bridge import ServerConfig

HERE = Path(__file__).parent
TEST_SERVER = HERE / "thirdparty_server.py"


def stdio_server(name: str, tools: str | None = None) -> ServerConfig:
    args = [str(TEST_SERVER), name] + (["--tools", tools] if tools else [])
    return ServerConfig(name, command=sys.executable, args=args)


@pytest.fixture(scope="module")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`beta` over Streamable HTTP with `lookup` (clashes with stdio servers) and `report`."""
    port = free_port()
    cmd = [sys.executable, str(TEST_SERVER), "beta", "--tools", "lookup,report", "--http", str(port)]
    with serve_http(cmd, port, tmp_path_factory.mktemp("beta") / "server.log") as url:
        yield url


# -- PostgreSQL: a real server started for the session -----------------------------------------


def _pg_bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    which = shutil.which("initdb")
    return Path(which).parent if which else None


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; drop to the `postgres` user when we are root."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """initdb + pg_ctl start in a temp dir (loopback only); yields a libpq base URL without a database."""
    bindir = _pg_bindir()
    if bindir is None:
        reason = "PostgreSQL is not installed (no initdb); scripts/ci_setup.sh installs it"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    base = Path(tempfile.mkdtemp(prefix="sleuth-pg-"))  # under /tmp: the postgres user can reach it
    data, sock, log = base / "data", base / "sock", base / "server.log"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
    port = free_port()
    run = {"check": True, "capture_output": True, "timeout": 120}
    subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]), **run)
    opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(log), "-w", "start"]), **run
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]), **run)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh, empty database on the session's server, for one test."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{postgres_server}/{name}"
