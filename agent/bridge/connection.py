"""One held MCP session to one server, owned by a background task, restartable.

anyio-based clients must be entered and exited in the same task, while tool calls arrive from
whatever task runs the graph node. So a dedicated task enters `Client(...)`, publishes it, and
holds it open until asked to close; callers use the published client directly (requests are
multiplexed over the one session).
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import IO, Any

import anyio
import httpx
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED, Tool

from agent.bridge.configs import ServerConfig
from sleuth.logs import get_logger

log = get_logger(__name__)

CLOSE_TIMEOUT_S = 5.0
STDERR_TAIL_CHARS = 400


class ConnectionLost(Exception):
    """The transport to a server broke (process died, socket closed)."""


def is_connection_lost(exc: BaseException) -> bool:
    if isinstance(exc, MCPError):
        return exc.code == CONNECTION_CLOSED
    if isinstance(exc, BaseExceptionGroup):
        return any(is_connection_lost(e) for e in exc.exceptions)
    return isinstance(
        exc,
        ConnectionLost
        | anyio.ClosedResourceError
        | anyio.BrokenResourceError
        | anyio.EndOfStream
        | httpx.TransportError
        | OSError,
    )


def describe(exc: BaseException) -> str:
    """One readable line for an exception, unwrapping task-group exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


class Connection:
    """A restartable, held session to one server."""

    def __init__(self, config: ServerConfig, start_timeout_s: float, stderr_dir: Path | None) -> None:
        self.config = config
        self.start_timeout_s = start_timeout_s
        self.stderr_path = stderr_dir / f"mcp-{config.name}.stderr.log" if stderr_dir else None
        self.client: Client | None = None
        self.generation = 0  # bumped on every (re)start; a failure names the generation it saw
        self.restarts = 0
        self._task: asyncio.Task[None] | None = None
        self._closing: asyncio.Event | None = None
        self._lock = asyncio.Lock()

    def _transport(self, errlog: IO[str] | None) -> Any:
        cfg = self.config
        if cfg.url:
            return cfg.url
        params = StdioServerParameters(command=cfg.command or "", args=cfg.args, env=cfg.env or None)
        return stdio_client(params, errlog=errlog) if errlog is not None else params

    async def _hold(self, ready: asyncio.Future[Client], closing: asyncio.Event) -> None:
        errlog = None
        try:
            if self.stderr_path is not None:
                self.stderr_path.parent.mkdir(parents=True, exist_ok=True)
                errlog = self.stderr_path.open("a", encoding="utf-8")
            async with Client(self._transport(errlog)) as client:
                ready.set_result(client)
                await closing.wait()
        except BaseException as exc:  # the task's own end: report to the starter, never leak
            if not ready.done():
                ready.set_exception(exc if isinstance(exc, Exception) else ConnectionLost(describe(exc)))
            if isinstance(exc, asyncio.CancelledError):
                raise
            log.debug("mcp session ended", server=self.config.name, error=describe(exc))
        finally:
            if errlog is not None:
                errlog.close()

    async def start(self) -> Client:
        """Start the server (or connect to it) and hold the session; raises on failure or timeout."""
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[Client] = loop.create_future()
        self._closing = asyncio.Event()
        self._task = asyncio.create_task(self._hold(ready, self._closing), name=f"mcp-{self.config.name}")
        try:
            async with asyncio.timeout(self.start_timeout_s):
                self.client = await asyncio.shield(ready)
        except TimeoutError:
            await self.close()
            raise TimeoutError(f"did not start within {self.start_timeout_s:g} s") from None
        except BaseException:
            await self.close()
            raise
        self.generation += 1
        return self.client

    async def close(self) -> None:
        """End the session (the stdio client then stops the subprocess); bounded in time."""
        task, self._task, self.client = self._task, None, None
        if task is None:
            return
        if self._closing is not None:
            self._closing.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), CLOSE_TIMEOUT_S)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        except BaseException as exc:
            log.debug("mcp session close", server=self.config.name, error=describe(exc))

    async def restart(self, seen_generation: int) -> Client:
        """Restart once per failure: concurrent callers that saw the same broken session share it."""
        async with self._lock:
            if self.generation != seen_generation and self.client is not None:
                return self.client
            log.warning("restarting mcp server", server=self.config.name)
            await self.close()
            self.restarts += 1
            try:
                return await self.start()
            except Exception as exc:
                raise ConnectionLost(f"restart failed: {describe(exc)}") from exc

    async def list_tools(self) -> list[Tool]:
        assert self.client is not None
        tools: list[Tool] = []
        cursor: str | None = None
        while True:
            page = await self.client.list_tools(cursor=cursor)
            tools.extend(page.tools)
            cursor = page.next_cursor
            if not cursor:
                return tools

    def stderr_tail(self) -> str:
        """The last two stderr lines (e.g. `error: …` and `fix: …`): usually why it failed to start."""
        if self.stderr_path is None or not self.stderr_path.is_file():
            return ""
        with self.stderr_path.open("rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - STDERR_TAIL_CHARS))
            lines = [ln for ln in f.read().decode("utf-8", "replace").splitlines() if ln.strip()]
        return " / ".join(ln.strip() for ln in lines[-2:])
