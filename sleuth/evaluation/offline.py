"""The no-model tier: oracle replay of every gold call over the real servers, then the verifier check."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sleuth.config import Settings
from sleuth.errors import SleuthError
from sleuth.evaluation.cases import Case
from sleuth.evaluation.oracle import CaseReplay, replay_all
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


async def run_offline(
    settings: Settings, cases: Sequence[Case], on_case: Callable[[CaseReplay], None] | None = None
) -> OfflineResult:
    """Start Sleuth's servers once (stdio subprocesses, as the agent does) and replay every case."""
    from agent.mcp_bridge import MCPBridge, sleuth_server_configs

    configs = [c for c in sleuth_server_configs(settings) if c.name in {"docs", "sql", "files"}]
    async with MCPBridge(configs, call_timeout_s=settings.agent.tool_timeout_s, stderr_dir=settings.logs_dir) as bridge:
        if bridge.problems:
            raise SleuthError("; ".join(bridge.problems.values()), fix="run `sleuth doctor` in the workspace")
        replays = await replay_all(bridge, cases, on_case)
    return OfflineResult(replays, check_replays(replays))
