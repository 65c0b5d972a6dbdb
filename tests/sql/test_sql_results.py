"""The result store and shaping: bounded by bytes (LRU), fixed pages, row/character caps."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from mcp_servers.sql import catalog
from mcp_servers.sql.results import (
    CellClipper,
    ResultStore,
    StoredResult,
    row_chars,
    rows_chars,
    take_within,
    text_table,
)
from mcp_servers.sql.service import SqlService
from sleuth.config import SqlSettings


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
    clipper = CellClipper(100)
    clipped = clipper.text("v" * 500)
    assert clipper.cut == 1 and clipped.startswith("v" * 100) and "400 more characters" in clipped
    table = text_table(["a", "b"], [[None, "x|y\nz"], [1, "q" * 100]])
    lines = table.splitlines()
    assert lines[0] == "a | b" and lines[2] == "NULL | x¦y z" and lines[3].endswith("…")


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[SqlService]:
    db = tmp_path / "cells.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE big (id INTEGER, s VARCHAR, l BIGINT[], b BLOB)")
    con.execute("INSERT INTO big SELECT 1, repeat('s', 2000000), range(300000), repeat('ab', 100000)::BLOB")
    con.close()
    service = SqlService(SqlSettings(db=db))
    yield service
    service.engine.close()


def _pages(service: SqlService, query_id: str) -> list[str]:
    out, n = [], 1
    while True:
        page = json.dumps(service.read_result(query_id, n), ensure_ascii=False)
        out.append(page)
        if json.loads(page)["next"] is None:
            return out
        n += 1


@pytest.mark.parametrize(
    ("sql", "marker"),
    [
        ("SELECT range(1000000) AS r", "more characters of JSON]"),
        ("SELECT list(range(200000)) AS r", "more characters of JSON]"),
        ("SELECT {'k': range(300000), 'n': 1} AS r", "more characters of JSON]"),
        ("SELECT MAP(range(100000), range(100000)) AS r", "more characters of JSON]"),
        ("SELECT [range(100000)] AS r", "more characters of JSON]"),
        ("SELECT repeat('x', 2000000) AS r", "more characters]"),
        ("SELECT s AS r FROM big", "more characters]"),
        ("SELECT b AS r FROM big", "more characters]"),
        ("SELECT l AS r FROM big", "more characters of JSON]"),
    ],
)
def test_every_cell_is_bounded_for_the_model_and_in_each_stored_page(svc: SqlService, sql: str, marker: str) -> None:
    result = svc.run_query(sql)
    assert not result.is_error, result.content
    sc = result.structured_content
    cell = sc["rows"][0][0]
    assert isinstance(cell, str) and cell.endswith(marker) and sc["cells_cut"] == 1
    assert len(json.dumps(sc, ensure_ascii=False)) < svc.settings.max_chars
    assert "were cut to" in result.content[0].text and "stored pages" in result.content[0].text
    assert not sc["truncated"] and sc["row_count"] == 1 and sc["pages"] == 1  # one row, all of it shown
    pages = _pages(svc, sc["query_id"])
    assert len(pages) == 1 and len(pages[0]) < svc.settings.max_chars
    assert json.loads(pages[0])["rows"] == sc["rows"]


def test_a_huge_nested_value_is_converted_only_as_far_as_the_cut() -> None:
    huge = [list(range(3_000_000))]  # converting and encoding all of it takes seconds
    started = time.perf_counter()
    cut = CellClipper(25_000).any(huge)
    assert time.perf_counter() - started < 0.5
    assert cut.startswith("[[0,1,2,") and cut.endswith("+ more characters of JSON]") and len(cut) < 25_100


def test_a_cut_nested_value_starts_as_its_json_and_small_values_stay_json(svc: SqlService) -> None:
    sql = "SELECT range(2000) AS big, range(30000) AS huge, [1, 2] AS small, {'a': 'b'} AS st"
    sc = svc.run_query(sql).structured_content
    big, huge, small, st = sc["rows"][0]
    assert small == [1, 2] and st == {"a": "b"} and sc["cells_cut"] == 2
    limit = svc.settings.max_chars // 8  # half the cap over 4 columns
    full = json.dumps(list(range(2000)), separators=(",", ":"))
    assert big == full[:limit] + f"…[{len(full) - limit:,} more characters of JSON]"
    # Past `limit` items the rest is not even converted: the marker then gives a lower bound.
    full = json.dumps(list(range(30000)), separators=(",", ":"))
    assert huge.startswith(full[:limit] + "…[") and huge.endswith("+ more characters of JSON]")


def test_describe_table_bounds_sample_and_stat_cells(svc: SqlService) -> None:
    info = svc.describe_table("big").structured_content
    sample = info["sample_rows"][0]
    assert all(len(json.dumps(v)) < 100 for v in sample)
    assert sample[2].startswith("[0,1,2,") and sample[2].endswith("…")


def test_column_names_are_escaped_like_values_in_the_text_table(svc: SqlService) -> None:
    assert text_table(["a|b", "c\nd"], [[1, 2]]).splitlines() == ["a¦b | c d", "--- | ---", "1 | 2"]
    text = svc.run_query('SELECT 1 AS "a|b", 2 AS "c\nd"').content[0].text
    assert text.splitlines()[1:] == ["a¦b | c d", "--- | ---", "1 | 2"]


def test_describe_table_finds_names_with_quotes_dots_and_schemas(tmp_path: Path) -> None:
    db = tmp_path / "names.duckdb"
    con = duckdb.connect(str(db))
    con.execute(
        'CREATE TABLE "quo""te"(x INT); CREATE TABLE quote(y INT); CREATE TABLE "my.table"(z INT); '
        'CREATE SCHEMA s; CREATE TABLE s.orders(w INT); CREATE TABLE "Mixed"(v INT)'
    )
    con.close()
    service = SqlService(SqlSettings(db=db))
    try:
        listed = {t["name"] for t in service.list_tables().structured_content["tables"]}
        assert {'quo"te', "quote", "my.table", "s.orders", "Mixed"} <= listed
        expected = {
            'quo"te': 'quo"te',
            '"quo""te"': 'quo"te',
            'main."quo""te"': 'quo"te',
            "quote": "quote",
            '"quote"': "quote",
            "my.table": "my.table",
            '"my.table"': "my.table",
            "s.orders": "s.orders",
            '"s"."orders"': "s.orders",
            "S.ORDERS": "s.orders",
            "mixed": "Mixed",
            "main.customers_nope": None,
        }
        for name, table in expected.items():
            got = service.describe_table(name)
            if table is None:
                assert got.is_error
            else:
                assert not got.is_error, (name, got.content[0].text)
                assert got.structured_content["table"] == table, name
    finally:
        service.engine.close()


def test_data_files_that_fail_to_load_are_listed_with_why(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "good.csv").write_text("a\n1\n", encoding="utf-8")
    (data / "bad.json").write_text("{not json", encoding="utf-8")
    (data / "bad.parquet").write_bytes(b"not a parquet file")
    service = SqlService(SqlSettings(data_dirs=[data]))
    try:
        listed = service.list_tables()
        assert [t["name"] for t in listed.structured_content["tables"]] == ["good"]
        skipped = listed.structured_content["skipped_files"]
        assert sorted(f.split(":")[0] for f in skipped) == [str(data / "bad.json"), str(data / "bad.parquet")]
        assert all(len(f.split(": ", 1)[1]) > 5 for f in skipped)  # a reason for each
        text = listed.content[0].text
        schema = catalog.schema_document(service.engine)
        for f in skipped:
            assert f"- {f}" in text.splitlines() and f"- {f}" in schema.splitlines()
    finally:
        service.engine.close()
