"""Chunking: linear in the size of a section, the same windows as the quadratic original, and no
heading left out of the index."""

from __future__ import annotations

import functools
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from docs_testkit import settings_for

from mcp_servers.docs import chunking
from mcp_servers.docs.chunking import Span, chunk
from mcp_servers.docs.ingest import ingest
from mcp_servers.docs.parsers import Block, BlockKind, Extracted, parse_file, parse_markdown, parse_text
from mcp_servers.docs.server import DocsService

# --- The window code as it was before cuts were found by bisection, kept as the oracle: it scanned
# every block end and table of the section for every window (quadratic), but its cuts are the spec.


def _reference_windows(text: str, blocks: list[Block], size: int, overlap: int) -> list[tuple[int, int]]:
    sec_start, sec_end = blocks[0].start, blocks[-1].end
    tables = [(b.start, b.end) for b in blocks if b.kind in ("table", "code") and b.end - b.start <= 2 * size]
    block_ends = [b.end for b in blocks]
    out: list[tuple[int, int]] = []
    pos = sec_start
    while pos < sec_end:
        if sec_end - pos <= size:
            out.append((pos, sec_end))
            break
        cut = _reference_best_cut(text, pos, size, block_ends, tables)
        out.append((pos, cut))
        nxt = max(cut - overlap, pos + 1)
        nxt = chunking._word_start(text, nxt, cut)
        pos = chunking._skip_space(text, nxt)
    return [(s, chunking._rstrip(text, s, e)) for s, e in out if text[s:e].strip()]


def _reference_best_cut(text: str, pos: int, size: int, block_ends: list[int], tables: list[tuple[int, int]]) -> int:
    limit = pos + size
    low = pos + size // 2
    table = next(((s, e) for s, e in tables if s < limit < e), None)
    if table is not None and table[0] <= pos + size // 5:
        return table[1]
    if table is not None:
        limit = table[0]
    candidates = [e for e in block_ends if low <= e <= limit]
    if candidates:
        return candidates[-1]
    window = text[low:limit]
    idx = window.rfind("\n")
    if idx >= 0:
        return low + idx + 1
    matches = list(chunking._SENTENCE_END.finditer(window))
    if matches:
        return low + matches[-1].end()
    idx = window.rfind(" ")
    return low + idx + 1 if idx >= 0 else max(limit, pos + 1)


# --- generated documents


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(["alpha", "beta", "gamma", "delta", "kayak", "refund", "x", "policy"]) for _ in range(12)]
    end = rng.choice([".", "!", "?", ".)", '."', "", ","])
    return " ".join(words[: rng.randint(1, 12)]) + end


def _para(rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.1:
        return "".join(rng.choice("abcdef") for _ in range(rng.randint(1, 500)))  # no spaces at all
    if shape < 0.2:
        return "\n".join(_sentence(rng) for _ in range(rng.randint(2, 12)))  # hard-wrapped lines
    return " ".join(_sentence(rng) for _ in range(rng.randint(1, 8)))


def _markdown(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 60)):
        kind = rng.random()
        if kind < 0.12:
            parts.append("#" * rng.randint(1, 4) + " " + _sentence(rng))
        elif kind < 0.25:
            parts.append("\n".join(f"| r{i} | {_sentence(rng)} |" for i in range(rng.randint(1, 40))))
        elif kind < 0.32:
            parts.append("```\n" + "\n".join(_sentence(rng) for _ in range(rng.randint(1, 30))) + "\n```")
        else:
            parts.append(_para(rng))
    return "\n\n".join(parts) + rng.choice(["", "\n", "\n\n"])


def _built(rng: random.Random) -> Extracted:
    """Blocks joined by blank lines, with pages, as the PDF/DOCX/PPTX/XLSX parsers build them."""
    text, blocks, page_starts = "", [], []
    kinds: list[BlockKind] = ["para", "para", "para", "table", "code", "heading"]
    for _ in range(rng.randint(1, 80)):
        kind = rng.choice(kinds)
        body = _para(rng) if kind != "table" else "\n".join(_sentence(rng) for _ in range(rng.randint(1, 40)))
        body = body.strip() or "z"
        if text:
            text += "\n\n"
        if rng.random() < 0.2:
            page_starts.append(len(text))
        blocks.append(Block(kind, len(text), len(text) + len(body), level=rng.randint(1, 3)))
        text += body
    return Extracted(text=text, title="t", blocks=blocks, page_starts=page_starts or None)


