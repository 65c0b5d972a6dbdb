"""Scoring one answer against one case: pure functions, no model, no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sleuth.evaluation.cases import Fact

_NUMBER = re.compile(r"(?<![\w.])[-+]?\$?\d[\d,]*(?:\.\d+)?%?")


def numbers_in(text: str) -> list[float]:
    """Every number written in the text, with thousands separators, currency and % stripped."""
    out: list[float] = []
    for m in _NUMBER.finditer(text):
        raw = m.group().replace(",", "").replace("$", "").rstrip("%")
        try:
            out.append(float(raw))
        except ValueError:
            continue
    return out


def phrase_in(phrase: str, text: str) -> bool:
    """Case-insensitive, starting at a word boundary ("Monday" is in "Mondays", "order" is not in
    "reorder"); phrases of up to 3 characters must also end at one ("CO" is not in "completed")."""
    tail = r"(?!\w)" if len(phrase) <= 3 else ""
    return re.search(r"(?<!\w)" + re.escape(phrase.lower()) + tail, text.lower()) is not None


def fact_found(fact: Fact, text: str) -> bool:
    """A number matches within tolerance (at least rounding to the written precision); a phrase matches
    (see `phrase_in`), or any accepted alternative does."""
    if fact.is_number:
        target = float(fact.value)
        tol = max(fact.tolerance, 1e-9)
        return any(abs(n - target) <= tol for n in numbers_in(text))
    return any(phrase_in(p, text) for p in [str(fact.value), *fact.any_of])


def fact_accuracy(facts: Iterable[Fact], text: str) -> float:
    facts = list(facts)
    if not facts:
        return 1.0
    return sum(fact_found(f, text) for f in facts) / len(facts)


def source_recall(must_cite: Iterable[str], cited_sources: Iterable[str]) -> float:
    """Share of required sources that some citation points into (a table, a path or a path prefix)."""
    needed = list(must_cite)
    if not needed:
        return 1.0
    cited = [c.lower() for c in cited_sources]
    return sum(any(n.lower() in c for c in cited) for n in needed) / len(needed)


def tool_precision_recall(gold: Iterable[str], used: Iterable[str]) -> tuple[float, float]:
    """Over sets of `server.tool` names: how many used tools were needed, how many needed were used."""
    g, u = set(gold), set(used)
    if not u:
        return (1.0 if not g else 0.0), (1.0 if not g else 0.0)
    precision = len(g & u) / len(u)
    recall = len(g & u) / len(g) if g else 1.0
    return precision, recall
