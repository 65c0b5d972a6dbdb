"""The eval report: per-category summaries with bootstrap intervals, baseline comparison, JSON and a table.

JSON shape (`RUN.json`, version 1):

    {"version": 1,
     "meta": {"set", "workspace", "model", "started_at", "elapsed_s", "cases", "offline_only"},
     "offline": {"oracle": {"cases", "passed", "pass_rate", "failures": [{"case", "calls"}]},
                 "verifier": {"gold_answers", "false_alarms", "false_alarm_rate", "corrupted_answers",
                              "detected", "detection_rate", "by_corruption", ...}},
     "agent": null | {"summary": {CATEGORY: {METRIC: {"mean", "low", "high", "n"}}}, "cases": [CaseRun…]},
     "benchmarks": {"retrieval"?: {"ndcg@10", "recall@100", "mrr@10", …} | {"skipped"|"error": why},
                    "sql_oracle"?: {"questions", "questions_run", "run_rate", …} | {"skipped"|"error": why}},
     "regressions": [{"where", "metric", "current", "baseline", "gated"}]}

CATEGORY is "all" or a case tag (a case counts in every tag it carries). A regression is a metric
that moved beyond the baseline's 95 % bootstrap interval in the bad direction (`stats.is_regression`);
offline numbers are deterministic, so any move in the bad direction counts. Only `gated` regressions
fail the run: the quality metrics and the offline tier. Latency, tokens, cost and steps are reported
(and flagged) but do not fail it, because a shared or rate-limited machine makes them noisy.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sleuth.evaluation.agent_run import CaseRun
from sleuth.evaluation.stats import Interval, bootstrap_ci, is_regression

REPORT_VERSION = 1
QUALITY = (
    "passed", "fact_accuracy", "citation_validity", "facts_cited", "source_recall", "tool_precision", "tool_recall",
)  # fmt: skip
COST = ("steps", "corrections", "latency_s", "tokens", "cost_usd")
GATED = frozenset({"passed", "fact_accuracy", "citation_validity", "facts_cited", "source_recall", "tool_recall"})


def summarize(runs: Sequence[CaseRun]) -> dict[str, dict[str, dict[str, float]]]:
    """Mean and 95 % bootstrap interval of every metric, overall and per tag."""
    groups: dict[str, list[CaseRun]] = {"all": list(runs)}
    for r in runs:
        for tag in r.tags:
            groups.setdefault(tag, []).append(r)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name, members in groups.items():
        out[name] = {}
        for metric in (*QUALITY, *COST):
            ci = bootstrap_ci([float(getattr(r, metric)) for r in members])
            out[name][metric] = {"mean": ci.mean, "low": ci.low, "high": ci.high, "n": ci.n}
    return out


def _interval(d: dict[str, Any]) -> Interval | None:
    try:
        values = [float(d["mean"]), float(d["low"]), float(d["high"])]
        n = int(d["n"])
    except (KeyError, TypeError, ValueError):
        return None
    if any(math.isnan(v) for v in values):
        return None
    return Interval(*values, n)


def compare(current: dict[str, Any], baseline: dict[str, Any]) -> list[dict[str, Any]]:
    """Regressions of `current` against `baseline` (both RUN.json dicts)."""
    found: list[dict[str, Any]] = []
    cur_off, base_off = current.get("offline") or {}, baseline.get("offline") or {}
    for section, metric, higher in (
        ("oracle", "pass_rate", True),
        ("verifier", "detection_rate", True),
        ("verifier", "false_alarm_rate", False),
    ):
        now = (cur_off.get(section) or {}).get(metric)
        then = (base_off.get(section) or {}).get(metric)
        if now is None or then is None:
            continue
        if (now < then) if higher else (now > then):
            found.append(
                {"where": f"offline.{section}", "metric": metric, "current": now, "baseline": then, "gated": True}
            )
    cur_b, base_b = current.get("benchmarks") or {}, baseline.get("benchmarks") or {}
    for section, metric in (("retrieval", "ndcg@10"), ("retrieval", "recall@100"), ("sql_oracle", "run_rate")):
        now = (cur_b.get(section) or {}).get(metric)
        then = (base_b.get(section) or {}).get(metric)
        if isinstance(now, int | float) and isinstance(then, int | float) and now < then:
            found.append({"where": f"benchmarks.{section}", "metric": metric, "current": now, "baseline": then,
                          "gated": True})  # fmt: skip
    cur_sum = (current.get("agent") or {}).get("summary") or {}
    base_sum = (baseline.get("agent") or {}).get("summary") or {}
    for category, metrics in cur_sum.items():
        for metric, stats in metrics.items():
            now_ci = _interval(stats)
            then_ci = _interval((base_sum.get(category) or {}).get(metric) or {})
            if now_ci is None or then_ci is None:
                continue
            if is_regression(now_ci, then_ci, higher_is_better=metric in QUALITY):
                found.append(
                    {
                        "where": category,
                        "metric": metric,
                        "current": now_ci.mean,
                        "baseline": {"mean": then_ci.mean, "low": then_ci.low, "high": then_ci.high},
                        "gated": metric in GATED,
                    }
                )
    return found


def load_baseline(path: Path) -> dict[str, Any]:
    from sleuth.errors import SleuthError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SleuthError(f"baseline {path} not found", fix="pass the RUN.json of an earlier `sleuth eval`") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SleuthError(f"baseline {path} is not a JSON report: {exc}", fix="pass an earlier RUN.json") from None
    if not isinstance(data, dict) or data.get("version") != REPORT_VERSION:
        raise SleuthError(
            f"baseline {path} is not a version-{REPORT_VERSION} sleuth eval report",
            fix="re-run `sleuth eval --out RUN.json` with this version to make a new baseline",
        )
    return data


def write_json(report: dict[str, Any], path: Path) -> None:
    """Write atomically: a crash never leaves half a report that a later --baseline would misread."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


