"""A stdio MCP server whose tool writes to stdout behind the protocol's back (run as a script).

`print()` and a child process both write to fd 1; neither may reach the wire.
"""

from __future__ import annotations

import subprocess

from mcp.server.mcpserver import MCPServer

from mcp_servers.common.transport import run_server

server: MCPServer = MCPServer(name="noisy")


@server.tool()
def noisy(word: str) -> str:
    """Echo `word`, after writing stray text to stdout from Python and from a child process."""
    print("stray text from print()")
    subprocess.run(["sh", "-c", "echo stray text from a child"], check=True)
    return word.upper()


@server.tool()
def undecodable_name() -> str:
    """A name as os.listdir gives it for bytes that are not UTF-8: JSON cannot carry it as it is."""
    return "bad\udcffname.txt"


if __name__ == "__main__":
    run_server(server, "stdio")
