"""How to reach each MCP server: Sleuth's own three (stdio subprocesses) plus configured third-party ones."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from sleuth.config import Settings
from sleuth.mcp_config import SERVERS, sleuth_executable


@dataclass
class ServerConfig:
    """One server: a stdio `command` (+ `args`, `env`) or a Streamable HTTP `url`."""

    name: str
    command: str | None = None
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.command is None) == (self.url is None):
            raise ValueError(f"server {self.name!r}: give exactly one of command (stdio) or url (HTTP)")

    @property
    def transport(self) -> str:
        return "http" if self.url else "stdio"


def _sleuth_env() -> dict[str, str]:
    """The stdio client starts servers with a minimal environment; pass our own settings through."""
    return {k: v for k, v in os.environ.items() if k.startswith("SLEUTH_")}


def sleuth_server_configs(settings: Settings) -> list[ServerConfig]:
    """`sleuth serve NAME --workspace WS` for docs, sql and files, then `settings.agent.servers`."""
    exe = sleuth_executable()
    ws = str(settings.workspace)
    env = _sleuth_env()
    own = [ServerConfig(name, command=exe, args=["serve", name, "--workspace", ws], env=env) for name in SERVERS]
    extra = [
        ServerConfig(s.name, command=s.command, args=list(s.args), env=dict(s.env), url=s.url)
        for s in settings.agent.servers
    ]
    return own + extra
