"""The no-model tier: oracle replay of every gold call over the real servers, then the verifier check."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sleuth.config import Settings
from sleuth.errors import SleuthError
from sleuth.evaluation.cases import Case
from sleuth.evaluation.oracle import Caller, CaseReplay, replay_all
from sleuth.evaluation.verifier_check import VerifierReport, check_replays


@dataclass
class OfflineResult:
    replays: list[CaseReplay]
    verifier: VerifierReport

    def oracle_dict(self) -> dict[str, Any]:
        failures = [
            {"case": r.case.id, "calls": [c.describe() for c in r.calls if not c.ok]} for r in self.replays if not r.ok
        ]
        n = len(self.replays)
        return {
            "cases": n,
            "passed": n - len(failures),
            "pass_rate": (n - len(failures)) / n if n else 1.0,
            "failures": failures,
        }

    def to_dict(self) -> dict[str, Any]:
        return {"oracle": self.oracle_dict(), "verifier": self.verifier.to_dict()}


OWN_SERVERS = ("docs", "sql", "files")


@asynccontextmanager
async def open_bridge(settings: Settings) -> AsyncIterator[Any]:
    """One held bridge to the workspace's servers (stdio subprocesses, as the agent starts them)."""
    from agent.mcp_bridge import MCPBridge, sleuth_server_configs

    bridge = MCPBridge(
        sleuth_server_configs(settings), call_timeout_s=settings.agent.tool_timeout_s, stderr_dir=settings.logs_dir
    )
    async with bridge:
        broken = [msg for name, msg in bridge.problems.items() if name in OWN_SERVERS]
        if broken:
            raise SleuthError("; ".join(broken), fix="run `sleuth doctor` in the workspace")
        yield bridge


async def run_offline(
    bridge: Caller, cases: Sequence[Case], on_case: Callable[[CaseReplay], None] | None = None
) -> OfflineResult:
    """Replay every case over the held bridge, then run the verifier check on the gold answers."""
    replays = await replay_all(bridge, cases, on_case)
    return OfflineResult(replays, check_replays(replays))
