"""A deliberately non-conformant MCP server for the runner's own test: its one tool has no
description, which the suite's tools-list scenario must flag. Served through the shared
`run_server`, exactly as `sleuth serve` does. Usage: python standin_server.py PORT
"""

from __future__ import annotations

import sys

from mcp.server.mcpserver import MCPServer

from mcp_servers.common.transport import run_server

server = MCPServer("conformance-standin")


@server.tool()
def echo(text: str) -> str:  # no docstring on purpose: an empty tool description
    return text


if __name__ == "__main__":
    run_server(server, "http", "127.0.0.1", int(sys.argv[1]))
