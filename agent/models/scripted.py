"""`ScriptedChatModel`: the project's only fake — a chat model that replays a script instead of an LLM.

It stands in for the LLM in tests and demos, so it behaves like a real LangChain chat model:
`bind_tools`, `invoke`/`ainvoke`, token-by-token `stream`/`astream` (`AIMessageChunk`s), `tool_calls`
with deterministic ids, `usage_metadata` estimated from text length, and `with_structured_output`.

Script format (YAML or JSON file, or `ScriptedChatModel(steps=[...])`): a list of steps. Each step is a
mapping with at least one of

    text: "..."                                  # an answer (streamed word by word)
    tool_calls: [{name: search_docs, args: {...}}, ...]   # may be combined with `text`
    structured: {...}                            # only for `with_structured_output(...)` callers

and optionally

    expect: "substring"   # the last human/tool message must contain it, else ScriptError (strict tests)
    delay_s: 0.5          # sleep first (async sleep is cancellable: for cancel/timeout tests)

Example:

    - expect: "How many customers"
      tool_calls: [{name: run_query, args: {sql: "SELECT count(*) FROM customers"}}]
    - expect: "59"
      text: "There are 59 customers [1]."
    - structured: {passed: true, problems: []}     # the grader's verdict on that answer

Sharing one script between the agent model and the grader: steps come in two kinds, each with its
own cursor. Ordinary calls (with or without bound tools) take the next `text`/`tool_calls` step;
`with_structured_output` calls take the next `structured` step. So a script may list a verdict right
after the answer it grades, and only the order *within* each kind matters. One `ScriptedChatModel`
instance owns one cursor pair; `agent.models.make_agent_models` returns the *same* instance for the
agent and the grader when both specs name the same script, so they share it. Two separately built
instances (even from the same file) each start at the first step: no process-global state.

Running out of steps raises `ScriptError` naming the script and the call number.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError

from sleuth.errors import SleuthError

_STEP_KEYS = {"text", "tool_calls", "structured", "expect", "delay_s"}
_WORD = re.compile(r"\s*\S+\s*|\s+")
CHARS_PER_TOKEN = 4


class ScriptError(SleuthError):
    """The script and the conversation disagree (bad step, unmet `expect`, or no steps left)."""


def _check_step(i: int, step: Any, name: str) -> dict[str, Any]:
    where = f"scripted model {name!r}, step {i + 1}"
    fix = "each step is a mapping with text, tool_calls or structured (see agent/models/scripted.py)"
    if not isinstance(step, dict):
        raise ScriptError(f"{where}: expected a mapping, got {type(step).__name__}", fix=fix)
    unknown = set(step) - _STEP_KEYS
    if unknown:
        raise ScriptError(f"{where}: unknown keys {sorted(unknown)}", fix=fix)
    if "structured" in step and ({"text", "tool_calls"} & set(step)):
        raise ScriptError(f"{where}: 'structured' cannot be combined with text/tool_calls", fix=fix)
    if not ({"text", "tool_calls", "structured"} & set(step)):
        raise ScriptError(f"{where}: needs one of text, tool_calls, structured", fix=fix)
    for call in step.get("tool_calls", []):
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            raise ScriptError(f"{where}: every tool call needs a 'name' (and optional 'args')", fix=fix)
        if not isinstance(call.get("args", {}), dict):
            raise ScriptError(f"{where}: tool call {call['name']!r} args must be a mapping", fix=fix)
    if "structured" in step and not isinstance(step["structured"], dict):
        raise ScriptError(f"{where}: 'structured' must be a mapping", fix=fix)
    return step


def load_script(path: str | Path) -> list[dict[str, Any]]:
    """Read a YAML/JSON script file (JSON is YAML, so one parser serves both)."""
    p = Path(path).expanduser()
    fix = f"point the model spec at an existing script, e.g. scripted:{p.name}"
    if not p.is_file():
        raise ScriptError(f"script file {p} does not exist", fix=fix)
    try:
        steps = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ScriptError(f"script file {p} is not valid YAML/JSON: {exc}", fix=f"correct {p}") from None
    if not isinstance(steps, list):
        raise ScriptError(f"script file {p} must hold a list of steps", fix=f"correct {p}")
    return steps


def estimate_tokens(text: str) -> int:
    """A plausible token count for usage metadata: ~4 characters per token, at least 1."""
    return max(1, (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN)


def _message_text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content)


class _Cursor:
    """Two independent positions in one script (plain and structured), safe across threads."""

    def __init__(self, steps: list[dict[str, Any]]) -> None:
        self.plain = [s for s in steps if "structured" not in s]
        self.structured = [s for s in steps if "structured" in s]
        self.next_plain = 0
        self.next_structured = 0
        self.tool_calls_made = 0
        self.lock = threading.Lock()

    def take(self, structured: bool, name: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            pool = self.structured if structured else self.plain
            index = self.next_structured if structured else self.next_plain
            if index >= len(pool):
                kind = "structured" if structured else "text/tool_calls"
                raise ScriptError(
                    f"scripted model {name!r} ran out of {kind} steps: call #{index + 1} asked for one, "
                    f"the script has {len(pool)}",
                    fix=f"add a {kind} step to {name}",
                )
            if structured:
                self.next_structured += 1
            else:
                self.next_plain += 1
            return index, pool[index]

    def new_call_id(self) -> str:
        with self.lock:
            self.tool_calls_made += 1
            return f"call_scripted_{self.tool_calls_made}"


class ScriptedChatModel(BaseChatModel):
    """A chat model that answers from a script; see the module docstring for the format."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    steps: list[dict[str, Any]]
    script_name: str = "<inline script>"
    model_name: str = "scripted"
    _cursor: _Cursor = PrivateAttr()

    def model_post_init(self, context: Any) -> None:
        self.steps = [_check_step(i, s, self.script_name) for i, s in enumerate(self.steps)]
        self._cursor = _Cursor(self.steps)

    @classmethod
    def from_file(cls, path: str | Path) -> ScriptedChatModel:
        p = Path(path).expanduser()
        return cls(steps=load_script(p), script_name=str(p), model_name=f"scripted:{p.name}")

    @property
    def _llm_type(self) -> str:
        return "scripted"

    @property
    def remaining(self) -> dict[str, int]:
        """Steps not yet consumed, per kind (lets a test assert the whole script was used)."""
        c = self._cursor
        return {"plain": len(c.plain) - c.next_plain, "structured": len(c.structured) - c.next_structured}

    # -- LangChain surface -------------------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Tools are recorded (they count toward input tokens) and scripted calls are checked against them."""
        formatted = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def with_structured_output(
        self, schema: dict[str, Any] | type, *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[LanguageModelInput, Any]:
        """Serve the next `structured` step, validated into `schema` (a pydantic class) or as a dict.

        A step that does not fit the schema raises, or with `include_raw=True` comes back as
        `parsing_error` (as with real models), so fallback paths can be scripted too."""
        bound = self.bind(_structured=True)

        def parse(message: AIMessage) -> Any:
            data = message.tool_calls[0]["args"]
            if not include_raw:
                return schema.model_validate(data) if _is_model(schema) else data
            try:  # like real models: with include_raw, a reply that does not fit is reported, not raised
                parsed = schema.model_validate(data) if _is_model(schema) else data
            except ValidationError as exc:
                return {"raw": message, "parsed": None, "parsing_error": exc}
            return {"raw": message, "parsed": parsed, "parsing_error": None}

        return bound | RunnableLambda(parse)

    # -- generation ----------------------------------------------------------------------------

    def _respond(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> tuple[dict[str, Any], AIMessage]:
        structured = bool(kwargs.get("_structured"))
        index, step = self._cursor.take(structured, self.script_name)
        self._check_expect(index, step, messages, structured)
        text = step.get("text", "")
        if structured:
            calls = [{"name": "structured_output", "args": step["structured"]}]
        else:
            calls = step.get("tool_calls", [])
            self._check_tools_known(calls, kwargs.get("tools"))
        tool_calls = [
            {"name": c["name"], "args": dict(c.get("args", {})), "id": self._cursor.new_call_id(), "type": "tool_call"}
            for c in calls
        ]
        prompt = "".join(_message_text(m) for m in messages) + json.dumps(kwargs.get("tools") or [])
        out_tokens = estimate_tokens(text + "".join(json.dumps(c["args"]) for c in tool_calls))
        in_tokens = estimate_tokens(prompt)
        usage = UsageMetadata(input_tokens=in_tokens, output_tokens=out_tokens, total_tokens=in_tokens + out_tokens)
        meta = {"model_name": self.model_name, "finish_reason": "tool_calls" if tool_calls else "stop"}
        return step, AIMessage(content=text, tool_calls=tool_calls, usage_metadata=usage, response_metadata=meta)

    def _check_expect(self, index: int, step: dict[str, Any], messages: list[BaseMessage], structured: bool) -> None:
        expected = step.get("expect")
        if expected is None:
            return
        last = next((m for m in reversed(messages) if isinstance(m, HumanMessage | ToolMessage)), None)
        seen = _message_text(last) if last is not None else ""
        if expected not in seen:
            kind = "structured" if structured else "text/tool_calls"
            raise ScriptError(
                f"scripted model {self.script_name!r}, {kind} step {index + 1}: expected the last "
                f"human/tool message to contain {expected!r}, got {seen[:300]!r}",
                fix="fix the script's 'expect' or the behaviour under test",
            )

    def _check_tools_known(self, calls: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> None:
        if not tools:
            return
        names = {t["function"]["name"] for t in tools}
        for c in calls:
            if c["name"] not in names:
                raise ScriptError(
                    f"scripted model {self.script_name!r} calls tool {c['name']!r}, which is not bound "
                    f"(bound: {sorted(names)})",
                    fix="use a bound tool name in the script",
                )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        step, message = self._respond(messages, kwargs)
        time.sleep(float(step.get("delay_s", 0)))
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        step, message = self._respond(messages, kwargs)
        await asyncio.sleep(float(step.get("delay_s", 0)))
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        step, message = self._respond(messages, kwargs)
        time.sleep(float(step.get("delay_s", 0)))
        for chunk in _chunks(message):
            if run_manager and isinstance(chunk.message.content, str) and chunk.message.content:
                run_manager.on_llm_new_token(chunk.message.content, chunk=chunk)
            yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        step, message = self._respond(messages, kwargs)
        await asyncio.sleep(float(step.get("delay_s", 0)))
        for chunk in _chunks(message):
            if run_manager and isinstance(chunk.message.content, str) and chunk.message.content:
                await run_manager.on_llm_new_token(chunk.message.content, chunk=chunk)
            yield chunk
            await asyncio.sleep(0)  # let consumers (and cancellation) in between tokens


def _is_model(schema: Any) -> bool:
    return isinstance(schema, type) and issubclass(schema, BaseModel)


def _chunks(message: AIMessage) -> Iterator[ChatGenerationChunk]:
    """The message as a stream: one chunk per word of text, then tool calls + usage in a last chunk."""
    text = message.content if isinstance(message.content, str) else ""
    for piece in _WORD.findall(text):
        yield ChatGenerationChunk(message=AIMessageChunk(content=piece, id=message.id))
    tool_call_chunks = [
        {"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i, "type": "tool_call_chunk"}
        for i, c in enumerate(message.tool_calls)
    ]
    yield ChatGenerationChunk(
        message=AIMessageChunk(
            content="",
            id=message.id,
            tool_call_chunks=tool_call_chunks,
            usage_metadata=message.usage_metadata,
            response_metadata=message.response_metadata,
            chunk_position="last",
        )
    )
