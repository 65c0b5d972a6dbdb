"""The result store and shaping: bounded by bytes (LRU), fixed pages, row/character caps."""

from __future__ import annotations

import pytest

from mcp_servers.sql.results import (
    ResultStore,
    StoredResult,
    clip_cells,
    row_chars,
    rows_chars,
    take_within,
    text_table,
)


def _result(store: ResultStore, rows: list[list[object]]) -> StoredResult:
    r = StoredResult(store.new_id(), "SELECT 1", ["a", "b"], ["INTEGER", "VARCHAR"], rows, rows_chars(rows), True)
    store.put(r)
    return r


def test_store_evicts_least_recently_used_past_its_byte_budget() -> None:
    store = ResultStore(max_bytes=20_000, page_rows=100, page_chars=10_000)
    rows = [[i, "x" * 50] for i in range(100)]  # ~6 KB each result
    first, second = _result(store, rows), _result(store, rows)
    assert store.get(first.query_id) is not None  # touch: first is now the most recent
    _result(store, rows)
    _result(store, rows)
    assert store.nbytes <= 20_000 and len(store) == 3
    assert store.get(second.query_id) is None  # the least recently used went first
    assert store.get(first.query_id) is not None


def test_pages_cover_every_row_once_within_both_caps() -> None:
    store = ResultStore(max_bytes=10_000_000, page_rows=30, page_chars=1_000)
    rows = [[i, "y" * (i % 40)] for i in range(200)]
    r = _result(store, rows)
    seen: list[list[object]] = []
    for n in range(1, len(r.pages) + 1):
        page = r.page(n)
        assert len(page["rows"]) <= 30
        assert sum(row_chars(x) for x in page["rows"]) <= 1_000
        assert page["next"] == (None if n == page["pages"] else f"sql://results/{r.query_id}?page={n + 1}")
        seen += page["rows"]
    assert seen == rows
    with pytest.raises(IndexError, match="does not exist"):
        r.page(len(r.pages) + 1)


def test_caps_and_text_table() -> None:
    rows = [[i, "z" * 100] for i in range(50)]
    assert take_within(rows, 10, 1_000_000) == 10
    assert take_within(rows, 1000, 1_000) == 1_000 // row_chars(rows[0])
    assert take_within([[1, "w" * 5000]], 10, 100) == 1  # never empty: one row even over the cap
    clipped, was = clip_cells([[1, "v" * 500]], 100)
    assert was and clipped[0][1].startswith("v" * 100) and "400 more characters" in clipped[0][1]
    table = text_table(["a", "b"], [[None, "x|y\nz"], [1, "q" * 100]])
    lines = table.splitlines()
    assert lines[0] == "a | b" and lines[2] == "NULL | x¦y z" and lines[3].endswith("…")
