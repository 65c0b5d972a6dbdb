"""Verifier check: does `agent.verify` accept the gold answers and catch systematically corrupted ones?

For every replayed case with a gold answer, the deterministic verifier runs on the gold answer (any
problem is a false alarm) and on four corruptions of it (no problem is a miss):

* ``fabricated_citation``   the first citation is replaced by an id no tool returned
* ``changed_number``        the first checked number is nudged to a value the evidence does not hold
* ``unsupported_sentence``  a cited sentence about something the cited evidence never mentions is added
* ``unretrieved_citation``  the first citation is replaced by a real id from the workspace (another
                            case's passage, query or file line) that was not retrieved in this run

A corruption that does not apply (an answer without citations or numbers) is skipped, not counted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from agent.verify import (
    Evidence,
    Ref,
    all_text,
    extract_numbers,
    number_supported,
    parse_refs,
    verify_answer,
)
from sleuth.evaluation.oracle import CaseReplay

Variant = Literal["gold", "fabricated_citation", "changed_number", "unsupported_sentence", "unretrieved_citation"]
CORRUPTIONS: tuple[Variant, ...] = (
    "fabricated_citation",
    "changed_number",
    "unsupported_sentence",
    "unretrieved_citation",
)
# Claims about things no Kestrel source mentions; rotated over cases so no single sentence is tuned for.
UNSUPPORTED = (
    "Kestrel also flies helicopter deliveries to research stations in Antarctica every winter",
    "The board replaced this rule with a lifetime guarantee signed by every regional director",
    "Customers in Hawaii receive complimentary kayak rentals with every purchase",
    "This was independently audited by an external accounting firm from Chicago last spring",
)
_BRACKETS = re.compile(r"\[[^\[\]]*\]")


@dataclass(frozen=True)
class CheckRow:
    case_id: str
    variant: Variant
    answer: str
    problems: list[str]

    @property
    def flagged(self) -> bool:
        return bool(self.problems)


@dataclass
class VerifierReport:
    rows: list[CheckRow] = field(default_factory=list)

    def _of(self, variant: Variant) -> list[CheckRow]:
        return [r for r in self.rows if r.variant == variant]

    @property
    def gold(self) -> list[CheckRow]:
        return self._of("gold")

    @property
    def corrupted(self) -> list[CheckRow]:
        return [r for r in self.rows if r.variant != "gold"]

    @property
    def false_alarm_rate(self) -> float:
        gold = self.gold
        return sum(r.flagged for r in gold) / len(gold) if gold else 0.0

    @property
    def detection_rate(self) -> float:
        bad = self.corrupted
        return sum(r.flagged for r in bad) / len(bad) if bad else 0.0

    def to_dict(self) -> dict[str, Any]:
        by_kind = {}
        for kind in CORRUPTIONS:
            rows = self._of(kind)
            by_kind[kind] = {"total": len(rows), "detected": sum(r.flagged for r in rows)}
        return {
            "gold_answers": len(self.gold),
            "false_alarms": sum(r.flagged for r in self.gold),
            "false_alarm_rate": round(self.false_alarm_rate, 4),
            "corrupted_answers": len(self.corrupted),
            "detected": sum(r.flagged for r in self.corrupted),
            "detection_rate": round(self.detection_rate, 4),
            "by_corruption": by_kind,
            "false_alarm_cases": [{"case": r.case_id, "problems": r.problems} for r in self.gold if r.flagged],
            "missed": [
                {"case": r.case_id, "variant": r.variant, "answer": r.answer} for r in self.corrupted if not r.flagged
            ],
        }


# ------------------------------------------------------------------------------------ corruptions


def _ref_text(ref: Ref) -> str:
    kind, value = ref
    return value if kind == "doc" else f"{kind}:{value}"


def _good_refs(answer: str) -> list[Ref]:
    return [r for r in parse_refs(answer) if r[0] != "bad"]


def _swap_first_ref(answer: str, new: str) -> str | None:
    refs = _good_refs(answer)
    if not refs:
        return None
    return answer.replace(_ref_text(refs[0]), new, 1)


def _token(seed: str, n: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def fabricate_citation(answer: str, seed: str) -> str | None:
    """Swap the first ref for a made-up one of the same kind (derived from `seed`, so reproducible)."""
    refs = _good_refs(answer)
    if not refs:
        return None
    kind = refs[0][0]
    fake = {
        "doc": f"d:{_token(seed, 10)}",
        "sql": f"sql:q_{_token(seed, 12)}",
        "file": f"file:files/notes/{_token(seed, 8)}.txt:3",
    }[kind]
    return _swap_first_ref(answer, fake)


def cite_unretrieved(answer: str, evidence: Evidence, pool: dict[str, list[str]], seed: str) -> str | None:
    """Swap the first ref for a real one of the same kind (from another case) absent from this run."""
    refs = _good_refs(answer)
    if not refs:
        return None
    kind = refs[0][0]
    have = {
        "doc": set(evidence.passages),
        "sql": {f"sql:{q}" for q in evidence.queries},
        "file": {f"file:{p}:{n}" for p, lines in evidence.files.items() for n in lines},
    }[kind]
    candidates = [r for r in pool.get(kind, []) if r not in have]
    if not candidates:
        return None
    pick = candidates[int(_token(seed, 8), 16) % len(candidates)]
    return _swap_first_ref(answer, pick)


def _format_like(template: str, value: Decimal) -> str:
    places = len(template.split(".")[1].rstrip("%").strip()) if "." in template else 0
    body = f"{value:,.{places}f}" if "," in template else f"{value:.{places}f}"
    prefix = "$" if template.startswith("$") else ""
    suffix = "%" if template.rstrip().endswith("%") else ""
    return prefix + body + suffix


def change_number(answer: str, evidence: Evidence, question: str) -> str | None:
    """Nudge the first checked number (outside citations) to the nearest value the evidence lacks."""
    values = {n.value for n in extract_numbers(all_text(evidence))} | {n.value for n in extract_numbers(question)}
    spans = [m.span() for m in _BRACKETS.finditer(answer)]
    for n in extract_numbers(answer):
        if re.search(r"[A-Za-z]", n.text):  # scaled ("1.8M") or spelled ("5 percent"): keep it simple
            continue
        unit = Decimal(1).scaleb(-max(n.places, 0))
        for candidate in (n.value + unit, n.value + 10 * unit, n.value * 2 + unit, n.value * 3 + 7 * unit):
            probe = extract_numbers(_format_like(n.text, candidate))
            if probe and not number_supported(probe[0], values):
                break
        else:
            continue
        for m in re.finditer(r"(?<![\w.,])" + re.escape(n.text) + r"(?![\d])", answer):
            if not any(a <= m.start() < b for a, b in spans):
                return answer[: m.start()] + _format_like(n.text, candidate) + answer[m.end() :]
    return None


def add_unsupported(answer: str, seed_index: int) -> str:
    """Append a claim no source makes, citing the answer's first ref (uncited if it has none)."""
    refs = _good_refs(answer)
    claim = UNSUPPORTED[seed_index % len(UNSUPPORTED)]
    cite = f" [{_ref_text(refs[0])}]" if refs else ""
    return f"{answer.rstrip()} {claim}{cite}."


