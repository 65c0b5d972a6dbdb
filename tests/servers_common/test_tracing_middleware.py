"""The SDK's OpenTelemetry middleware is dropped when nothing would record its spans, kept otherwise."""

from __future__ import annotations

import pytest
from mcp.server.mcpserver import MCPServer
from opentelemetry import trace

from mcp_servers.common.transport import drop_untraced_spans


def _names(server: MCPServer) -> list[str]:
    return [type(m).__name__ for m in server.middleware]


def test_no_tracer_provider_drops_only_the_tracing_middleware() -> None:
    server = MCPServer(name="t")
    before = _names(server)
    assert "OpenTelemetryMiddleware" in before  # the SDK still ships it on by default
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    drop_untraced_spans(server)
    assert _names(server) == [n for n in before if n != "OpenTelemetryMiddleware"]
    assert _names(server)  # the rest of the chain (request state) stays


def test_a_configured_tracer_provider_keeps_the_spans(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: trace.NoOpTracerProvider())
    server = MCPServer(name="t")
    before = _names(server)
    drop_untraced_spans(server)
    assert _names(server) == before
