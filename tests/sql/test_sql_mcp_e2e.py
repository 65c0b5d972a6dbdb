"""The SQL server through a real MCP client: `sleuth serve sql` over stdio and Streamable HTTP.

Checks what a host relies on: tool names and truthful annotations, structured content, is_error
results with hints, resource links to paged results, the schema resource and the prompt.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from mcp import Client
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError

from tests.sql.conftest import SqlWorkspace, serve_sql_refused, stdio_params

READ_TOOLS = {"list_tables", "describe_table", "run_query", "check_query"}


def _text(result: Any) -> str:
    return "\n".join(getattr(b, "text", "") for b in result.content)


async def _exercise(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == READ_TOOLS
    for t in tools.values():
        assert t.annotations is not None and t.annotations.read_only_hint is True
        assert t.annotations.destructive_hint is False
        assert t.output_schema is not None
    assert "sql" in tools["run_query"].input_schema["properties"]

    listed = await client.call_tool("list_tables", {})
    tables = {t["name"]: t for t in listed.structured_content["tables"]}
    assert tables["customers"]["row_count"] == 200
    assert tables["customers"]["comment"] == "One row per customer"
    assert tables["big_orders"]["kind"] == "view"
    assert {"sales", "events", "nested_items"} <= set(tables)  # the data-folder views

    desc = await client.call_tool("describe_table", {"table": "customers"})
    cols = {c["name"]: c for c in desc.structured_content["columns"]}
    assert cols["name"]["nullable"] is False and cols["region"]["comment"] == "Sales region"
    assert cols["id"]["min"] == 1 and cols["id"]["max"] == 200
    assert len(desc.structured_content["sample_rows"]) == 5

    # A result larger than the row cap: first rows + a resource link, the rest in pages.
    r = await client.call_tool("run_query", {"sql": "SELECT id, name FROM customers ORDER BY id", "max_rows": 10})
    sc = r.structured_content
    assert not r.is_error and sc["truncated"] and sc["row_count"] == 200 and len(sc["rows"]) == 10
    assert sc["sql"].startswith("SELECT id") and sc["query_id"].startswith("q_")
    links = [b for b in r.content if b.type == "resource_link"]
    assert len(links) == 1 and str(links[0].uri) == sc["result_uri"]
    assert f"query_id {sc['query_id']}" in _text(r)
    seen: list[list[Any]] = []
    uri: str | None = sc["result_uri"]
    while uri:
        page = json.loads((await client.read_resource(uri)).contents[0].text)
        seen += page["rows"]
        uri = page["next"]
    assert [row[0] for row in seen] == list(range(1, 201))
    assert page["pages"] == sc["pages"] == 4  # 50 rows per page (SLEUTH_SQL__MAX_ROWS=50)
    with pytest.raises(MCPError):
        await client.read_resource("sql://results/q_doesnotexist?page=1")

    small = await client.call_tool(
        "run_query", {"sql": "SELECT status, count(*) AS n FROM orders GROUP BY 1 ORDER BY 1"}
    )
    assert small.structured_content["rows"] == [["paid", 4500], ["refunded", 500]]
    assert not small.structured_content["truncated"]
    assert not [b for b in small.content if b.type == "resource_link"]

    typed = await client.call_tool(
        "run_query",
        {
            "sql": "SELECT amount, ordered_at, signup FROM orders JOIN customers c ON c.id = customer_id "
            "WHERE orders.id = 1"
        },
    )
    assert typed.structured_content["rows"] == [[1.25, "2024-03-01T01:00:00", "2024-01-03"]]

    bad_col = await client.call_tool("run_query", {"sql": "SELECT nam FROM customers"})
    assert bad_col.is_error and "nam" in _text(bad_col) and "name" in _text(bad_col)
    bad_syntax = await client.call_tool("run_query", {"sql": "SELECT name FORM customers"})
    assert bad_syntax.is_error and "LINE 1" in _text(bad_syntax)
    bad_table = await client.call_tool("check_query", {"sql": "SELECT * FROM customer"})
    assert bad_table.is_error and "customers" in _text(bad_table)

    ok = await client.call_tool("check_query", {"sql": "SELECT region, count(*) AS n FROM customers GROUP BY 1"})
    assert ok.structured_content == {
        "valid": True,
        "statement": "SELECT",
        "tables": ["customers"],
        "columns": [{"name": "region", "type": "VARCHAR"}, {"name": "n", "type": "BIGINT"}],
    }

    call = await client.call_tool("run_query", {"sql": "CALL pragma_table_info('customers')"})
    assert not call.is_error and [r[1] for r in call.structured_content["rows"]] == ["id", "name", "region", "signup"]

    schema = (await client.read_resource("sql://schema")).contents[0].text
    assert "## customers (table, 200 rows)" in schema and "region VARCHAR -- Sales region" in schema
    prompts = {p.name for p in (await client.list_prompts()).prompts}
    assert prompts == {"text_to_sql"}
    prompt = await client.get_prompt("text_to_sql", {"question": "Which region has the most customers?"})
    body = prompt.messages[0].content.text
    assert "DuckDB" in body and "## customers" in body and "Which region" in body and "SELECT" in body


@pytest.mark.timeout(120)
async def test_stdio(sql_ws: SqlWorkspace) -> None:
    async with Client(stdio_params(sql_ws, env={"SLEUTH_SQL__MAX_ROWS": "50"}), read_timeout_seconds=60) as c:
        await _exercise(c)


@pytest.fixture
def http_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLEUTH_SQL__MAX_ROWS", "50")  # inherited by the server subprocess


@pytest.mark.timeout(120)
async def test_streamable_http(http_env: None, http_server: str) -> None:
    async with Client(http_server, read_timeout_seconds=60) as c:
        await _exercise(c)
    # Two sessions at once, several calls in flight each: serialised on the server, all answered.
    async with Client(http_server, read_timeout_seconds=60) as a, Client(http_server, read_timeout_seconds=60) as b:
        sql = "SELECT count(*) FROM orders WHERE customer_id = {}"
        calls = [cl.call_tool("run_query", {"sql": sql.format(i)}) for i in range(1, 6) for cl in (a, b)]
        results = await asyncio.gather(*calls)
        assert all(not r.is_error and r.structured_content["rows"] == [[25]] for r in results)


@pytest.mark.timeout(120)
async def test_read_write_opt_in_exposes_a_destructive_write_tool(sql_ws: SqlWorkspace, tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copy(sql_ws.db, db)
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE VIEW ticket AS SELECT nextval('seq') AS n")
    ws = SqlWorkspace(root=tmp_path, db=db, data=sql_ws.data, secret=sql_ws.secret)
    async with Client(stdio_params(ws, "--read-write"), read_timeout_seconds=60) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        assert set(tools) == READ_TOOLS | {"execute_write"}
        ann = tools["execute_write"].annotations
        assert ann.destructive_hint is True and ann.read_only_hint is False
        assert tools["run_query"].annotations.read_only_hint is True

        w = await c.call_tool("execute_write", {"sql": "INSERT INTO customers VALUES (201, 'new', 'north', NULL)"})
        assert not w.is_error and w.structured_content["statement"] == "INSERT"
        assert w.structured_content["rows_affected"] == 1
        n = await c.call_tool("run_query", {"sql": "SELECT count(*) FROM customers"})
        assert n.structured_content["rows"] == [[201]]
        assert (await c.call_tool("run_query", {"sql": "DELETE FROM customers"})).is_error
        for sql in ("ATTACH 'x.db' AS x", f"COPY customers TO '{tmp_path / 'x.csv'}'", "SET threads = 1"):
            assert (await c.call_tool("execute_write", {"sql": sql})).is_error

        # run_query stays read-only even through what the allow-list cannot see: the body of a view
        # that advances a sequence (made outside Sleuth) is refused inside its read-only transaction.
        sneaky = await c.call_tool("run_query", {"sql": "SELECT * FROM ticket"})
        assert sneaky.is_error and "read-only" in sneaky.content[0].text
        serialized = "SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT nextval(''seq'')'))"
        assert (await c.call_tool("run_query", {"sql": serialized})).is_error
        after = await c.call_tool("run_query", {"sql": "SELECT count(*) FROM customers"})
        assert not after.is_error and after.structured_content["rows"] == [[201]]  # the session still works
    assert not (tmp_path / "x.csv").exists()
    con = duckdb.connect(str(db), read_only=True)
    last = con.execute("SELECT last_value FROM duckdb_sequences() WHERE sequence_name = 'seq'").fetchone()
    con.close()
    assert last == (None,)  # the sequence was never advanced


async def test_a_missing_database_fails_fast_with_one_clear_line(tmp_path: Path) -> None:
    proc = serve_sql_refused(tmp_path, "--db", str(tmp_path / "nope.duckdb"))
    assert proc.returncode != 0
    assert "does not exist" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "nope.duckdb").exists()


@pytest.mark.timeout(120)
async def test_bad_pages_and_a_missing_question_are_clear_errors_without_tracebacks(
    sql_ws: SqlWorkspace, tmp_path: Path
) -> None:
    errlog_path = tmp_path / "stderr.txt"
    with errlog_path.open("w", encoding="utf-8") as errlog:
        async with Client(stdio_client(stdio_params(sql_ws), errlog=errlog), read_timeout_seconds=60) as c:
            r = await c.call_tool("run_query", {"sql": "SELECT id FROM customers ORDER BY id", "max_rows": 5})
            qid = r.structured_content["query_id"]
            for page in ("abc", "1.5", "1e3", "", "0", "-1"):
                with pytest.raises(MCPError) as err:
                    await c.read_resource(f"sql://results/{qid}?page={page}")
                assert f"page must be a positive integer (got {page!r})" in str(err.value)
            first = json.loads((await c.read_resource(f"sql://results/{qid}?page=1")).contents[0].text)
            assert first["first_row"] == 1
            with pytest.raises(MCPError, match="does not exist"):
                await c.read_resource(f"sql://results/{qid}?page=99")
            with pytest.raises(MCPError, match="question is required"):
                await c.get_prompt("text_to_sql", {})
            (prompt,) = (await c.list_prompts()).prompts
            assert [(a.name, a.required) for a in prompt.arguments] == [("question", True)]
    stderr = errlog_path.read_text(encoding="utf-8")
    assert "Traceback" not in stderr and "Error creating resource" not in stderr, stderr[:3000]
