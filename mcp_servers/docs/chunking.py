"""Structure-aware chunking: sections at headings, breaks at block/sentence boundaries, overlap.

A chunk is a `[start, end)` span of the extracted text, never rewritten text, so its citation can
be checked against the source. Each heading opens a section (a heading with no text of its own
is a chunk too, unless a sub-heading follows it); a section longer than `size` is cut into
windows that prefer block boundaries, then line ends, then sentence ends, then spaces, and never
cut inside a table that fits in twice the size. Consecutive windows overlap by `overlap`
characters (snapped to a word start).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from mcp_servers.docs.parsers import Block, Extracted


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    heading_path: tuple[str, ...]
    page_start: int | None
    page_end: int | None


_SENTENCE_END = re.compile(r"[.!?][)\"']?\s")


def _heading_text(text: str, block: Block) -> str:
    raw = text[block.start : block.end].strip().split("\n")[0]
    return raw.lstrip("#").strip().rstrip("#").strip()


def chunk(doc: Extracted, size: int, overlap_fraction: float) -> list[Span]:
    """Cut `doc` into spans of about `size` characters with `overlap_fraction` overlap."""
    text = doc.text
    overlap = int(size * overlap_fraction)
    sections: list[tuple[tuple[str, ...], list[Block]]] = []
    stack: list[tuple[int, str]] = []
    current: list[Block] = []
    path: tuple[str, ...] = ()
    for block in doc.blocks:
        if block.kind == "heading":
            if current:
                sections.append((path, current))
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            stack.append((block.level, _heading_text(text, block)))
            path = tuple(h for _, h in stack)
            current = [block]
        else:
            current.append(block)
    if current:
        sections.append((path, current))

    spans: list[Span] = []
    for i, (heading_path, blocks) in enumerate(sections):
        if blocks[-1].kind == "heading" and i + 1 < len(sections) and _nested(heading_path, sections[i + 1][0]):
            continue  # a heading straight followed by a sub-heading: it lives on in that one's heading_path
        for start, end in _windows(text, blocks, size, overlap):
            spans.append(Span(start, end, heading_path, *_pages(doc, start, end)))
    return spans


def _nested(path: tuple[str, ...], inner: tuple[str, ...]) -> bool:
    """Whether `inner` is a heading path under `path`.

    A heading with no text of its own is left out only when the next section is under it: every
    chunk there names it in its heading_path. Any other such heading (the last one of a file, one
    followed by a sibling, a file of headings only, a slide with only a title) is a chunk of its
    own, so "## Decision: we chose vendor Zeta" is found and cited at its exact line under its own
    heading path; merged into the previous chunk it would sit under that section's path (and
    past `size`), merged into the next under a sibling's.
    """
    return len(inner) > len(path) and inner[: len(path)] == path


def _pages(doc: Extracted, start: int, end: int) -> tuple[int | None, int | None]:
    if not doc.page_starts:
        return None, None
    first = bisect.bisect_right(doc.page_starts, start)
    last = bisect.bisect_right(doc.page_starts, max(start, end - 1))
    return max(first, 1), max(last, 1)


def _windows(text: str, blocks: list[Block], size: int, overlap: int) -> list[tuple[int, int]]:
    sec_start, sec_end = blocks[0].start, blocks[-1].end
    tables = [(b.start, b.end) for b in blocks if b.kind in ("table", "code") and b.end - b.start <= 2 * size]
    table_starts = [s for s, _ in tables]
    block_ends = [b.end for b in blocks]
    out: list[tuple[int, int]] = []
    pos = sec_start
    while pos < sec_end:
        if sec_end - pos <= size:
            out.append((pos, sec_end))
            break
        cut = _best_cut(text, pos, size, block_ends, tables, table_starts)
        out.append((pos, cut))
        nxt = max(cut - overlap, pos + 1)
        nxt = _word_start(text, nxt, cut)
        pos = _skip_space(text, nxt)
    return [(s, _rstrip(text, s, e)) for s, e in out if text[s:e].strip()]


def _inside_table(pos: int, tables: list[tuple[int, int]], table_starts: list[int]) -> tuple[int, int] | None:
    """The table around `pos`. Tables are in text order and do not overlap, so only the last one
    starting before `pos` can hold it: a bisection, not a scan of every table per window."""
    i = bisect.bisect_left(table_starts, pos) - 1
    return tables[i] if i >= 0 and pos < tables[i][1] else None


def _best_cut(
    text: str, pos: int, size: int, block_ends: list[int], tables: list[tuple[int, int]], table_starts: list[int]
) -> int:
    """Where the window from `pos` ends. Block ends ascend (blocks are in text order), so the last
    one in `[low, limit]` is found by bisection: scanning them all for every window made a long
    section without headings (a PDF, a .txt) quadratic: 33-55 s for 160k short paragraphs."""
    limit = pos + size
    low = pos + size // 2
    table = _inside_table(limit, tables, table_starts)
    if table is not None and table[0] <= pos + size // 5:
        return table[1]  # a table that starts the window is kept whole (it fits in 2x size)
    if table is not None:
        limit = table[0]  # stop before a table the window would cut into
    last = bisect.bisect_right(block_ends, limit) - 1
    if last >= 0 and block_ends[last] >= low:
        return block_ends[last]
    window = text[low:limit]
    idx = window.rfind("\n")
    if idx >= 0:
        return low + idx + 1
    matches = list(_SENTENCE_END.finditer(window))
    if matches:
        return low + matches[-1].end()
    idx = window.rfind(" ")
    return low + idx + 1 if idx >= 0 else max(limit, pos + 1)


def _word_start(text: str, pos: int, cut: int) -> int:
    """Move forward to the start of a word, staying before `cut`."""
    while pos < cut and pos > 0 and not text[pos - 1].isspace():
        pos += 1
    return pos


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end
