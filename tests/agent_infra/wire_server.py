"""A local HTTP server that speaks the Anthropic Messages and OpenAI chat-completions wire formats.

The real SDKs (through ChatAnthropic / ChatOpenAI) talk to it over 127.0.0.1, so the provider
tests exercise real request building, SSE parsing, tool-call assembly, usage and our retries.
Each test queues replies; every request body and header set is recorded.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from sleuth_testkit import free_port
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass
class Reply:
    """One canned model reply: text pieces (streamed one per delta), tool calls, usage."""

    text: list[str] = field(default_factory=list)
    tool_calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (id, name, input)
    input_tokens: int = 21
    output_tokens: int = 9


@dataclass
class Failure:
    status: int
    headers: dict[str, str] = field(default_factory=dict)


def _sse(event: str | None, data: Any) -> bytes:
    head = f"event: {event}\n" if event else ""
    payload = data if isinstance(data, str) else json.dumps(data)
    return f"{head}data: {payload}\n\n".encode()


def _json_pieces(obj: dict[str, Any]) -> list[str]:
    """Split a JSON document into ~3 parts, the way providers stream tool arguments."""
    raw = json.dumps(obj)
    step = max(1, len(raw) // 3)
    return [raw[i : i + step] for i in range(0, len(raw), step)]


class AnthropicFormat:
    @staticmethod
    def message(r: Reply, model: str) -> dict[str, Any]:
        content: list[dict[str, Any]] = [{"type": "text", "text": "".join(r.text)}] if r.text else []
        content += [{"type": "tool_use", "id": i, "name": n, "input": a} for i, n, a in r.tool_calls]
        return {
            "id": "msg_wire_1",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": "tool_use" if r.tool_calls else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": r.input_tokens, "output_tokens": r.output_tokens},
        }

    @staticmethod
    def events(r: Reply, model: str) -> list[bytes]:
        start = AnthropicFormat.message(Reply(input_tokens=r.input_tokens, output_tokens=1), model)
        out = [_sse("message_start", {"type": "message_start", "message": start})]
        index = 0
        if r.text:
            block = {"type": "text", "text": ""}
            out.append(_sse("content_block_start", {"type": "content_block_start", "index": 0, "content_block": block}))
            for piece in r.text:
                delta = {"type": "text_delta", "text": piece}
                out.append(_sse("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}))
            out.append(_sse("content_block_stop", {"type": "content_block_stop", "index": 0}))
            index = 1
        for call_id, name, args in r.tool_calls:
            block = {"type": "tool_use", "id": call_id, "name": name, "input": {}}
            out.append(
                _sse("content_block_start", {"type": "content_block_start", "index": index, "content_block": block})
            )
            for part in _json_pieces(args):
                delta = {"type": "input_json_delta", "partial_json": part}
                out.append(_sse("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}))
            out.append(_sse("content_block_stop", {"type": "content_block_stop", "index": index}))
            index += 1
        stop = "tool_use" if r.tool_calls else "end_turn"
        out.append(
            _sse(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {  # cumulative, as the API sends it
                        "input_tokens": r.input_tokens,
                        "cache_creation_input_tokens": 0,
                        "cache_read_input_tokens": 0,
                        "output_tokens": r.output_tokens,
                    },
                },
            )
        )
        out.append(_sse("message_stop", {"type": "message_stop"}))
        return out

    @staticmethod
    def error(status: int) -> dict[str, Any]:
        kind = {429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": f"wire server says {status}"}}


class OpenAIFormat:
    @staticmethod
    def completion(r: Reply, model: str) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": "".join(r.text) or None}
        if r.tool_calls:
            message["tool_calls"] = [
                {"id": i, "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
                for i, n, a in r.tool_calls
            ]
        return {
            "id": "chatcmpl-wire",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if r.tool_calls else "stop"}],
            "usage": OpenAIFormat.usage(r),
        }

    @staticmethod
    def usage(r: Reply) -> dict[str, int]:
        return {
            "prompt_tokens": r.input_tokens,
            "completion_tokens": r.output_tokens,
            "total_tokens": r.input_tokens + r.output_tokens,
        }

    @staticmethod
    def events(r: Reply, model: str, include_usage: bool) -> list[bytes]:
        head = {"id": "chatcmpl-wire", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model}

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            return _sse(None, {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

        out = [chunk({"role": "assistant", "content": ""})]
        out += [chunk({"content": piece}) for piece in r.text]
        for n, (call_id, name, args) in enumerate(r.tool_calls):
            first = {"index": n, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}
            out.append(chunk({"tool_calls": [first]}))
            out += [chunk({"tool_calls": [{"index": n, "function": {"arguments": p}}]}) for p in _json_pieces(args)]
        out.append(chunk({}, "tool_calls" if r.tool_calls else "stop"))
        if include_usage:
            out.append(_sse(None, {**head, "choices": [], "usage": OpenAIFormat.usage(r)}))
        out.append(_sse(None, "[DONE]"))
        return out

    @staticmethod
    def error(status: int) -> dict[str, Any]:
        return {"error": {"message": f"wire server says {status}", "type": "server_error", "code": None}}


class WireServer:
    """Start with `start()`; queue `Reply`/`Failure` objects with `push`; read `requests` afterwards."""

    def __init__(self) -> None:
        self.queue: list[Reply | Failure] = []
        self.requests: list[dict[str, Any]] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = Starlette(
            routes=[
                Route("/v1/messages", self._anthropic, methods=["POST"]),
                Route("/v1/chat/completions", self._openai, methods=["POST"]),
            ]
        )
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def push(self, *replies: Reply | Failure) -> None:
        self.queue.extend(replies)

    def start(self) -> WireServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("wire server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)

    async def _next(self, request: Request) -> tuple[dict[str, Any], Reply | Failure]:
        body = await request.json()
        self.requests.append({"path": request.url.path, "headers": dict(request.headers), "body": body})
        if not self.queue:
            return body, Failure(599)
        return body, self.queue.pop(0)

    async def _anthropic(self, request: Request) -> Response:
        body, reply = await self._next(request)
        if isinstance(reply, Failure):
            return JSONResponse(AnthropicFormat.error(reply.status), reply.status, headers=reply.headers)
        if body.get("stream"):
            return StreamingResponse(
                _drip(AnthropicFormat.events(reply, body["model"])), media_type="text/event-stream"
            )
        return JSONResponse(AnthropicFormat.message(reply, body["model"]))

    async def _openai(self, request: Request) -> Response:
        body, reply = await self._next(request)
        if isinstance(reply, Failure):
            return JSONResponse(OpenAIFormat.error(reply.status), reply.status, headers=reply.headers)
        if body.get("stream"):
            usage = bool((body.get("stream_options") or {}).get("include_usage"))
            events = OpenAIFormat.events(reply, body["model"], usage)
            return StreamingResponse(_drip(events), media_type="text/event-stream")
        return JSONResponse(OpenAIFormat.completion(reply, body["model"]))


async def _drip(events: list[bytes]) -> AsyncIterator[bytes]:
    for e in events:
        yield e
        await asyncio.sleep(0.005)  # separate network writes, so the client sees a real stream
