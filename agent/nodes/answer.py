"""answer: the verified draft, with refs turned into numbered footnotes, streamed to the user.

Only a draft that passed reflection is shown as an answer. When corrections or budgets ran out,
Sleuth says plainly that the evidence was not enough and lists what it did find, instead of
presenting an unverified answer. The turn's working messages (tool calls, results, corrective
notes) are folded away here, so the conversation keeps one question and one answer per turn.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage
from langchain_core.runnables import RunnableConfig

from agent import events
from agent.nodes.common import Deps, emit
from agent.nodes.plan import REQUERY_NAME
from agent.state import SleuthState
from agent.verify import Evidence, Ref, check_ref, parse_refs

_BRACKET = re.compile(r"\[((?:d|sql|file|doc|docs|source|src|passage)\s*:[^\[\]]+)\]", re.I)
_PIECE = re.compile(r"\s*\S+\s*|\s+")
STOP_REASONS = {
    "max_steps": "I reached the step limit for one question",
    "token_budget": "I reached the token budget for one question",
    "turn_timeout": "I reached the time limit for one question",
    "repeated_calls": "I kept repeating the same lookup",
}


def citation_for(marker: int, ref: Ref, ev: Evidence) -> events.Citation:
    kind, value = ref
    if kind == "doc":
        p = ev.passages[value]
        label = " › ".join(x for x in (p.source, p.heading) if x)
        if p.start_line:
            label += f" (lines {p.start_line}-{p.end_line or p.start_line})"
        return events.Citation(marker, "doc", value, label)
    if kind == "sql":
        q = ev.queries[value]
        return events.Citation(marker, "sql", value, " ".join(q.sql.split()) or value)
    return events.Citation(marker, "file", value, value)


def footnote(text: str, ev: Evidence) -> tuple[str, list[events.Citation]]:
    """Replace bracketed refs by [1], [2] … (first appearance order); drop refs that do not resolve."""
    markers: dict[Ref, int] = {}
    cites: list[events.Citation] = []

    def sub(m: re.Match[str]) -> str:
        out = []
        for ref in parse_refs(m.group(0).strip()):
            if check_ref(ref, ev) is not None:
                continue
            if ref not in markers:
                markers[ref] = len(markers) + 1
                cites.append(citation_for(markers[ref], ref, ev))
            out.append(f"[{markers[ref]}]")
        return "".join(dict.fromkeys(out))

    return _BRACKET.sub(sub, text).strip(), cites


def not_enough(state: SleuthState, ev: Evidence) -> tuple[str, list[events.Citation]]:
    """The plain "evidence was not enough" answer, with what was found so the user can look."""
    reason = STOP_REASONS.get(state.get("stop_reason", ""), "")
    problems = (state.get("verdict") or {}).get("problems", [])
    lines = ["I could not find enough evidence to answer this reliably, so I will not guess."]
    if reason:
        lines[0] = f"{reason}, and the evidence I had was not enough to answer reliably, so I will not guess."
    elif problems:
        lines.append("What I could not verify: " + "; ".join(p.split(": ", 1)[-1] for p in problems[:3]) + ".")
    refs: list[Ref] = [("doc", k) for k in ev.passages][:5] + [("sql", k) for k in ev.queries][:3]
    refs += [("file", f"{p}:{min(ls)}-{max(ls)}") for p, ls in ev.files.items() if ls][:3]
    cites = [citation_for(i, r, ev) for i, r in enumerate(refs, 1)]
    if cites:
        lines.append("What I looked at: " + " ".join(f"[{c.marker}]" for c in cites) + ".")
    return "\n\n".join(lines), cites


def turn_messages(state: SleuthState) -> list[RemoveMessage]:
    """This turn's working messages (everything after the user's question)."""
    msgs = state.get("messages", [])
    last_user = max(
        (i for i, m in enumerate(msgs) if isinstance(m, HumanMessage) and m.name != REQUERY_NAME), default=-1
    )
    return [RemoveMessage(id=m.id) for m in msgs[last_user + 1 :] if m.id]


def with_sources(text: str, cites: list[events.Citation]) -> str:
    if not cites:
        return text
    return text + "\n\nSources:\n" + "\n".join(f"[{c.marker}] {c.label}" for c in cites)


def make_answer(deps: Deps):
    async def answer(state: SleuthState, config: RunnableConfig) -> dict[str, Any]:
        ev = Evidence.from_dict(state.get("evidence"))
        verdict = state.get("verdict") or {}
        draft = state.get("draft", "")
        if verdict.get("passed") and draft and not state.get("stop_reason"):
            text, cites = footnote(draft, ev)
            grounded = bool(cites)
        else:
            text, cites = not_enough(state, ev)
            grounded = False
        for piece in _PIECE.findall(text):
            emit(config, state, events.Token, text=piece)
        usage = {
            **(state.get("usage") or {}),
            "steps": state.get("steps", 0),
            "corrections": state.get("corrections", 0),
            "stop_reason": state.get("stop_reason", ""),
            "flags": len(state.get("flags", [])),
        }
        emit(config, state, events.Answer, text=text, citations=cites, grounded=grounded, usage=usage)
        return {
            "messages": [*turn_messages(state), AIMessage(with_sources(text, cites))],
            "answer": {"text": text, "citations": [asdict(c) for c in cites], "grounded": grounded, "usage": usage},
            "_step": {"grounded": grounded, "citations": len(cites)},
        }

    return answer