# ------------------------------------------------------------------------------------ the check


def ref_pool(replays: Sequence[CaseReplay]) -> dict[str, list[str]]:
    """Every citable id the replay produced, by kind (the source of realistic wrong citations)."""
    pool: dict[str, set[str]] = {"doc": set(), "sql": set(), "file": set()}
    for r in replays:
        ev = r.evidence()
        pool["doc"] |= set(ev.passages)
        pool["sql"] |= {f"sql:{q}" for q in ev.queries}
        pool["file"] |= {f"file:{p}:{n}" for p, lines in ev.files.items() for n in lines}
    return {k: sorted(v) for k, v in pool.items()}


def check_replays(replays: Sequence[CaseReplay]) -> VerifierReport:
    """Run the verifier on every gold answer and its corruptions (cases whose replay failed are skipped)."""
    pool = ref_pool(replays)
    report = VerifierReport()
    for i, r in enumerate(replays):
        try:
            gold = r.gold_answer() if r.ok else None
        except ValueError as exc:  # e.g. {{cite:N}} on a call that returned nothing citable
            report.rows.append(CheckRow(r.case.id, "gold", r.case.gold_answer or "", [f"unresolvable: {exc}"]))
            continue
        if gold is None:
            continue
        evidence, question, cid = r.evidence(), r.case.question, r.case.id
        variants: dict[Variant, str | None] = {
            "gold": gold,
            "fabricated_citation": fabricate_citation(gold, cid),
            "changed_number": change_number(gold, evidence, question),
            "unsupported_sentence": add_unsupported(gold, i),
            "unretrieved_citation": cite_unretrieved(gold, evidence, pool, cid),
        }
        for variant, text in variants.items():
            if text is None:
                continue
            problems = [str(p) for p in verify_answer(text, evidence, question)]
            report.rows.append(CheckRow(cid, variant, text, problems))
    return report
