"""Keeps the agent facade alive in the background, so the prompt appears before the servers are up.

One task owns the bridge's and the facade's whole lifetime (enter, wait, exit): the MCP sessions
live in anyio cancel scopes, which must be exited by the task that entered them. The heavy imports
(LangGraph, LangChain, MCP) happen in worker threads while the prompt already accepts input.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from sleuth.errors import SleuthError
from sleuth.logs import details_hint, get_logger

if TYPE_CHECKING:
    from sleuth.config import Settings

log = get_logger(__name__)
CLOSE_TIMEOUT_S = 10.0


def as_sleuth_error(exc: BaseException, doing: str) -> SleuthError:
    """Any failure as one readable line with a fix; the traceback goes to the log file only."""
    if isinstance(exc, SleuthError):
        return exc
    log.error("repl failure", doing=doing, exc_info=exc)
    return SleuthError(f"{doing} failed: {type(exc).__name__}: {exc}", fix=details_hint())


class AgentHost:
    """The MCP bridge and the `Sleuth` facade, started in the background.

    The bridge starts first (its servers boot in their own processes while the graph libraries are
    still importing), so `await host.bridge()` serves /sql, /search and /read early; `await
    host.ready()` waits for the whole agent. The facade is handed the bridge and so does not own it.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sleuth: Any = None
        self.tools: Any = None  # the MCPBridge once its servers are up
        self.error: SleuthError | None = None
        self.started_at = time.monotonic()
        self.ready_at: float | None = None
        self._bridge_ready = asyncio.Event()
        self._ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sleuth-agent-host")

    async def _run(self) -> None:
        facade_import = asyncio.ensure_future(asyncio.to_thread(importlib.import_module, "agent.facade"))
        try:
            async with AsyncExitStack() as stack:
                mb = await asyncio.to_thread(importlib.import_module, "agent.mcp_bridge")
                configs = mb.sleuth_server_configs(self.settings)
                timeout, logs = self.settings.agent.tool_timeout_s, self.settings.logs_dir
                bridge = mb.MCPBridge(configs, call_timeout_s=timeout, stderr_dir=logs)
                self.tools = await stack.enter_async_context(bridge)
                self._bridge_ready.set()
                facade = await facade_import
                self.sleuth = await stack.enter_async_context(facade.Sleuth(self.settings, bridge=self.tools))
                self.ready_at = time.monotonic()
                self._ready.set()
                log.info("agent ready", seconds=round(self.ready_at - self.started_at, 3))
                await self._stop.wait()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.error = as_sleuth_error(exc, "starting the agent and its servers")
        finally:
            facade_import.cancel()
            self.sleuth = self.tools = None
            self._bridge_ready.set()
            self._ready.set()

    @property
    def is_ready(self) -> bool:
        return self._ready.is_set()

    def status(self) -> str:
        """For the toolbar: what is still starting, `ready`, or `agent unavailable`."""
        waited = f"{time.monotonic() - self.started_at:.0f}s"
        if not self._bridge_ready.is_set():
            return f"starting servers… {waited}"
        if not self._ready.is_set():
            return f"ready, agent loading… {waited}"
        return "ready" if self.sleuth is not None else "agent unavailable"

    async def bridge(self) -> Any:
        """The MCP bridge as soon as its servers are up (the agent may still be loading)."""
        await self._bridge_ready.wait()
        if self.tools is None:
            raise self.error or SleuthError("the MCP servers have stopped", fix="restart `sleuth chat`")
        return self.tools

    async def ready(self) -> Any:
        """The started facade, or the start-up error (message + fix) raised again."""
        await self._ready.wait()
        if self.sleuth is None:
            raise self.error or SleuthError("the agent has stopped", fix="restart `sleuth chat`")
        return self.sleuth

    async def close(self) -> None:
        if self._task is None:
            return
        began = time.monotonic()
        self._stop.set()
        if not self._ready.is_set():  # quitting while things still start: do not wait for them
            self._task.cancel()
        try:
            await asyncio.wait_for(self._task, CLOSE_TIMEOUT_S)
        except (TimeoutError, asyncio.CancelledError):
            log.warning("agent did not stop in time")
        except Exception as exc:  # shutting down: log it, do not bother the user
            log.warning("agent stop failed", exc_info=exc)
        log.info("agent stopped", seconds=round(time.monotonic() - began, 3))
