"""Run an MCPServer over stdio or Streamable HTTP, the same way for all three servers.

HTTP binds to loopback by default and turns DNS-rebinding protection on (Host/Origin checked
against the bound address), so a browser page cannot drive a local server. The SDK's OpenTelemetry
middleware is kept only when a tracer provider is configured.
"""

from __future__ import annotations

from typing import Any, Literal

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from opentelemetry import trace

from mcp_servers.common.stdio import run_stdio

Transport = Literal["stdio", "http"]


def http_security(host: str, port: int) -> TransportSecuritySettings:
    """Allowed Host/Origin values for a server bound at host:port (loopback names included)."""
    names = {host, "127.0.0.1", "localhost", "[::1]"} if host in {"127.0.0.1", "localhost", "::1"} else {host}
    hosts = [f"{n}:{port}" for n in sorted(names)] + sorted(names)
    origins = [f"http://{n}:{port}" for n in sorted(names)] + [f"https://{n}:{port}" for n in sorted(names)]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def drop_untraced_spans(server: MCPServer[Any]) -> None:
    """Remove the SDK's OpenTelemetry middleware when no tracer provider is configured.

    Without one its spans record nothing, yet making them costs ~10 us a request, ~55 us when the
    request arrives after the server idled (as every agent's call does). A server started under
    OpenTelemetry (`opentelemetry-instrument sleuth serve ...`) has a provider by now and keeps them.
    Matched by class name: the class lives in a private SDK module.
    """
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        server.middleware[:] = [m for m in server.middleware if type(m).__name__ != "OpenTelemetryMiddleware"]


def run_server(server: MCPServer[Any], transport: Transport, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until stopped. stdio writes only protocol frames to stdout."""
    drop_untraced_spans(server)
    if transport == "stdio":
        anyio.run(run_stdio, server)
    elif transport == "http":
        server.run("streamable-http", host=host, port=port, transport_security=http_security(host, port))
    else:  # pragma: no cover - the CLI restricts the choice
        raise ValueError(f"unknown transport {transport!r}")
