"""`sleuth eval`: the offline tier, then (unless --offline) every case through the agent; report, gate.

Exit codes: 0 = done and no gated regression; 1 = the oracle replay failed (the golden set and the
workspace disagree) or a gated metric regressed against --baseline; 2 = usage error (SleuthError,
printed by the CLI).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sleuth.config import Settings
from sleuth.errors import SleuthError
from sleuth.evaluation.agent_run import NO_MODEL_FIX, CaseRun, run_cases
from sleuth.evaluation.benchmarks import run_retrieval, run_sql_oracle
from sleuth.evaluation.cases import Case, load_cases
from sleuth.evaluation.offline import open_bridge, run_offline
from sleuth.evaluation.report import REPORT_VERSION, compare, load_baseline, render, summarize, write_json

DEFAULT_SET = "golden.yaml"


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[case]}"),
        console=console,
        transient=True,
    )


async def _run(
    settings: Settings, cases: list[Case], offline: bool, benches: tuple[bool, bool], console: Console
) -> dict[str, Any]:
    runs: list[CaseRun] | None = None
    with _progress(console) as progress:
        async with open_bridge(settings) as bridge:  # the servers start once for both tiers
            task = progress.add_task("oracle replay", total=len(cases), case="")
            off = await run_offline(bridge, cases, lambda r: progress.update(task, advance=1, case=r.case.id))
            if not offline:
                task = progress.add_task("agent", total=len(cases), case="")
                runs = await run_cases(
                    settings, cases, lambda r: progress.update(task, advance=1, case=r.id), bridge=bridge
                )
        benchmarks: dict[str, Any] = {}
        if benches[0]:
            progress.add_task("retrieval benchmark (SciFact)", total=None, case="")
            benchmarks["retrieval"] = await asyncio.to_thread(run_retrieval)
        if benches[1]:
            progress.add_task("SQL oracle (defog)", total=None, case="")
            benchmarks["sql_oracle"] = await run_sql_oracle()
    return {
        "offline": off.to_dict(),
        "agent": None if runs is None else {"summary": summarize(runs), "cases": [r.to_dict() for r in runs]},
        "benchmarks": benchmarks,
    }


def run_eval(
    settings: Settings,
    *,
    set_file: Path | None = None,
    baseline: Path | None = None,
    out: Path | None = None,
    offline: bool = False,
    retrieval: bool = False,
    sql_oracle: bool = False,
    console: Console | None = None,
) -> int:
    """Run the golden set (and the opted-in benchmarks), print tables on stderr, write RUN.json.

    Returns the exit code: non-zero on an oracle failure or a gated regression against `baseline`."""
    console = console or Console(stderr=True)
    path = set_file or settings.workspace / DEFAULT_SET
    cases = load_cases(path)
    if not cases:
        raise SleuthError(f"{path} holds no cases", fix="add cases (format: docs/evaluation.md)")
    base = load_baseline(baseline) if baseline is not None else None  # fail fast, before the long run
    if not offline:
        from agent.models import model_problem

        problem = model_problem(settings.agent, workspace=settings.workspace)
        if problem is not None:
            raise SleuthError(f"cannot run the agent: {problem}", fix=NO_MODEL_FIX)
    started = time.perf_counter()
    stamp = datetime.now(UTC)
    body = asyncio.run(_run(settings, cases, offline, (retrieval, sql_oracle), console))
    report: dict[str, Any] = {
        "version": REPORT_VERSION,
        "meta": {
            "set": str(path),
            "workspace": str(settings.workspace),
            "model": None if offline else settings.agent.model,
            "started_at": stamp.isoformat(timespec="seconds"),
            "elapsed_s": round(time.perf_counter() - started, 1),
            "cases": len(cases),
            "offline_only": offline,
        },
        **body,
        "regressions": [],
    }
    if base is not None:
        report["regressions"] = compare(report, base)
    target = out or settings.state_dir / "eval" / f"run-{stamp:%Y%m%d-%H%M%S}.json"
    write_json(report, target)
    render(report, console)
    console.print(f"report: {escape(str(target))}")
    oracle_failed = report["offline"]["oracle"]["passed"] < report["offline"]["oracle"]["cases"]
    gated = [r for r in report["regressions"] if r["gated"]]
    if oracle_failed:
        console.print("[red]the oracle replay failed: the golden set and the workspace disagree[/]")
    if gated:
        console.print(f"[red]{len(gated)} regression(s) beyond the baseline's interval[/]")
    return 1 if oracle_failed or gated else 0
