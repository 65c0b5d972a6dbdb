"""Sleuth's three MCP servers (docs, sql, files), each usable on its own from any MCP host."""
