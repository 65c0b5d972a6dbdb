"""Pieces every Sleuth MCP server shares: transport running and HTTP hardening."""
