"""requery: turn a failed reflection into concrete corrective instructions, then back to act.

The strategies are chosen deterministically from the problems and the turn's tool results (a
failed SQL query gets "fix the SQL using this error", an empty search gets "widen it or switch
source"), so a correction is never just "try again". The instruction is a HumanMessage named
`sleuth_requery`; the answer node removes it with the rest of the turn's working messages.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig

from agent import events
from agent.nodes.common import Deps, emit
from agent.nodes.plan import REQUERY_NAME
from agent.prompts import load_prompt
from agent.state import SleuthState
from agent.verify import Evidence

SOURCE_ORDER = ("docs", "sql", "files")


def strategies(state: SleuthState, problems: list[str], servers: list[str]) -> list[str]:
    """Concrete next moves for these problems, most specific first."""
    out: list[str] = []
    kinds = {p.split(":", 1)[0] for p in problems}
    turn_errors = [m for m in _turn_tool_messages(state) if m.status == "error"]
    sql_errors = [m for m in turn_errors if (m.name or "").endswith("run_query")]
    if sql_errors:
        out.append(
            "Fix the SQL using the error message of the failed query (check table and column names "
            "with describe_table), then run it again."
        )
    if kinds & {"unknown_citation", "citation_not_retrieved"}:
        out.append(
            "Cite only ids that appear in tool results of this turn; fetch a passage or read the file "
            "lines before citing them."
        )
    if kinds & {"number_not_in_evidence", "unsupported_claim"}:
        out.append(
            "Re-check every number and claim against the tool results; query or search for the exact "
            "figure instead of estimating it, or drop the claim."
        )
    if kinds & {"uncited_claim", "unsupported_sentence"}:
        out.append("Give every factual sentence a citation to the result that supports it, or remove it.")
    ev = Evidence.from_dict(state.get("evidence"))
    used = {s for s in (state.get("plan") or {}).get("sources", [])}
    if "no_evidence" in kinds or "missing_part" in kinds or ev.is_empty():
        others = [s for s in SOURCE_ORDER if s in servers and s not in used] or [s for s in servers if s != "docs"]
        out.append("Widen the search: rephrase the query with other words (synonyms, fewer terms, a larger k).")
        if others:
            out.append(f"Switch or add a source: try {' and '.join(others)} as well.")
    return out or ["Look for better evidence with a rewritten query, then answer again."]


def _turn_tool_messages(state: SleuthState) -> list[ToolMessage]:
    msgs = state.get("messages", [])
    last_user = max(
        (i for i, m in enumerate(msgs) if isinstance(m, HumanMessage) and m.name != REQUERY_NAME), default=0
    )
    return [m for m in msgs[last_user:] if isinstance(m, ToolMessage)]


def make_requery(deps: Deps):
    prompt = load_prompt("requery")

    async def requery(state: SleuthState, config: RunnableConfig) -> dict[str, Any]:
        round_ = state.get("corrections", 0) + 1
        problems = (state.get("verdict") or {}).get("problems", [])
        moves = strategies(state, problems, deps.toolbox.servers())
        emit(config, state, events.NodeStarted, node="requery", detail=moves[0])
        text = prompt.render(
            round=round_,
            max_rounds=deps.settings.agent.max_corrections,
            problems="\n".join(f"- {p}" for p in problems),
            strategies="\n".join(f"- {m}" for m in moves),
        )
        return {
            "messages": [HumanMessage(text, name=REQUERY_NAME)],
            "corrections": round_,
            "draft": "",
            "prompts": {**state.get("prompts", {}), "requery": prompt.id},
            "_step": {"round": round_, "strategies": moves},
        }

    return requery
