"""Sleuth: an agentic research assistant over MCP servers (docs, SQL, files)."""

__version__ = "0.1.0"
