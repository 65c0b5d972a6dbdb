"""Deterministic answer checks: every citation, number and claim must trace back to this run's evidence.

Pure functions over (answer text, evidence); no model, no I/O. The reflect node runs them before the
model critique, and the evaluation harness runs them standalone on gold and corrupted answers.

Citation contract
-----------------
The model cites inline, in square brackets, what a tool returned *in this run*:

* docs:  ``[d:3f9a1c2b7e]``           the ``citation_id`` of a passage from ``search_docs``/``get_passage``
* SQL:   ``[sql:QUERY_ID]``           the ``query_id`` of a ``run_query`` result
* files: ``[file:PATH:LINE]`` or ``[file:PATH:START-END]``  lines returned by ``read_file``/``search_files``

Several refs may share one bracket, separated by ``,`` or ``;`` (``[d:3f9a1c2b7e; sql:q_12]``).
A sentence is supported by the refs inside it; a sentence without refs borrows the refs of the
paragraph it belongs to (so "cite at the end of the paragraph" is allowed), but a paragraph that
states facts with no ref at all is an ``uncited_claim``.

Problem kinds
-------------
``no_evidence``             no tool returned anything usable in this run
``unknown_citation``        a ref to something no tool returned (a fabricated id, query or file), or a
                            ref in a form the contract does not know (``[doc:…]``, ``[source:…]``)
``citation_not_retrieved``  the ref names a known thing whose cited part was never returned: a file
                            whose cited lines were not read, or a passage id that appeared only as a
                            mention (e.g. in a listing) and whose text was never fetched
``number_not_in_evidence``  a number in the answer that the (cited) evidence does not contain
``uncited_claim``           a paragraph with a number or a factual sentence but no ref
``unsupported_sentence``    a cited sentence whose content words are mostly absent from what it cites
                            (and from the question): fewer than ``SUPPORT_MIN_COVERAGE`` of its
                            Snowball-stemmed content words, for sentences with at least
                            ``SUPPORT_MIN_WORDS`` of them

Number rule
-----------
Numbers are normalised before comparing: thousands separators dropped (``1,234.50`` == ``1234.5``),
currency symbols ignored, ``%``/``percent`` kept as a flag, ``thousand/million/billion/k/M/bn``
scaled. An answer number matches an evidence number when the evidence value, rounded to the
precision the answer wrote (half-up), equals it; a percentage ``p%`` also matches a ratio ``p/100``.
Numbers inside citation brackets, footnote markers, list ordinals and identifiers (``Q3``, ``v2``)
are not checked; numbers that occur in the question are allowed. A *derived* number (a total, a
difference, a ratio, a percentage or percentage change, a mean) is accepted only when its sentence
says it is derived (words such as "total", "difference", "increase", "average", "%") and it follows
from one operation on two numbers — or the sum/mean of all numbers — of the evidence that sentence
cites, when that evidence holds at most ``DERIVE_MAX_NUMBERS`` distinct numbers. Numbers in a
sentence are checked against the evidence that sentence cites (all evidence when it cites nothing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import combinations
from typing import Any, Literal

import Stemmer

ProblemKind = Literal[
    "no_evidence",
    "unknown_citation",
    "citation_not_retrieved",
    "number_not_in_evidence",
    "uncited_claim",
    "unsupported_sentence",
]

DERIVE_MAX_NUMBERS = 24  # above this, pairwise derivations would match almost any number
SUPPORT_MIN_WORDS = 4  # sentences with fewer content words are not support-checked
SUPPORT_MIN_COVERAGE = 0.5  # share of a cited sentence's content words found in what it cites


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    message: str
    ref: str = ""
    sentence: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


# ---------------------------------------------------------------- evidence


@dataclass
class Passage:
    citation_id: str
    source: str
    heading: str
    text: str
    start_line: int | None = None
    end_line: int | None = None


@dataclass
class QueryResult:
    query_id: str
    sql: str
    columns: list[str]
    rows: list[list[Any]]
    row_count: int


@dataclass
class Evidence:
    """What tools returned in one run, indexed by the ids the citation contract uses."""

    passages: dict[str, Passage] = field(default_factory=dict)
    queries: dict[str, QueryResult] = field(default_factory=dict)
    files: dict[str, dict[int, str]] = field(default_factory=dict)  # path -> line number -> text
    other: list[str] = field(default_factory=list)  # text of results that carry no citable ids
    mentioned: set[str] = field(default_factory=set)  # doc ids seen in text but never fetched

    def is_empty(self) -> bool:
        return not (self.passages or self.queries or any(self.files.values()) or any(self.other))

    def add_result(self, tool: str, structured: Mapping[str, Any] | None, text: str = "") -> None:
        """Index one successful tool result (its structured content, else its text)."""
        found = False
        if structured:
            found = self._walk(structured, tool)
        if not found and text:
            found = self._numbered_file_text(text, structured)
            if not found:
                self.other.append(text)
        for cid in _DOC_ID_IN_TEXT.findall(text or ""):
            if cid not in self.passages:
                self.mentioned.add(cid)

    def _walk(self, node: Any, tool: str) -> bool:
        found = False
        if isinstance(node, Mapping):
            if "citation_id" in node and "text" in node:
                self._add_passage(node)
                return True
            if "query_id" in node and ("rows" in node or "columns" in node):
                self._add_query(node)
                return True
            path = node.get("path")
            if isinstance(path, str) and _add_file_lines(self.files, path, node):
                found = True
            for key, value in node.items():
                if key in {"lines", "text", "content"} and isinstance(path, str):
                    continue
                if isinstance(value, (Mapping, list)):
                    found = self._walk(value, tool) or found
        elif isinstance(node, list):
            for item in node:
                found = self._walk(item, tool) or found
        return found

    def _add_passage(self, d: Mapping[str, Any]) -> None:
        cid = str(d["citation_id"])
        heading = d.get("heading_path") or d.get("heading") or ""
        if isinstance(heading, list):
            heading = " > ".join(str(h) for h in heading)
        span = d.get("span") or {}
        start = d.get("start_line", span.get("start_line") if isinstance(span, Mapping) else None)
        end = d.get("end_line", span.get("end_line") if isinstance(span, Mapping) else None)
        self.passages[cid] = Passage(
            citation_id=cid,
            source=str(d.get("source") or d.get("path") or ""),
            heading=str(heading),
            text=str(d.get("text") or ""),
            start_line=start if isinstance(start, int) else None,
            end_line=end if isinstance(end, int) else None,
        )
        self.mentioned.discard(cid)

    def _add_query(self, d: Mapping[str, Any]) -> None:
        rows = [list(r.values()) if isinstance(r, Mapping) else list(r) for r in d.get("rows") or []]
        qid = str(d["query_id"])
        self.queries[qid] = QueryResult(
            query_id=qid,
            sql=str(d.get("sql") or ""),
            columns=[str(c) for c in d.get("columns") or []],
            rows=rows,
            row_count=int(d.get("row_count") or len(rows)),
        )

    def _numbered_file_text(self, text: str, structured: Mapping[str, Any] | None) -> bool:
        path = (structured or {}).get("path") if structured else None
        if not isinstance(path, str):
            return False
        lines = {int(m["n"]): m["t"] for m in _NUMBERED_LINE.finditer(text)}
        if lines:
            self.files.setdefault(path, {}).update(lines)
        return bool(lines)

    # serialisation for checkpoints (plain JSON)
    def to_dict(self) -> dict[str, Any]:
        return {
            "passages": {k: asdict(v) for k, v in self.passages.items()},
            "queries": {k: asdict(v) for k, v in self.queries.items()},
            "files": {p: {str(n): t for n, t in lines.items()} for p, lines in self.files.items()},
            "other": list(self.other),
            "mentioned": sorted(self.mentioned),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> Evidence:
        d = d or {}
        return cls(
            passages={k: Passage(**v) for k, v in (d.get("passages") or {}).items()},
            queries={k: QueryResult(**v) for k, v in (d.get("queries") or {}).items()},
            files={p: {int(n): t for n, t in lines.items()} for p, lines in (d.get("files") or {}).items()},
            other=list(d.get("other") or []),
            mentioned=set(d.get("mentioned") or []),
        )


_NUMBERED_LINE = re.compile(r"^\s*(?P<n>\d+)\s*[|:\u2502]\s?(?P<t>.*)$", re.M)
_DOC_ID_IN_TEXT = re.compile(r"\b(d:[0-9a-f]{6,})\b")


def _add_file_lines(files: dict[str, dict[int, str]], path: str, d: Mapping[str, Any]) -> bool:
    """read_file results ({path, lines:[{line,text}|str], start_line}) and search matches ({path,line,text})."""
    got: dict[int, str] = {}
    if isinstance(d.get("line"), int) and isinstance(d.get("text"), str):
        got[d["line"]] = d["text"]
    lines = d.get("lines")
    if isinstance(lines, list):
        start = d.get("start_line") if isinstance(d.get("start_line"), int) else 1
        for i, item in enumerate(lines):
            if isinstance(item, Mapping):
                n = item.get("line", item.get("number", item.get("n")))
                t = item.get("text", item.get("content", ""))
                if isinstance(n, int):
                    got[n] = str(t)
            elif isinstance(item, str):
                got[start + i] = item
    elif isinstance(d.get("content"), str) and isinstance(d.get("start_line"), int):
        for i, t in enumerate(d["content"].splitlines()):
            got[d["start_line"] + i] = t
    if got:
        files.setdefault(path, {}).update(got)
    return bool(got)


# ---------------------------------------------------------------- citations

Ref = tuple[str, str]  # (kind, value): ("doc", "d:…"), ("sql", "q…"), ("file", "path:3-5"), ("bad", text)

_BRACKET = re.compile(r"\[((?:d|sql|file|doc|docs|source|src|passage)\s*:[^\[\]]+)\]", re.I)
_SPLIT_REFS = re.compile(r"\s*[;,]\s*(?=(?:d|sql|file|doc|source)\s*:)", re.I)
_FILE_REF = re.compile(r"^file:(?P<path>.+?):(?P<a>\d+)(?:\s*[-–]\s*(?P<b>\d+))?$", re.I)


def parse_refs(text: str) -> list[Ref]:
    """Every ref in `text`, in order of appearance (unknown forms as kind "bad")."""
    refs: list[Ref] = []
    for m in _BRACKET.finditer(text):
        for part in _SPLIT_REFS.split(m.group(1).strip()):
            refs.append(_classify(part.strip()))
    return refs


def _classify(part: str) -> Ref:
    low = part.lower()
    if re.fullmatch(r"d:[0-9a-z]+", low):
        return ("doc", low)
    if low.startswith("sql:") and re.fullmatch(r"sql:[\w.-]+", part, re.I):
        return ("sql", part[4:])
    if low.startswith("file:") and _FILE_REF.match(part):
        return ("file", part[5:])
    return ("bad", part)


def strip_refs(text: str) -> str:
    return _BRACKET.sub(" ", text)


def _norm_path(p: str) -> str:
    p = p.replace("\\", "/").strip()
    while p.startswith("./"):
        p = p[2:]
    return p.strip("/")


def _find_file(evidence: Evidence, path: str) -> dict[int, str] | None:
    want = _norm_path(path)
    for have, lines in evidence.files.items():
        h = _norm_path(have)
        if h == want or h.endswith("/" + want) or want.endswith("/" + h):
            return lines
    return None


def _file_range(value: str) -> tuple[str, int, int]:
    m = _FILE_REF.match("file:" + value)
    assert m is not None
    a = int(m["a"])
    return m["path"], a, int(m["b"] or a)


def check_ref(ref: Ref, evidence: Evidence) -> Problem | None:
    kind, value = ref
    if kind == "doc":
        if value in evidence.passages:
            return None
        if value in evidence.mentioned:
            return Problem("citation_not_retrieved", f"passage {value} was listed but its text was never read", value)
        return Problem("unknown_citation", f"no tool returned a passage {value} in this run", value)
    if kind == "sql":
        if value in evidence.queries:
            return None
        return Problem("unknown_citation", f"no query {value} ran in this run", value)
    if kind == "file":
        path, a, b = _file_range(value)
        lines = _find_file(evidence, path)
        if lines is None:
            return Problem("unknown_citation", f"file {path} was never read in this run", value)
        wanted = range(a, min(b, a + 200) + 1)
        missing = [n for n in wanted if n not in lines]
        if len(missing) * 2 > len(wanted):  # most of the cited lines were never returned
            return Problem("citation_not_retrieved", f"lines {a}-{b} of {path} were never returned", value)
        return None
    return Problem("unknown_citation", f"'[{value}]' is not a citation form Sleuth knows", value)


def cited_text(refs: Iterable[Ref], evidence: Evidence) -> str:
    """The evidence text the given refs point at (for number and support checks)."""
    parts: list[str] = []
    for kind, value in refs:
        if kind == "doc" and value in evidence.passages:
            p = evidence.passages[value]
            parts += [p.heading, p.text]
        elif kind == "sql" and value in evidence.queries:
            q = evidence.queries[value]
            parts += [q.sql, " ".join(q.columns), str(q.row_count)]
            parts += [" ".join(_cell(c) for c in row) for row in q.rows]
        elif kind == "file":
            path, a, b = _file_range(value)
            lines = _find_file(evidence, path) or {}
            parts.append(path)
            parts += [lines[n] for n in range(a, b + 1) if n in lines]
    return "\n".join(parts)


def cited_data(refs: Iterable[Ref], evidence: Evidence) -> str:
    """Only the data values the refs point at (passage text, result cells, file lines): the operands
    a derived number may come from. SQL text, headings and row counts are left out, because pairing
    them (a year bound, a LIMIT, "1 row") with the data would make almost any number derivable."""
    parts: list[str] = []
    for kind, value in refs:
        if kind == "doc" and value in evidence.passages:
            parts.append(evidence.passages[value].text)
        elif kind == "sql" and value in evidence.queries:
            parts += [" ".join(_cell(c) for c in row) for row in evidence.queries[value].rows]
        elif kind == "file":
            path, a, b = _file_range(value)
            lines = _find_file(evidence, path) or {}
            parts += [lines[n] for n in range(a, b + 1) if n in lines]
    return "\n".join(parts)


def all_text(evidence: Evidence) -> str:
    refs: list[Ref] = [("doc", k) for k in evidence.passages] + [("sql", k) for k in evidence.queries]
    refs += [("file", f"{p}:{n}") for p, lines in evidence.files.items() for n in lines]
    return cited_text(refs, evidence) + "\n" + "\n".join(evidence.other)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value)


# ---------------------------------------------------------------- numbers

_SCALES = {
    "thousand": 3, "k": 3, "million": 6, "m": 6, "mn": 6, "billion": 9, "bn": 9, "b": 9,
}  # fmt: skip
_NUMBER = re.compile(
    r"(?<![\w.])[$€£¥]?\s?(?P<int>\d{1,3}(?:,\d{3}(?!\d))+|\d+)(?P<frac>\.\d+)?"
    r"(?:\s?(?P<pct>%|percent\b)|\s?(?P<scale>thousand|million|billion|bn|mn|k|m|b)\b)?",
    re.I,
)
_LIST_ORDINAL = re.compile(r"^\s*\d+[.)]\s", re.M)
_FOOTNOTE = re.compile(r"\[\d+\]")
_DERIVE_CUES = re.compile(
    r"\b(?:total|sum|combined|altogether|difference|more than|less than|fewer than|increased?|decreased?|"
    r"grew|growth|rose|fell|dropped|ratio|percent(?:age)?|average|mean|higher|lower)\b|%",
    re.I,
)


@dataclass(frozen=True)
class Number:
    text: str
    value: Decimal  # in base units (scale applied)
    places: int  # decimal places as written, in base units (e.g. 1.2 million -> -5)
    percent: bool


def extract_numbers(text: str) -> list[Number]:
    """Numbers as written in prose, normalised; citation refs, footnotes and list ordinals excluded."""
    text = _FOOTNOTE.sub(" ", strip_refs(text))
    text = _LIST_ORDINAL.sub(" ", text)
    out: list[Number] = []
    for m in _NUMBER.finditer(text):
        digits = m["int"].replace(",", "") + (m["frac"] or "")
        try:
            value = Decimal(digits)
        except InvalidOperation:  # pragma: no cover - the regex only admits digits
            continue
        places = len(m["frac"]) - 1 if m["frac"] else 0
        scale = (m["scale"] or "").lower()
        if scale in _SCALES:
            exp = _SCALES[scale]
            value = value.scaleb(exp)
            places -= exp
        out.append(Number(m.group(0).strip(), value, places, bool(m["pct"])))
    return out


_PLAIN_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?")


def _evidence_values(text: str) -> set[Decimal]:
    """Every number the evidence could be read as: prose numbers (1,234.5; 3 million) and, because
    CSV lines and table cells put numbers right after commas, each plain digit run as well."""
    values: set[Decimal] = {n.value for n in extract_numbers(text)}
    values |= {Decimal(m.group(0)) for m in _PLAIN_NUMBER.finditer(text)}
    # scientific notation and negative numbers in raw cells/reprs
    for m in re.finditer(r"-?\d+(?:\.\d+)?[eE][-+]?\d+", text):
        with suppress(InvalidOperation):
            values.add(abs(Decimal(m.group(0))))
    return values


def _rounds_to(value: Decimal, target: Decimal, places: int) -> bool:
    q = Decimal(1).scaleb(-places)
    try:
        return value.quantize(q, rounding=ROUND_HALF_UP) == target.quantize(q, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return False


def number_supported(n: Number, values: set[Decimal]) -> bool:
    targets = [(n.value, n.places)]
    if n.percent:
        targets.append((n.value / 100, n.places + 2))
    return any(_rounds_to(v, t, p) for v in values for t, p in targets)


def _derived_values(values: set[Decimal]) -> set[Decimal]:
    nums = sorted(values)
    out: set[Decimal] = set()
    if not nums or len(nums) > DERIVE_MAX_NUMBERS:
        return out
    out.add(sum(nums, Decimal(0)))
    out.add(sum(nums, Decimal(0)) / len(nums))
    for a, b in combinations(nums, 2):
        out |= {a + b, b - a}
        if a:
            out |= {b / a, b / a * 100, (b - a) / a * 100}
        if b:
            out |= {a / b, a / b * 100, (b - a) / b * 100}
    return out


# ---------------------------------------------------------------- sentences and support

_STOPWORDS = """
a an and are as at be been but by can could did do does for from had has have how i if in into
is it its may might more most much must no not of on or our over per same shall should so some
such than that the their them then there these they this those to too under up upon very was
we were what when where which while who why will with within would you your also all any each
both only other about after before between during out above below again further once here
according based found shows show data document documents records record source sources answer
evidence table row rows result results query file files line lines listed list says states
stated note total number value values
"""
_STOP = frozenset(_STOPWORDS.split())
_WORD = re.compile(r"[a-z][a-z'\-]+")
_SENT_SPLIT = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\[\"'(*_A-Z0-9])")
_LIST_MARKER = re.compile(r"^(?:[-*+]|\d+[.)])\s+")
_ABSTAIN = re.compile(
    r"\b(could not|couldn't|cannot|can't|unable to|did not find|didn't find|no (?:evidence|information|data|"
    r"record|passage|result)|not enough|insufficient|not (?:mentioned|stated|specified|available|found))\b",
    re.I,
)


_STEMMER = Stemmer.Stemmer("english")


def content_words(text: str) -> set[str]:
    """Snowball stems of the words that carry content (stopwords and short words dropped)."""
    words = [w.strip("'-") for w in _WORD.findall(text.lower())]
    return set(_STEMMER.stemWords([w for w in words if len(w) >= 3 and w not in _STOP]))


@dataclass
class Sentence:
    text: str
    refs: list[Ref]
    paragraph: int


def split_sentences(answer: str) -> Iterator[Sentence]:
    """Sentences with their own refs; list items, table rows and paragraphs are separate blocks."""
    blocks: list[str] = []
    current: list[str] = []
    for line in answer.splitlines():
        stripped = line.strip()
        is_item = bool(re.match(r"^([-*+]|\d+[.)])\s", stripped)) or stripped.startswith("|")
        if not stripped or stripped.startswith("#") or is_item:
            if current:
                blocks.append(" ".join(current))
                current = []
            if stripped and not stripped.startswith("#") and not re.fullmatch(r"[|:\-\s]+", stripped):
                blocks.append(_LIST_MARKER.sub("", stripped))
            continue
        current.append(stripped)
    if current:
        blocks.append(" ".join(current))
    for i, block in enumerate(blocks):
        pieces = _SENT_SPLIT.split(block)
        merged: list[str] = []
        for piece in pieces:
            # a fragment that is only refs (e.g. after the full stop) belongs to the sentence before it
            if merged and not strip_refs(piece).strip(" .;,") and parse_refs(piece):
                merged[-1] += " " + piece
            else:
                merged.append(piece)
        for s in merged:
            if s.strip():
                yield Sentence(s.strip(), parse_refs(s), i)


def _is_claim(text: str) -> bool:
    bare = strip_refs(text).strip()
    if not bare or bare.endswith(":") or bare.endswith("?") or _ABSTAIN.search(bare):
        return False
    return bool(extract_numbers(bare)) or len(content_words(bare)) >= SUPPORT_MIN_WORDS


# ---------------------------------------------------------------- the check


def verify_answer(answer: str, evidence: Evidence, question: str = "") -> list[Problem]:
    """All deterministic problems of `answer` against `evidence` (empty list = passes)."""
    problems: list[Problem] = []
    sentences = list(split_sentences(answer))
    claims = [s for s in sentences if _is_claim(s.text)]  # numbers are checked in every sentence
    if evidence.is_empty():
        if claims or parse_refs(answer):
            problems.append(Problem("no_evidence", "the answer states facts but no tool returned any evidence"))
        return problems

    seen_refs: set[Ref] = set()
    for ref in parse_refs(answer):
        if ref in seen_refs:
            continue
        seen_refs.add(ref)
        p = check_ref(ref, evidence)
        if p is not None:
            problems.append(p)

    para_refs: dict[int, list[Ref]] = {}
    for s in sentences:
        para_refs.setdefault(s.paragraph, []).extend(s.refs)
    question_values = _evidence_values(question)
    question_words = content_words(question)
    everything = all_text(evidence)
    all_values = _evidence_values(everything)
    reported_uncited: set[int] = set()

    for s in sentences:
        refs = [r for r in (s.refs or para_refs.get(s.paragraph, [])) if check_ref(r, evidence) is None]
        bare = strip_refs(s.text).strip()
        claim = s in claims
        if claim and not s.refs and not para_refs.get(s.paragraph) and s.paragraph not in reported_uncited:
            reported_uncited.add(s.paragraph)
            problems.append(Problem("uncited_claim", f"no citation for: {_short(bare)}", sentence=s.text))
        if refs:
            source = cited_text(refs, evidence)
            values = _evidence_values(source)
        else:
            source, values = everything, all_values
        derived: set[Decimal] | None = None
        for n in extract_numbers(bare):
            if number_supported(n, values) or number_supported(n, question_values):
                continue
            if refs and _DERIVE_CUES.search(bare):
                derived = _derived_values(_evidence_values(cited_data(refs, evidence))) if derived is None else derived
                if number_supported(n, derived):
                    continue
            problems.append(
                Problem("number_not_in_evidence", f"{n.text} is not in the cited evidence", sentence=s.text)
            )
        if claim and refs:
            words = content_words(bare)
            if len(words) >= SUPPORT_MIN_WORDS:
                have = content_words(source) | question_words
                coverage = len(words & have) / len(words)
                if coverage < SUPPORT_MIN_COVERAGE:
                    problems.append(
                        Problem(
                            "unsupported_sentence",
                            f"the cited evidence does not support: {_short(bare)} "
                            f"({coverage:.0%} of its terms appear there)",
                            sentence=s.text,
                        )
                    )
    return problems


def _short(text: str, n: int = 100) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
