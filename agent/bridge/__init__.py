"""The MCP bridge (see agent/bridge/core.py); import it from `agent.mcp_bridge`."""
