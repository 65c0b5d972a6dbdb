"""The MCP bridge against real subprocess servers over stdio and Streamable HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest
import pytest_asyncio
from langchain_core.messages import ToolMessage
from sleuth_testkit import free_port, wait_for_port

from agent.mcp_bridge import MCPBridge, ServerConfig, ToolOutcome
from tests.agent_infra.conftest import stdio_server

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def bridge(http_server: str):
    configs = [stdio_server("alpha"), ServerConfig("beta", url=http_server)]
    async with MCPBridge(configs, call_timeout_s=20) as b:
        yield b


async def test_tools_are_listed_with_annotations_and_clashes_namespaced(bridge: MCPBridge) -> None:
    assert bridge.problems == {}
    names = {t.qualified_name for t in bridge.tools}
    assert {"alpha__lookup", "beta__lookup", "whoami", "slow", "wipe", "fail"} <= names
    assert "lookup" not in names and "report" not in names  # report is on both servers too
    assert bridge.find("beta__lookup").server == "beta"
    wipe, whoami, fail = bridge.find("wipe"), bridge.find("whoami"), bridge.find("fail")
    assert wipe.destructive and not wipe.read_only
    assert whoami.read_only and not whoami.destructive
    assert fail.destructive  # no annotations: MCP's default for a non-read-only tool
    assert bridge.find("alpha__lookup").input_schema["required"] == ["key"]
    with pytest.raises(KeyError, match="no bridged tool named 'nope'"):
        bridge.find("nope")
    assert bridge.servers["beta"].transport == "http" and bridge.servers["alpha"].connected


async def test_one_session_per_server_across_calls(bridge: MCPBridge) -> None:
    outs = [await bridge.call("alpha", "whoami", {}) for _ in range(20)]
    assert len({o.text for o in outs}) == 1
    pid = int(outs[0].text.split(":")[1])
    assert pid != os.getpid()
    os.kill(pid, 0)  # the same process is alive and serving all calls


async def test_calls_run_concurrently(bridge: MCPBridge) -> None:
    outs = await asyncio.gather(*(bridge.call("alpha", "rendezvous", {"key": "k1", "n": 6}) for _ in range(6)))
    assert [o.text for o in outs] == ["met 6"] * 6


async def test_structured_content_and_links_are_kept_over_stdio_and_http(bridge: MCPBridge) -> None:
    for server in ("alpha", "beta"):
        out = await bridge.call(server, "report", {"topic": "sales"})
        assert out.is_error is False
        assert out.text == "report on sales"
        assert out.structured == {"topic": "sales", "rows": [1, 2, 3]}
        assert out.resource_links == [{"uri": "note://sales", "name": "sales notes", "mimeType": "text/plain"}]
        assert out.elapsed_ms > 0


async def test_tool_errors_are_results(bridge: MCPBridge) -> None:
    out = await bridge.call("alpha", "fail", {"message": "the table is missing"})
    assert out.is_error and "the table is missing" in out.text
    bad_args = await bridge.call("alpha", "lookup", {})
    assert bad_args.is_error and "key" in bad_args.text
    unknown = await bridge.call("gamma", "lookup", {"key": "x"})
    assert unknown.is_error and "unknown MCP server 'gamma'" in unknown.text


async def test_timeout_is_an_error_result_and_the_session_survives(bridge: MCPBridge) -> None:
    before = await bridge.call("alpha", "whoami", {})
    out = await bridge.call("alpha", "slow", {"seconds": 10}, timeout_s=0.5)
    assert out.is_error and out.text == "alpha.slow timed out after 0.5 s"
    after = await bridge.call("alpha", "whoami", {})
    assert after.text == before.text and bridge.servers["alpha"].restarts == 0


async def test_read_resource(bridge: MCPBridge) -> None:
    assert await bridge.read_resource("alpha", "note://q3") == "notes about q3"
    assert await bridge.read_resource("beta", "note://q4") == "notes about q4"


async def test_langchain_tools_carry_the_outcome_as_artifact(bridge: MCPBridge) -> None:
    tools = {t.name: t for t in bridge.langchain_tools()}
    assert set(tools) == {t.qualified_name for t in bridge.tools}
    msg = await tools["beta__lookup"].ainvoke(
        {"type": "tool_call", "name": "beta__lookup", "args": {"key": "k9"}, "id": "c1"}
    )
    assert isinstance(msg, ToolMessage)
    assert msg.content == "beta found k9" and msg.tool_call_id == "c1"
    assert isinstance(msg.artifact, ToolOutcome) and msg.artifact.is_error is False
    report = await tools["alpha__report"].ainvoke(
        {"type": "tool_call", "name": "alpha__report", "args": {"topic": "t"}, "id": "c2"}
    )
    assert report.artifact.structured == {"topic": "t", "rows": [1, 2, 3]}
    assert tools["wipe"].metadata == {"server": "alpha", "tool": "wipe", "destructive": True}
    assert tools["alpha__lookup"].tool_call_schema["required"] == ["key"]


async def test_killed_server_is_restarted_and_the_call_succeeds() -> None:
    async with MCPBridge([stdio_server("alpha", tools="whoami,slow")], call_timeout_s=20) as b:
        first = await b.call("alpha", "whoami", {})
        pid = int(first.text.split(":")[1])
        os.kill(pid, signal.SIGKILL)
        again = await b.call("alpha", "whoami", {})
        assert again.is_error is False, again.text
        assert int(again.text.split(":")[1]) != pid
        assert b.servers["alpha"].restarts == 1
        # killed while a call is in flight: that call is retried once on the restarted server
        pid2 = int(again.text.split(":")[1])
        pending = asyncio.create_task(b.call("alpha", "slow", {"seconds": 0.5}))
        await asyncio.sleep(0.2)
        os.kill(pid2, signal.SIGKILL)
        out = await pending
        assert out.is_error is False and out.text == "slept 0.5"
        assert b.servers["alpha"].restarts == 2


async def test_a_server_that_fails_to_start_is_a_problem_not_a_crash(tmp_path) -> None:
    broken = ServerConfig(
        "broken",
        command=sys.executable,
        args=["-c", "import sys; sys.stderr.write('config file bad.toml is invalid\\n'); sys.exit(3)"],
    )
    missing = ServerConfig("missing", command=str(tmp_path / "no-such-server"))
    async with MCPBridge([broken, missing, stdio_server("alpha", tools="whoami")], stderr_dir=tmp_path) as b:
        assert set(b.problems) == {"broken", "missing"}
        assert "config file bad.toml is invalid" in b.problems["broken"]
        assert "'missing' (stdio) failed to start" in b.problems["missing"]
        assert [t.qualified_name for t in b.tools] == ["whoami"]
        out = await b.call("broken", "anything", {})
        assert out.is_error and "failed to start" in out.text
        assert (await b.call("alpha", "whoami", {})).is_error is False
        assert b.servers["broken"].connected is False


async def test_unreachable_http_server_is_a_problem() -> None:
    url = f"http://127.0.0.1:{free_port()}/mcp"
    async with MCPBridge([ServerConfig("remote", url=url)], start_timeout_s=5) as b:
        assert "'remote' (http) failed to start" in b.problems["remote"]


async def test_http_server_that_went_away_is_reconnected_when_back() -> None:
    import subprocess

    from tests.agent_infra.conftest import TEST_SERVER

    port = free_port()

    def start() -> subprocess.Popen[bytes]:
        cmd = [sys.executable, str(TEST_SERVER), "beta", "--tools", "whoami", "--http", str(port)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(port, proc)
        return proc

    proc = start()
    try:
        async with MCPBridge([ServerConfig("beta", url=f"http://127.0.0.1:{port}/mcp")], start_timeout_s=10) as b:
            first = await b.call("beta", "whoami", {})
            proc.kill()
            proc.wait()
            gone = await b.call("beta", "whoami", {})
            assert gone.is_error and "MCP server 'beta' stopped and could not be restarted" in gone.text
            proc = start()
            back = await b.call("beta", "whoami", {})
            assert back.is_error is False and back.text != first.text
        closed = await b.call("beta", "whoami", {})
        assert closed.is_error and "bridge is closed" in closed.text
    finally:
        proc.kill()
        proc.wait()
