"""The import point for the MCP bridge: one held session per MCP server, tools for LangChain.

Usage:

    async with MCPBridge(sleuth_server_configs(settings)) as bridge:
        outcome = await bridge.call("sql", "run_query", {"sql": "SELECT 1"})
        tools = bridge.langchain_tools()
"""

from agent.bridge.configs import ServerConfig, sleuth_server_configs
from agent.bridge.core import BridgedTool, MCPBridge, ServerStatus
from agent.bridge.outcome import ToolOutcome

__all__ = ["BridgedTool", "MCPBridge", "ServerConfig", "ServerStatus", "ToolOutcome", "sleuth_server_configs"]
