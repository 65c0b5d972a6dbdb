"""ChatAnthropic and ChatOpenAI, built by make_chat_model, against a local server speaking their wire formats."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool

from agent.models import RetryPolicy, cost_usd, make_chat_model
from sleuth.config import AgentSettings
from tests.agent_infra.wire_server import Failure, Reply, WireServer

FAST = RetryPolicy(attempts=4, initial_s=0.01, max_s=0.05)
PROVIDERS = ["anthropic", "openai"]

# One event loop for the module, as in an application: the SDKs share pooled HTTP clients per
# process, and a connection pooled on a finished loop cannot be reused on the next one.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@tool
def get_revenue(year: int, region: str) -> str:
    """Revenue for a year and region."""
    return "1"


@pytest.fixture(scope="module")
def server() -> Iterator[WireServer]:
    s = WireServer().start()
    yield s
    s.stop()


@pytest.fixture
def wire(server: WireServer, monkeypatch: pytest.MonkeyPatch) -> WireServer:
    server.queue.clear()
    server.requests.clear()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    monkeypatch.delenv("ANTHROPIC_API_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return server


def model_for(provider: str, wire: WireServer):
    if provider == "anthropic":
        return make_chat_model("anthropic:claude-sonnet-4-6", retry=FAST)
    return make_chat_model("openai:llama3.1", AgentSettings(base_url=f"{wire.url}/v1"), retry=FAST)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_plain_text_and_usage(provider: str, wire: WireServer) -> None:
    wire.push(Reply(text=["Revenue ", "grew ", "12%."], input_tokens=1000, output_tokens=200))
    msg = await model_for(provider, wire).ainvoke([HumanMessage("How did revenue do?")])
    assert msg.text == "Revenue grew 12%."
    assert msg.usage_metadata["input_tokens"] == 1000
    assert msg.usage_metadata["output_tokens"] == 200
    assert len(wire.requests) == 1
    body = wire.requests[0]["body"]
    assert body["messages"][-1]["content"] == "How did revenue do?"
    if provider == "anthropic":
        assert body["cache_control"] == {"type": "ephemeral"}  # prompt caching requested
        assert cost_usd("claude-sonnet-4-6", msg.usage_metadata) == pytest.approx((1000 * 3 + 200 * 15) / 1e6)
    else:
        assert wire.requests[0]["headers"]["authorization"] == "Bearer not-needed"  # local endpoint, no key
        assert cost_usd("llama3.1", msg.usage_metadata) == 0.0


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_streaming_text_arrives_in_several_chunks(provider: str, wire: WireServer) -> None:
    wire.push(Reply(text=["The ", "answer ", "is ", "42."]))
    pieces = []
    total = None
    async for chunk in model_for(provider, wire).astream("q"):
        assert isinstance(chunk, AIMessageChunk)
        if chunk.text:
            pieces.append(chunk.text)
        total = chunk if total is None else total + chunk
    assert pieces == ["The ", "answer ", "is ", "42."]
    assert total.usage_metadata["output_tokens"] == 9
    assert wire.requests[0]["body"]["stream"] is True


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("stream", [False, True])
async def test_tool_call_round_trip(provider: str, stream: bool, wire: WireServer) -> None:
    args = {"year": 2024, "region": "EMEA"}
    wire.push(Reply(text=["Let me check."], tool_calls=[("toolu_01", "get_revenue", args)]))
    model = model_for(provider, wire).bind_tools([get_revenue])
    if stream:
        msg = None
        async for chunk in model.astream("EMEA revenue 2024?"):
            msg = chunk if msg is None else msg + chunk
    else:
        msg = await model.ainvoke("EMEA revenue 2024?")
    assert [(c["id"], c["name"], c["args"]) for c in msg.tool_calls] == [("toolu_01", "get_revenue", args)]
    sent = wire.requests[0]["body"]["tools"][0]
    schema = sent["input_schema"] if provider == "anthropic" else sent["function"]["parameters"]
    assert set(schema["properties"]) == {"year", "region"}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_rate_limit_then_success_is_retried(provider: str, wire: WireServer) -> None:
    wire.push(Failure(429, {"retry-after": "0"}), Reply(text=["ok"]))
    msg = await model_for(provider, wire).ainvoke("q")
    assert msg.text == "ok"
    assert len(wire.requests) == 2  # our policy retried once; the SDK itself did not retry


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("stream", [False, True])
async def test_server_errors_twice_then_success(provider: str, stream: bool, wire: WireServer) -> None:
    wire.push(Failure(500), Failure(503), Reply(text=["fine ", "now"]))
    model = model_for(provider, wire)
    text = "".join([c.text async for c in model.astream("q")]) if stream else (await model.ainvoke("q")).text
    assert text == "fine now"
    assert len(wire.requests) == 3


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_client_errors_are_not_retried(provider: str, wire: WireServer) -> None:
    wire.push(Failure(400), Reply(text=["never"]))
    with pytest.raises(Exception) as info:
        await model_for(provider, wire).ainvoke("q")
    assert getattr(info.value, "status_code", None) == 400
    assert len(wire.requests) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_retries_give_up_after_the_policy(provider: str, wire: WireServer) -> None:
    wire.push(*[Failure(500)] * 4)
    with pytest.raises(Exception) as info:
        await model_for(provider, wire).ainvoke("q")
    assert getattr(info.value, "status_code", None) == 500
    assert len(wire.requests) == FAST.attempts


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_tool_result_goes_back_in_the_provider_format(provider: str, wire: WireServer) -> None:
    args = {"year": 2023, "region": "APAC"}
    wire.push(Reply(tool_calls=[("call_7", "get_revenue", args)]), Reply(text=["APAC made 1 [1]."]))
    model = model_for(provider, wire).bind_tools([get_revenue])
    history = [HumanMessage("APAC revenue 2023?")]
    first = await model.ainvoke(history)
    history += [first, ToolMessage("1", tool_call_id="call_7")]
    final = await model.ainvoke(history)
    assert final.text == "APAC made 1 [1]." and not final.tool_calls
    sent = wire.requests[1]["body"]["messages"]
    if provider == "anthropic":
        assert sent[1]["content"][-1]["type"] == "tool_use" and sent[1]["content"][-1]["input"] == args
        assert sent[2]["role"] == "user"
        result = sent[2]["content"][0]
        assert (result["type"], result["tool_use_id"], result["content"]) == ("tool_result", "call_7", "1")
    else:
        assert sent[1]["tool_calls"][0]["function"]["name"] == "get_revenue"
        assert (sent[2]["role"], sent[2]["tool_call_id"], sent[2]["content"]) == ("tool", "call_7", "1")