@functools.cache
def _corpus() -> tuple[Extracted, ...]:
    return tuple(_documents())


def _documents() -> Iterator[Extracted]:
    rng = random.Random(20261122)
    for _ in range(100):
        yield parse_markdown(_markdown(rng), "m")
        yield parse_text("\n\n".join(_para(rng) for _ in range(rng.randint(1, 60))), "t")
        yield _built(rng)
    yield parse_text("".join(f"Paragraph {i} notes a short fact.\n\n" for i in range(1000)), "many")


@pytest.mark.parametrize(("size", "overlap"), [(60, 0.0), (200, 0.15), (400, 0.5), (1200, 0.15)])
def test_bisected_cuts_give_the_same_chunks_as_the_reference(
    size: int, overlap: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = _corpus()
    actual = [chunk(doc, size, overlap) for doc in docs]
    monkeypatch.setattr(chunking, "_windows", _reference_windows)
    expected = [chunk(doc, size, overlap) for doc in docs]
    assert sum(len(spans) for spans in expected) > 1000  # the corpus really cuts sections into windows
    for doc, got, want in zip(docs, actual, expected, strict=True):
        assert got == want, doc.text[:200]


def _steps(doc: Extracted) -> int:
    """Python lines run inside chunking.py while chunking `doc` (a loop iteration is a line):
    deterministic, unlike a timing, and it grows with every element a scan visits."""
    count = 0

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        count += event == "line"
        return local

    def calls(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename == chunking.__file__ else None

    sys.settrace(calls)
    try:
        spans: list[Span] = chunk(doc, 1200, 0.15)
    finally:
        sys.settrace(None)
    assert len(spans) > 50
    return count


def test_chunking_work_grows_linearly_with_the_paragraphs_of_one_section() -> None:
    """A PDF or a .txt without headings is one section; doubling its paragraphs must double the
    work, not quadruple it (the old cut search scanned every block end for every window)."""

    def doc(n: int) -> Extracted:
        return parse_text("".join(f"Paragraph {i} notes a short fact about item {i % 97}.\n\n" for i in range(n)), "x")

    small, large = _steps(doc(2000)), _steps(doc(4000))
    assert large / small < 2.3, (small, large)


def _chunks(markdown: bytes) -> list[tuple[str, tuple[str, ...]]]:
    doc = parse_file(Path("notes.md"), markdown)
    return [(doc.text[s.start : s.end], s.heading_path) for s in chunk(doc, 1200, 0.15)]


def test_a_heading_without_text_is_a_chunk_unless_a_sub_heading_follows() -> None:
    assert _chunks(b"# Plan\n\nSome text.\n\n## Decision: we chose vendor Zeta\n") == [
        ("# Plan\n\nSome text.", ("Plan",)),
        ("## Decision: we chose vendor Zeta", ("Plan", "Decision: we chose vendor Zeta")),
    ]
    assert _chunks(b"# Project Falcon\n\n## Status: cancelled in March\n") == [
        ("## Status: cancelled in March", ("Project Falcon", "Status: cancelled in March")),
    ]
    assert _chunks(b"# Plan\n\n## Budget\n\n## Risks\n\nLate parts.\n") == [
        ("## Budget", ("Plan", "Budget")),  # followed by a sibling, not by a sub-heading
        ("## Risks\n\nLate parts.", ("Plan", "Risks")),
    ]


def test_a_file_of_headings_only_is_indexed_and_cited_exactly(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "falcon.md").write_text("# Project Falcon\n\n## Status: cancelled in March\n", encoding="utf-8")
    (docs / "plan.md").write_text("# Plan\n\nSome text.\n\n## Decision: we chose vendor Zeta\n", encoding="utf-8")
    report = ingest(settings_for(tmp_path))
    assert not report.failed and sorted(report.new) == ["docs/falcon.md", "docs/plan.md"]
    service = DocsService(settings_for(tmp_path))
    for query, source, text in [
        ("falcon cancelled", "docs/falcon.md", "## Status: cancelled in March"),
        ("vendor zeta", "docs/plan.md", "## Decision: we chose vendor Zeta"),
    ]:
        top = service.search(query, 3, mode="bm25")["passages"][0]
        assert (top["source"], top["text"]) == (source, text)
        full = service.source_text(top["uri"].rsplit("/", 1)[1])
        assert full[top["char_start"] : top["char_end"]] == top["text"]
