"""Shared pieces of the files-server tests: a hostile tree, real server processes, result dumps."""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from mcp import StdioServerParameters
from mcp_types import CallToolResult
from sleuth_testkit import SLEUTH, free_port, serve_http, server_env

CANARY = "CANARY-7f3a9c-outside-the-root"
SECRET = "SECRET-d41d8c-denied-inside"


def make_tree(base: Path) -> tuple[Path, Path]:
    """A root full of traps and an `outside` folder holding canaries. Returns (root, outside)."""
    outside = base / "outside"
    root = base / "root"
    (outside / "dir").mkdir(parents=True)
    (outside / "canary.txt").write_text(f"{CANARY}\n")
    (outside / "dir" / "canary2.txt").write_text(f"{CANARY} 2\n")
    (outside / "hardlinked.txt").write_text(f"{CANARY} hard\n")
    (root / "sub" / "deep").mkdir(parents=True)
    (root / "ok.txt").write_text("line one\nline two needle\nline three\n")
    (root / "sub" / "code.py").write_text("import os\n\ndef needle():\n    return 42\n")
    (root / "sub" / "deep" / "notes.md").write_text("# Notes\nA NEEDLE in caps.\n")
    (root / "image.bin").write_bytes(b"\x89PNG\x00\x00needle\x00")
    (root / ".gitignore").write_text("*.log\nbuild/\n")
    (root / "app.log").write_text("needle in an ignored log\n")
    (root / "build").mkdir()
    (root / "build" / "out.txt").write_text("needle in an ignored folder\n")
    for name in (".env", "id_rsa", "server.pem", "credentials.json", ".netrc"):
        (root / name).write_text(f"{SECRET} {name}\n")
    (root / "sub" / ".env").write_text(f"{SECRET} nested\n")
    (root / ".git" / "hooks").mkdir(parents=True)
    (root / ".git" / "config").write_text(f"[core]\n{SECRET} git\n")
    (root / "sub" / ".git").mkdir()
    (root / "sub" / ".git" / "config").write_text(f"[core]\n{SECRET} nested git\n")
    (root / "link_out").symlink_to(outside / "canary.txt")
    (root / "dirlink_out").symlink_to(outside)
    (root / "rel_link_out").symlink_to("../outside/canary.txt")
    (root / "link_to_env").symlink_to(root / ".env")
    (root / "link_in").symlink_to(root / "ok.txt")
    os.link(outside / "hardlinked.txt", root / "hard.txt")
    os.mkfifo(root / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock"))
    sock.close()
    return root, outside


def serve_args(roots: list[Path], workspace: Path, allow_write: bool) -> list[str]:
    args = ["serve", "files", "--workspace", str(workspace)]
    for r in roots:
        args += ["--root", str(r)]
    return args + (["--allow-write"] if allow_write else [])


def stdio_params(roots: list[Path], workspace: Path, allow_write: bool = False) -> StdioServerParameters:
    return StdioServerParameters(
        command=str(SLEUTH), args=serve_args(roots, workspace, allow_write), env=server_env(), cwd=str(workspace)
    )


@contextlib.contextmanager
def http_server(roots: list[Path], workspace: Path, allow_write: bool = False) -> Iterator[str]:
    """Run `sleuth serve files --transport http` on a free loopback port; yield its MCP URL."""
    port = free_port()
    cmd = [str(SLEUTH), *serve_args(roots, workspace, allow_write), "--transport", "http", "--port", str(port)]
    with serve_http(cmd, port, workspace / f"http-{port}.log", env=server_env(), cwd=workspace) as url:
        yield url


def dump(result: object) -> str:
    """Everything a client received, as text: content blocks and structured content."""
    if isinstance(result, CallToolResult):
        parts = [getattr(c, "text", "") for c in result.content]
        parts.append(json.dumps(result.structured_content))
        return "\n".join(parts)
    return str(result)
