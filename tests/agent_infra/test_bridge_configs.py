"""How the bridge is told to reach Sleuth's own servers and configured third-party ones."""

from __future__ import annotations

import pytest

from agent.mcp_bridge import ServerConfig, sleuth_server_configs
from sleuth.config import ServerSpec, Settings


def test_sleuth_server_configs(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SLEUTH_SQL__TIMEOUT_S", "3")
    settings = Settings(
        workspace=tmp_path,
        agent={"servers": [ServerSpec(name="wiki", url="http://127.0.0.1:9/mcp"), {"name": "x", "command": "xs"}]},
    )
    configs = sleuth_server_configs(settings)
    assert [c.name for c in configs] == ["docs", "sql", "files", "wiki", "x"]
    docs = configs[0]
    assert docs.args == ["serve", "docs", "--workspace", str(tmp_path)]
    assert docs.command.endswith("sleuth") and docs.env["SLEUTH_SQL__TIMEOUT_S"] == "3"
    assert configs[3].url == "http://127.0.0.1:9/mcp" and configs[3].transport == "http"
    with pytest.raises(ValueError, match="exactly one of command"):
        ServerConfig("both", command="a", url="http://b")
