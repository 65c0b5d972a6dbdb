"""MCP over stdio on the event loop's own pipe reader and writer.

Why not the SDK's `stdio_server()`: it reads stdin and writes stdout through `anyio.wrap_file`,
which hands every line read, every write and every flush to a worker thread: about 0.45 ms per
round trip on a small machine (measured A/B with `scripts/bench_sql.py`'s floor). Here the pipes
are registered with the asyncio loop instead, so a request and its response cost no thread hop.

The contract is the SDK's: the same message streams, the same JSON-RPC parsing, the same
framing (one JSON object per line, UTF-8). While serving, fd 0 points at the null device and
fd 1 at stderr, so a stray print() or a child process cannot corrupt the protocol stream; both
are restored on exit. When stdin or stdout is not a pipe, socket or terminal (a regular file,
say), or the loop is not asyncio, the SDK's transport is used unchanged.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import anyio
import mcp_types as types
import sniffio
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared._context_streams import ContextReceiveStream, ContextSendStream, create_context_streams
from mcp.shared.message import SessionMessage

from sleuth.logs import get_logger

# A line may hold a whole tool call (a long SQL text, a file to write): far above asyncio's
# 64 KiB default, but still a bound, so a peer that never sends a newline cannot eat memory.
MAX_LINE_BYTES = 64 * 1024 * 1024
log = get_logger(__name__)
_SURROGATE = re.compile("[\ud800-\udfff]")

Streams = tuple[ContextReceiveStream[SessionMessage | Exception], ContextSendStream[SessionMessage]]


def _is_stream_fd(fd: int) -> bool:
    """Pipes, sockets and terminals: what the loop can watch. Other character devices pass
    asyncio's own check but not epoll's (/dev/null as stdin would hang the server)."""
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or (stat.S_ISCHR(mode) and os.isatty(fd))


def loop_stdio_available() -> bool:
    """True when fd 0 and fd 1 can be served by the loop (POSIX, asyncio, pipe-like fds)."""
    if sys.platform == "win32":  # pragma: no cover - the loop's pipe transports are POSIX-only
        return False
    try:
        if sniffio.current_async_library() != "asyncio":
            return False
    except sniffio.AsyncLibraryNotFoundError:
        return False
    return _is_stream_fd(0) and _is_stream_fd(1)


class _ClaimedFds:
    """Private duplicates of fd 0/1 for the wire; the numbers 0/1 are pointed elsewhere meanwhile."""

    def __init__(self) -> None:
        import fcntl

        self.stdin_fd = fcntl.fcntl(0, fcntl.F_DUPFD_CLOEXEC, 3)
        self.stdout_fd = fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, 3)
        self._blocking = (os.get_blocking(self.stdin_fd), os.get_blocking(self.stdout_fd))
        sys.stdout.flush()
        null = os.open(os.devnull, os.O_RDONLY)
        try:
            os.dup2(null, 0)
        finally:
            os.close(null)
        os.dup2(2, 1)

    def release(self) -> None:
        """Point fd 0/1 back at the wire, with the blocking mode they had (a shared tty keeps working)."""
        with suppress(OSError):
            sys.stdout.flush()
        for fd, private, blocking in ((0, self.stdin_fd, self._blocking[0]), (1, self.stdout_fd, self._blocking[1])):
            with suppress(OSError):
                os.set_blocking(private, blocking)
                os.dup2(private, fd)


def _frame(message: types.JSONRPCMessage) -> bytes:
    """One message as a protocol line. A reply that cannot be encoded as it is (a tool result
    holding a lone surrogate, e.g. a file name that is not UTF-8) goes out with those characters
    replaced, not as an exception that would end the writer and with it the server."""
    try:
        return message.model_dump_json(by_alias=True, exclude_unset=True).encode("utf-8") + b"\n"
    except ValueError:  # pydantic's serialization error is a ValueError
        log.warning("reply had characters JSON cannot carry; sent with them replaced")
        data = message.model_dump(mode="json", by_alias=True, exclude_unset=True)
        return _SURROGATE.sub("\ufffd", json.dumps(data, ensure_ascii=False)).encode("utf-8") + b"\n"


async def _pipe_reader(fd: int) -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=MAX_LINE_BYTES)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", 0, closefd=False))
    return reader


async def _pipe_writer(fd: int) -> asyncio.StreamWriter:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, os.fdopen(fd, "wb", 0, closefd=False)
    )
    return asyncio.StreamWriter(transport, protocol, None, loop)


@asynccontextmanager
async def loop_stdio_server() -> AsyncIterator[Streams]:
    """The SDK's `stdio_server()` contract, with the pipes read and written by the event loop."""
    claimed = _ClaimedFds()
    try:
        reader = await _pipe_reader(claimed.stdin_fd)
        writer = await _pipe_writer(claimed.stdout_fd)
        read_stream_writer, read_stream = create_context_streams[SessionMessage | Exception](0)
        write_stream, write_stream_reader = create_context_streams[SessionMessage](0)

        async def stdin_reader() -> None:
            async with read_stream_writer:
                while True:
                    try:
                        line = await reader.readline()
                    except ValueError as exc:  # a line over MAX_LINE_BYTES: report it, skip to the next
                        await read_stream_writer.send(exc)
                        continue
                    if not line:
                        return  # EOF: the client went away
                    if not line.strip():
                        continue
                    try:
                        text = line.decode("utf-8", errors="replace")
                        message = types.jsonrpc_message_adapter.validate_json(text, by_name=False)
                    except Exception as exc:  # the SDK's behaviour: the session answers a parse error
                        await read_stream_writer.send(exc)
                        continue
                    await read_stream_writer.send(SessionMessage(message))

        async def stdout_writer() -> None:
            async with write_stream_reader:
                async for session_message in write_stream_reader:
                    writer.write(_frame(session_message.message))
                    await writer.drain()

        async with anyio.create_task_group() as tg:
            tg.start_soon(stdin_reader)
            tg.start_soon(stdout_writer)
            try:
                yield read_stream, write_stream
            finally:
                tg.cancel_scope.cancel()
                writer.transport.close()
    finally:
        claimed.release()


async def run_stdio(server: MCPServer[Any]) -> None:
    """Serve `server` over stdio until the client closes stdin."""
    lowlevel = server._lowlevel_server  # what the SDK's own run_stdio_async serves
    transport = loop_stdio_server() if loop_stdio_available() else stdio_server()
    async with transport as (read_stream, write_stream):
        await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())
