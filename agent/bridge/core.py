"""`MCPBridge`: every configured MCP server behind one object, one held session per server.

Servers start concurrently; one that fails is recorded in `.problems` and the rest still work.
Calls never raise for tool-level trouble: errors, timeouts and dead servers come back as
`ToolOutcome(is_error=True, text=<what happened>)`, which the model can read and act on.
A server whose transport broke (process killed, socket closed) is restarted and the call retried
once; a timeout is *not* retried (the tool may have side effects and the server is alive).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from langchain_core.tools import BaseTool, StructuredTool
from mcp.shared.exceptions import MCPError
from mcp_types import REQUEST_TIMEOUT, BlobResourceContents, CallToolResult, TextResourceContents, Tool
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from agent.bridge.configs import ServerConfig
from agent.bridge.connection import Connection, describe, is_connection_lost
from agent.bridge.outcome import ToolOutcome, error_outcome, to_outcome
from sleuth.logs import get_logger

log = get_logger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
MAX_TOOL_NAME = 64  # Anthropic and OpenAI both cap tool names at 64 characters of [A-Za-z0-9_-]


@dataclass
class BridgedTool:
    server: str
    name: str  # the tool's own name on its server
    qualified_name: str  # `name`, or f"{server}__{name}" when two servers share the name
    description: str
    input_schema: dict[str, Any]
    read_only: bool  # annotations.readOnlyHint
    destructive: bool  # annotations.destructiveHint; per MCP, a non-read-only tool without it is destructive


@dataclass
class ServerStatus:
    name: str
    transport: Literal["stdio", "http"]
    connected: bool
    tools: int = 0
    restarts: int = 0
    error: str | None = None


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name)[:MAX_TOOL_NAME]


def _bridged(server: str, tool: Tool, clashes: bool) -> BridgedTool:
    ann = tool.annotations
    read_only = bool(ann and ann.read_only_hint)
    destructive = not read_only and (ann is None or ann.destructive_hint is None or bool(ann.destructive_hint))
    qualified = _safe(f"{server}__{tool.name}" if clashes else tool.name)
    return BridgedTool(
        server=server,
        name=tool.name,
        qualified_name=qualified,
        description=tool.description or tool.title or tool.name,
        input_schema=dict(tool.input_schema),
        read_only=read_only,
        destructive=destructive,
    )


class MCPBridge:
    """Hold one session per server for the bridge's lifetime (use as `async with MCPBridge(...)`).

    The bridge is bound to the event loop it was entered in.
    """

    def __init__(
        self,
        configs: list[ServerConfig],
        *,
        call_timeout_s: float = 60.0,
        start_timeout_s: float = 30.0,
        stderr_dir: Path | None = None,
    ) -> None:
        names = [c.name for c in configs]
        dupes = sorted(n for n, k in Counter(names).items() if k > 1)
        if dupes:
            raise ValueError(f"MCP server names must be unique; repeated: {', '.join(dupes)}")
        self.call_timeout_s = call_timeout_s
        self._conns = {c.name: Connection(c, start_timeout_s, stderr_dir) for c in configs}
        self.tools: list[BridgedTool] = []
        self.problems: dict[str, str] = {}
        self._by_qualified: dict[str, BridgedTool] = {}
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> MCPBridge:
        listed = await asyncio.gather(*(self._start(c) for c in self._conns.values()))
        raw = [(name, t) for name, tools in zip(self._conns, listed, strict=True) for t in tools]
        counts = Counter(t.name for _, t in raw)
        self.tools = [_bridged(server, t, counts[t.name] > 1) for server, t in raw]
        self._by_qualified = {t.qualified_name: t for t in self.tools}
        log.info("mcp bridge ready", servers=len(self._conns), tools=len(self.tools), problems=self.problems)
        return self

    async def _start(self, conn: Connection) -> list[Tool]:
        started = time.perf_counter()
        try:
            await conn.start()
            tools = await asyncio.wait_for(conn.list_tools(), conn.start_timeout_s)
        except Exception as exc:
            detail = conn.stderr_tail()
            self.problems[conn.config.name] = (
                f"MCP server {conn.config.name!r} ({conn.config.transport}) failed to start: {describe(exc)}"
                + (f" (its last stderr line: {detail})" if detail else "")
            )
            log.warning("mcp server failed to start", server=conn.config.name, error=describe(exc))
            await conn.close()
            return []
        log.info("mcp server started", server=conn.config.name, ms=round((time.perf_counter() - started) * 1000))
        return tools

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closed = True
        await asyncio.gather(*(c.close() for c in self._conns.values()), return_exceptions=True)

    @property
    def servers(self) -> dict[str, ServerStatus]:
        out = {}
        for name, c in self._conns.items():
            out[name] = ServerStatus(
                name=name,
                transport="http" if c.config.url else "stdio",
                connected=c.client is not None,
                tools=sum(1 for t in self.tools if t.server == name),
                restarts=c.restarts,
                error=self.problems.get(name),
            )
        return out

    # -- calls -------------------------------------------------------------------------------

    def find(self, qualified_name: str) -> BridgedTool:
        try:
            return self._by_qualified[qualified_name]
        except KeyError:
            known = ", ".join(sorted(self._by_qualified)) or "none"
            raise KeyError(f"no bridged tool named {qualified_name!r}; known tools: {known}") from None

    async def call(self, server: str, tool: str, args: dict[str, Any], timeout_s: float | None = None) -> ToolOutcome:
        """Call `tool` on `server`. Never raises for tool, timeout or transport trouble."""
        started = time.perf_counter()

        def elapsed() -> float:
            return (time.perf_counter() - started) * 1000

        conn = self._conns.get(server)
        if self._closed:
            return error_outcome("the MCP bridge is closed; no tool calls are possible", elapsed())
        if conn is None:
            return error_outcome(f"unknown MCP server {server!r}; known: {', '.join(self._conns)}", elapsed())
        if server in self.problems and conn.client is None:
            return error_outcome(self.problems[server], elapsed())
        timeout = timeout_s or self.call_timeout_s
        try:
            result = await self._call_with_restart(conn, tool, args, timeout)
        except MCPError as exc:
            if exc.code == REQUEST_TIMEOUT:
                return error_outcome(f"{server}.{tool} timed out after {timeout:g} s", elapsed())
            return error_outcome(f"{server}.{tool} failed: {exc.message}", elapsed())
        except TimeoutError:
            return error_outcome(f"{server}.{tool} timed out after {timeout:g} s", elapsed())
        except Exception as exc:
            if is_connection_lost(exc):
                msg = f"MCP server {server!r} stopped and could not be restarted: {describe(exc)}"
            else:
                msg = f"{server}.{tool} failed: {describe(exc)}"
            log.warning("mcp call failed", server=server, tool=tool, error=describe(exc))
            return error_outcome(msg, elapsed())
        return to_outcome(result, elapsed())

    async def _call_with_restart(
        self, conn: Connection, tool: str, args: dict[str, Any], timeout: float
    ) -> CallToolResult:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(2), retry=retry_if_exception(is_connection_lost), reraise=True
        ):
            with attempt:
                seen = conn.generation
                client = conn.client or await conn.restart(seen)
                try:
                    async with asyncio.timeout(timeout + 1.0):  # backstop; the SDK's read timeout fires first
                        return await client.call_tool(tool, args, read_timeout_seconds=timeout)
                except Exception as exc:
                    if is_connection_lost(exc):
                        await conn.restart(seen)
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def read_resource(self, server: str, uri: str) -> str:
        """The text of a resource (binary contents are described, not returned). Raises on failure."""
        conn = self._conns[server]
        client = conn.client or await conn.restart(conn.generation)
        result = await asyncio.wait_for(client.read_resource(uri), self.call_timeout_s)
        parts = []
        for c in result.contents:
            if isinstance(c, TextResourceContents):
                parts.append(c.text)
            elif isinstance(c, BlobResourceContents):
                parts.append(f"[binary {c.mime_type or 'content'}, {len(c.blob) * 3 // 4} bytes]")
        return "\n".join(parts)

    # -- LangChain ---------------------------------------------------------------------------

    def langchain_tools(self) -> list[BaseTool]:
        """One StructuredTool per bridged tool; the ToolMessage artifact is the full ToolOutcome."""
        return [self._as_langchain(t) for t in self.tools]

    def _as_langchain(self, tool: BridgedTool) -> BaseTool:
        async def run(**kwargs: Any) -> tuple[str, ToolOutcome]:
            outcome = await self.call(tool.server, tool.name, kwargs)
            return outcome.text, outcome

        return StructuredTool(
            name=tool.qualified_name,
            description=tool.description,
            args_schema=tool.input_schema,
            coroutine=run,
            response_format="content_and_artifact",
            metadata={"server": tool.server, "tool": tool.name, "destructive": tool.destructive},
        )
