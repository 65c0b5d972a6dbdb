"""A small third-party-style MCP server for the bridge tests, run as a real subprocess.

    python thirdparty_server.py NAME [--tools a,b,...] [--http PORT]

Tools cover what the bridge must keep: plain text, structured content with resource links,
tool errors, slowness (timeouts), a rendezvous (proves calls run concurrently) and the process id
(proves one held session, and lets a test kill it). `--tools` limits which tools exist, so two
servers can clash on exactly one name. Logs go to stderr only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections import Counter
from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, ResourceLink, TextContent, ToolAnnotations


def build(name: str, only: set[str] | None = None) -> MCPServer:
    server = MCPServer(name, log_level="WARNING")
    waiting: Counter[str] = Counter()
    arrived: dict[str, asyncio.Event] = {}

    def tool(**kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            if only is None or fn.__name__ in only:
                server.tool(**kw)(fn)
            return fn

        return register

    @tool(annotations=ToolAnnotations(read_only_hint=True))
    def whoami() -> str:
        """This server's name and process id."""
        return f"{name}:{os.getpid()}"

    @tool(annotations=ToolAnnotations(read_only_hint=True))
    def lookup(key: str) -> str:
        """Look a key up (every test server has this tool, so the names clash)."""
        return f"{name} found {key}"

    @tool(annotations=ToolAnnotations(read_only_hint=True))
    def report(topic: str) -> CallToolResult:
        """A result with text, structured content and a resource link."""
        return CallToolResult(
            content=[
                TextContent(text=f"report on {topic}"),
                ResourceLink(uri=f"note://{topic}", name=f"{topic} notes", mime_type="text/plain"),
            ],
            structured_content={"topic": topic, "rows": [1, 2, 3]},
        )

    @tool()
    def fail(message: str) -> str:
        """Always fails with the given message."""
        raise ToolError(message)

    @tool(annotations=ToolAnnotations(read_only_hint=True))
    async def slow(seconds: float) -> str:
        """Sleep, then answer."""
        await asyncio.sleep(seconds)
        return f"slept {seconds}"

    @tool(annotations=ToolAnnotations(destructive_hint=True, read_only_hint=False))
    def wipe(target: str) -> str:
        """Pretend to delete something (destructive)."""
        return f"wiped {target}"

    @tool(annotations=ToolAnnotations(read_only_hint=True))
    async def rendezvous(key: str, n: int) -> str:
        """Return only once `n` calls with this key are in flight at the same time."""
        waiting[key] += 1
        event = arrived.setdefault(key, asyncio.Event())
        if waiting[key] >= n:
            event.set()
        try:
            await asyncio.wait_for(event.wait(), 20)
        except TimeoutError:
            raise ToolError(f"only {waiting[key]} of {n} calls arrived together") from None
        return f"met {n}"

    @server.resource("note://{topic}", mime_type="text/plain")
    def note(topic: str) -> str:
        return f"notes about {topic}"

    return server


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("--tools", default=None)
    parser.add_argument("--http", type=int, default=None)
    a = parser.parse_args()
    srv = build(a.name, set(a.tools.split(",")) if a.tools else None)
    if a.http:
        srv.run("streamable-http", host="127.0.0.1", port=a.http)
    else:
        srv.run("stdio")