# ------------------------------------------------------------------------------------ terminal


def _pct(x: float) -> str:
    return f"{100 * x:.0f}"


def render(report: dict[str, Any], console: Console) -> None:
    """The offline tier in two lines, then one row per category, then regressions."""
    off = report.get("offline") or {}
    oracle, ver = off.get("oracle"), off.get("verifier")
    if oracle:
        console.print(f"[bold]oracle replay[/]: {oracle['passed']}/{oracle['cases']} cases return their expected facts")
        for f in oracle["failures"][:10]:
            console.print(f"  [red]✗[/] {escape(f['case'])}: {escape('; '.join(f['calls']))}")
    if ver:
        console.print(
            f"[bold]verifier[/]: detects {ver['detected']}/{ver['corrupted_answers']} corrupted answers "
            f"({_pct(ver['detection_rate'])}%), false alarms on {ver['false_alarms']}/{ver['gold_answers']} "
            f"gold answers ({_pct(ver['false_alarm_rate'])}%)"
        )
    agent = report.get("agent")
    if agent:
        summary = agent["summary"]
        order = ["all", *sorted(k for k in summary if k != "all")]
        quality = Table(
            title="quality (% of cases; pass with 95% CI)", box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False
        )
        for col in ("category", "n", "pass", "facts", "cite", "cited", "src", "toolP", "toolR"):
            quality.add_column(col, justify="left" if col == "category" else "right", no_wrap=True)
        cost = Table(title="cost (mean per case)", box=box.SIMPLE_HEAD, header_style="bold")
        for col in ("category", "steps", "corrections", "latency s", "tokens", "cost $"):
            cost.add_column(col, justify="left" if col == "category" else "right")
        for cat in order:
            m, label = summary[cat], escape(cat)  # categories come from the golden set
            p = m["passed"]
            quality.add_row(
                label, str(p["n"]), f"{_pct(p['mean'])} ({_pct(p['low'])}-{_pct(p['high'])})",
                *(_pct(m[k]["mean"]) for k in QUALITY[1:]),
            )  # fmt: skip
            cost.add_row(
                label, f"{m['steps']['mean']:.1f}", f"{m['corrections']['mean']:.2f}", f"{m['latency_s']['mean']:.1f}",
                f"{m['tokens']['mean']:.0f}", f"{m['cost_usd']['mean']:.4f}",
            )  # fmt: skip
        console.print(quality)
        console.print(cost)
        errors = [c for c in agent["cases"] if c.get("error")]
        for c in errors[:10]:
            console.print(f"  [red]error[/] {escape(c['id'])}: {escape(c['error'])}")
    _render_benchmarks(report.get("benchmarks") or {}, console)
    for r in report.get("regressions") or []:
        tag = "[red]REGRESSION[/]" if r["gated"] else "[yellow]worse[/]"
        base = r["baseline"]["mean"] if isinstance(r["baseline"], dict) else r["baseline"]
        console.print(f"{tag} {escape(r['where'])} {escape(r['metric'])}: {r['current']:.4g} (baseline {base:.4g})")


def _render_benchmarks(benchmarks: dict[str, Any], console: Console) -> None:
    for name, b in benchmarks.items():
        title = {"retrieval": "retrieval (SciFact, BM25)", "sql_oracle": "SQL oracle (defog)"}.get(name, name)
        if "skipped" in b or "error" in b:
            console.print(f"[bold]{title}[/]: [yellow]{escape(str(b.get('skipped') or b.get('error')))}[/]")
        elif name == "retrieval":
            console.print(
                f"[bold]{title}[/]: nDCG@10 {b['ndcg@10']:.4f}, recall@100 {b['recall@100']:.4f}, "
                f"MRR@10 {b['mrr@10']:.4f} over {b['queries']} queries"
            )
        elif name == "sql_oracle":
            console.print(
                f"[bold]{title}[/]: {b['questions_run']}/{b['questions']} gold questions return the same "
                "result through run_query as in DuckDB directly"
            )
