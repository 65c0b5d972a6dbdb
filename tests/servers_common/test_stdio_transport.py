"""The stdio transport the three servers share (mcp_servers/common/stdio.py), over real pipes.

It replaces the SDK's thread-per-line stdio with the event loop's pipe reader and writer, so it
must keep the SDK's guarantees: only protocol frames on stdout, malformed input answered without
a crash, and the SDK's own transport when stdin is not a pipe.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

SERVER = Path(__file__).with_name("noisy_server.py")
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}


@pytest.mark.timeout(60)
async def test_stray_stdout_goes_to_stderr_and_calls_still_answer(tmp_path: Path) -> None:
    errlog_path = tmp_path / "stderr.txt"
    with errlog_path.open("w", encoding="utf-8") as errlog:
        params = StdioServerParameters(command=sys.executable, args=[str(SERVER)])
        async with Client(stdio_client(params, errlog=errlog), read_timeout_seconds=30) as client:
            for word in ("one", "two", "three"):
                result = await client.call_tool("noisy", {"word": word})
                assert not result.is_error
                assert result.content[0].text == word.upper()
            assert (await client.list_tools()).tools[0].name == "noisy"
    stderr = errlog_path.read_text(encoding="utf-8")
    assert stderr.count("stray text from print()") == 3
    assert stderr.count("stray text from a child") == 3


def _exchange(requests: bytes, expect: int, stdout_file: Path | None = None, timeout: float = 30) -> list[dict]:
    """Start the server, write `requests` to its stdin pipe, read `expect` frames, close stdin.

    `stdout_file`: the server writes to this regular file instead of a pipe.
    """
    sink = stdout_file.open("wb") if stdout_file else subprocess.PIPE
    proc = subprocess.Popen([sys.executable, str(SERVER)], stdin=subprocess.PIPE, stdout=sink, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    try:
        proc.stdin.write(requests)
        proc.stdin.flush()
        if stdout_file is None:
            assert proc.stdout is not None
            frames = [json.loads(proc.stdout.readline()) for _ in range(expect)]
        else:
            deadline = time.monotonic() + timeout
            while len(lines := stdout_file.read_text(encoding="utf-8").splitlines()) < expect:
                assert time.monotonic() < deadline, f"got {len(lines)} of {expect} frames"
                time.sleep(0.05)
            frames = [json.loads(line) for line in lines]
        proc.stdin.close()
        proc.wait(timeout)
    finally:
        proc.kill()
        if not isinstance(sink, int):
            sink.close()
    assert proc.returncode == 0, proc.stderr.read().decode() if proc.stderr else ""
    return frames


def _lines(*messages: dict | bytes) -> bytes:
    return b"".join(m if isinstance(m, bytes) else json.dumps(m).encode() + b"\n" for m in messages)


PING = {"jsonrpc": "2.0", "id": 2, "method": "ping"}


def test_malformed_lines_do_not_stop_the_server() -> None:
    # Like the SDK's transport, an unparsable line has no id to answer, so it is dropped.
    frames = _exchange(_lines(INIT, b"{not json\n", b"\n", b"\xff\xfe garbage\n", PING), expect=2)
    assert frames[0]["id"] == 1 and frames[0]["result"]["serverInfo"]["name"] == "noisy"
    assert frames[1] == {"jsonrpc": "2.0", "id": 2, "result": {}}  # still serving after the garbage


def test_stdout_to_a_regular_file_falls_back_to_the_sdk_transport(tmp_path: Path) -> None:
    # asyncio cannot watch a regular file, so the SDK's own stdio transport writes it.
    frames = _exchange(_lines(INIT, PING), expect=2, stdout_file=tmp_path / "out.jsonl")
    assert [f.get("id") for f in frames] == [1, 2]
    assert frames[1]["result"] == {}


def test_a_reply_json_cannot_carry_is_sent_with_the_character_replaced_and_serving_goes_on() -> None:
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "undecodable_name", "arguments": {}}}
    frames = {f["id"]: f for f in _exchange(_lines(INIT, call, {**PING, "id": 3}), expect=3)}  # any order
    assert frames[2]["result"]["content"][0]["text"] == "bad\ufffdname.txt"
    assert frames[3] == {"jsonrpc": "2.0", "id": 3, "result": {}}


def test_stdin_from_the_null_device_ends_the_server_instead_of_hanging() -> None:
    # /dev/null is a character device asyncio accepts but epoll cannot watch.
    proc = subprocess.run(
        [sys.executable, str(SERVER)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == b"" and b"Traceback" not in proc.stderr
