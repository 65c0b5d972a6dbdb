"""Defence in depth: each safety layer refuses on its own, without the others.

The sqlglot allow-list is tested on text alone; the engine is tested with the allow-list bypassed
(raw SQL straight into the locked-down connection), so a gap in one layer would show here.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from mcp_servers.sql.engine import Engine
from mcp_servers.sql.errors import QueryFailed, QueryRefused, QueryTimeout
from mcp_servers.sql.results import text_table
from mcp_servers.sql.safety import DENIED_FUNCTIONS, TABLE_FUNCTIONS, check_sql, path_inside_roots
from sleuth.config import SqlSettings
from tests.sql.conftest import SqlWorkspace, serve_sql_refused, sha256


@pytest.fixture(scope="module")
def engine(sql_ws: SqlWorkspace) -> Iterator[Engine]:
    eng = Engine(SqlSettings(db=sql_ws.db, data_dirs=[sql_ws.data], timeout_s=1.0))
    yield eng
    eng.close()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM customers",
        "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
        "SELECT 1 UNION ALL SELECT 2",
        "VALUES (1), (2)",
        "DESCRIBE customers",
        "SUMMARIZE customers",
        "FROM customers SELECT name",
        "SELECT region, count(*) FROM customers GROUP BY ALL ORDER BY ALL",
        "SELECT * FROM range(5)",
        "SELECT 'DROP TABLE customers' AS s",
        "SHOW TABLES",
        "CALL pragma_table_info('customers')",
        "CALL duckdb_tables()",
        "SHOW customers",
        'SHOW "customers"',
        "SHOW DATABASES",
        "SELECT 1; /* done */",
        "SELECT * FROM customers LIMIT 1;\n-- done",
        "SELECT * FROM json_each('{\"a\": 1}')",
        "SELECT * FROM unnest([1, 2])",
    ],
)
def test_allow_list_accepts_reads(sql: str) -> None:
    assert check_sql(sql, []).statement


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("DROP TABLE customers", "DROP"),
        ("SELECT 1; SELECT 2", "one statement per call"),
        ("CALL checkpoint()", "CALL may run only catalog table functions"),
        ("SELECT * FROM read_csv('/etc/passwd')", "no data folders"),
        ("SELECT * FROM query('select 1')", "query()"),
        ("SET threads = 1", "SET"),
        ("", "empty"),
        ("SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))", "json_execute_serialized_sql()"),
        ("SELECT setval('seq', 5)", "setval()"),
        ("SELECT * FROM copy_database('a', 'b')", "copy_database()"),
        ("SELECT * FROM some_macro()", "table function some_macro() is not one this server allows"),
        ("SELECT * FROM read_single_csv_file('/etc/passwd')", "no data folders"),
        ("SHOW read_csv('/etc/passwd')", "not a form this server runs"),
        ("SHOW '/etc/passwd'", "no data folders"),
    ],
)
def test_allow_list_refuses_with_reason(sql: str, why: str) -> None:
    with pytest.raises(QueryRefused) as info:
        check_sql(sql, [])
    assert why in info.value.text()


# Scalar functions DuckDB marks as having side effects that were looked at and found harmless:
# volatile values and diagnostics, none of which writes or reaches outside the database.
HARMLESS_SIDE_EFFECT_SCALARS = {
    "random",
    "uuid",
    "uuidv4",
    "uuidv7",
    "gen_random_uuid",
    "current_connection_id",
    "current_query",
    "current_query_id",
    "current_transaction_id",
    "error",
    "sleep_ms",  # bounded by the query time limit
    "stats",
    "vector_type",
}


def test_every_duckdb_function_with_side_effects_is_reviewed() -> None:
    """A DuckDB upgrade that adds a scalar with side effects fails here until someone classifies it.
    (Table functions need no such list: only those in TABLE_FUNCTIONS/FILE_FUNCTIONS may be used.)"""
    con = duckdb.connect()
    rows = con.execute(
        "SELECT DISTINCT function_name FROM duckdb_functions() WHERE has_side_effects AND function_type = 'scalar'"
    ).fetchall()
    unreviewed = {r[0] for r in rows} - DENIED_FUNCTIONS - HARMLESS_SIDE_EFFECT_SCALARS
    assert not unreviewed, f"classify these in safety.DENIED_FUNCTIONS or the harmless list: {sorted(unreviewed)}"
    assert not DENIED_FUNCTIONS & TABLE_FUNCTIONS


def test_write_mode_allows_dml_but_never_engine_control() -> None:
    assert check_sql("INSERT INTO t VALUES (1)", [], write=True).statement == "Insert"
    for sql in ("ATTACH 'x.db' AS x", "COPY t TO 'x.csv'", "SET threads = 1", "INSTALL httpfs"):
        with pytest.raises(QueryRefused):
            check_sql(sql, [], write=True)


def test_path_check_resolves_traversal_globs_and_symlinks(sql_ws: SqlWorkspace) -> None:
    roots = [sql_ws.data]
    assert path_inside_roots(str(sql_ws.data / "sales.csv"), roots)
    assert path_inside_roots(str(sql_ws.data / "**" / "*.csv"), roots)
    assert not path_inside_roots(str(sql_ws.data / ".." / "secret" / "secret.csv"), roots)
    assert not path_inside_roots(str(sql_ws.data / "link.txt"), roots)  # symlink to the secret
    assert not path_inside_roots("s3://bucket/x.parquet", roots)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/etc/*')",
        "COPY customers TO '/tmp/sleuth-leak.csv'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "DROP TABLE customers",
        "CREATE TABLE evil AS SELECT 1",
        "ATTACH ':memory:' AS m",
    ],
)
def test_engine_refuses_without_the_allow_list(engine: Engine, sql: str) -> None:
    with pytest.raises(QueryFailed):
        engine.fetch(sql, 10, 10_000)


def test_engine_reads_data_folder_views_and_interrupts_runaway_queries(engine: Engine, sql_ws: SqlWorkspace) -> None:
    before = sha256(sql_ws.db)
    assert engine.fetch("SELECT sum(total) FROM sales", 10, 10_000).rows == [[30]]
    assert any("escape.csv" in f for f in engine.skipped_files)  # links outside: no view
    assert engine.fetch(f"SELECT count(*) FROM read_parquet('{sql_ws.data}/events.parquet')", 1, 1000).rows == [[50]]
    with pytest.raises(QueryTimeout, match="time limit"):
        engine.fetch("SELECT count(*) FROM range(100000000000)", 1, 1000)
    assert engine.fetch("SELECT 42", 1, 100).rows == [[42]]
    assert sha256(sql_ws.db) == before


def test_opening_a_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    from sleuth.errors import SleuthError

    with pytest.raises(SleuthError, match="does not exist"):
        Engine(SqlSettings(db=tmp_path / "nope.duckdb"))
    assert not (tmp_path / "nope.duckdb").exists()


def test_memory_thread_and_time_limits_come_from_settings(sql_ws: SqlWorkspace, tmp_path: Path) -> None:
    db = tmp_path / "own.duckdb"
    shutil.copy(sql_ws.db, db)  # a file no other engine in this process has opened
    eng = Engine(SqlSettings(db=db, threads=1, memory_limit="256MB", timeout_s=0.5))
    try:
        got = eng.fetch("SELECT current_setting('threads'), current_setting('memory_limit')", 1, 1000).rows
        assert got[0][0] == 1 and got[0][1] == "244.1 MiB"  # 256 MB
        assert eng.fetch("SELECT current_setting('lock_configuration')", 1, 1000).rows == [[True]]
        with pytest.raises(QueryTimeout, match=r"0\.5 s"):
            eng.fetch("SELECT count(*) FROM range(100000000000)", 1, 1000)
    finally:
        eng.close()


def test_a_second_engine_on_the_same_file_in_one_process_works(engine: Engine, sql_ws: SqlWorkspace) -> None:
    # DuckDB shares one locked instance per file in a process; the second engine must still serve.
    second = Engine(SqlSettings(db=sql_ws.db, data_dirs=[sql_ws.data]))
    try:
        assert second.fetch("SELECT count(*) FROM customers", 1, 1000).rows == [[200]]
        assert second.fetch("SELECT count(*) FROM sales", 1, 1000).rows == [[2]]
        with pytest.raises(QueryFailed):
            second.fetch("SELECT * FROM read_csv('/etc/passwd')", 1, 1000)
    finally:
        second.close()
    assert engine.fetch("SELECT count(*) FROM customers", 1, 1000).rows == [[200]]


def test_data_folders_alone_need_no_database_file(sql_ws: SqlWorkspace) -> None:
    eng = Engine(SqlSettings(data_dirs=[sql_ws.data]))
    try:
        assert eng.fetch("SELECT sku, qty FROM nested_items ORDER BY sku", 10, 1000).rows == [["a", 1], ["b", 2]]
        assert eng.fetch("SELECT count(*) FROM events", 1, 1000).rows == [[50]]
        with pytest.raises(QueryFailed):
            eng.fetch(f"ATTACH '{sql_ws.root / 'new.duckdb'}' AS x", 1, 1000)
    finally:
        eng.close()
    assert not (sql_ws.root / "new.duckdb").exists()


def test_values_of_every_kind_become_json() -> None:
    import datetime as dt
    import json
    import uuid
    from decimal import Decimal

    from mcp_servers.sql.results import jsonable

    row = [
        Decimal("1.25"),
        Decimal("12345678901234567890.12"),
        float("nan"),
        dt.date(2024, 1, 2),
        dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        dt.timedelta(days=3),
        uuid.UUID(int=1),
        b"ab",
        {"k": [1, Decimal("2.5")]},
        (1, 2),
    ]
    assert jsonable(row) == [
        1.25,
        "12345678901234567890.12",  # a float would lose digits
        "nan",
        "2024-01-02",
        "2024-01-02T03:04:05+00:00",
        "3 days, 0:00:00",
        "00000000-0000-0000-0000-000000000001",
        "base64:YWI=",
        {"k": [1, 2.5]},
        [1, 2],
    ]
    json.dumps(jsonable(row), allow_nan=False)


EVERY_KIND_SQL = """SELECT * FROM (VALUES
    (true, 1::TINYINT, 2::HUGEINT, 3::UBIGINT, 'a|b', 1.5::DOUBLE, 'nan'::DOUBLE, 'inf'::FLOAT,
     12.3::DECIMAL(4,1), 1234567890123.45::DECIMAL(15,2), 1234567890123456.78::DECIMAL(18,2),
     0.1::DECIMAL(38,30), TIMESTAMP '2024-01-02 03:04:05.123456', TIMESTAMPTZ '2024-01-02 03:04:05+02',
     DATE '2024-01-02', TIME '03:04:05', 'infinity'::TIMESTAMP, INTERVAL 3 DAY,
     '00000000-0000-0000-0000-000000000001'::UUID, 'ab'::BLOB,
     [1, 2], {'k': 2.5::DECIMAL(3,1)}, MAP {'x': 1}),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL)
)"""


def test_fetch_converts_each_column_exactly_as_jsonable_would(engine: Engine) -> None:
    # fetch specialises the conversion per column type; the values must not change by it.
    from mcp_servers.sql.results import jsonable

    got = engine.fetch(EVERY_KIND_SQL, 10, 100_000)
    direct = [[jsonable(v) for v in row] for row in engine.conn.execute(EVERY_KIND_SQL).fetchall()]
    # Except what Python cannot hold: ±infinity and intervals come back as DuckDB's own text.
    assert direct[0][16:18] == ["9999-12-31T23:59:59.999999", "3 days, 0:00:00"]
    direct[0][16:18] = ["infinity", "3 days"]
    assert got.rows == direct
    assert got.rows[1] == [None] * 23
    assert got.rows[0][8:11] == [12.3, 1234567890123.45, "1234567890123456.78"]  # floats only when exact
    assert got.chars == sum(len(json.dumps(r, ensure_ascii=False, separators=(",", ":"))) + 1 for r in got.rows)


def test_text_table_by_column_type_reads_as_cell_by_cell(engine: Engine) -> None:
    # run_query formats its text table per column type; the text must not change by it.
    long_text = "SELECT 'first | line\nsecond' || repeat('x', 80) AS t, 'x' AS short, NULL::VARCHAR AS n"
    for sql in (EVERY_KIND_SQL, long_text):
        got = engine.fetch(sql, 10, 100_000)
        assert text_table(got.columns, got.rows, got.types) == text_table(got.columns, got.rows)
    assert text_table(got.columns, got.rows, got.types).splitlines()[2].startswith("first ¦ line second" + "x" * 30)


def test_a_limit_shorter_than_the_watchdog_nap_still_fires_on_time(sql_ws: SqlWorkspace, tmp_path: Path) -> None:
    # The watchdog naps for sql.timeout_s between queries and is woken only for a nearer deadline.
    db = tmp_path / "own.duckdb"
    shutil.copy(sql_ws.db, db)
    eng = Engine(SqlSettings(db=db, timeout_s=60))
    try:
        assert eng.fetch("SELECT 1", 1, 100).rows == [[1]]
        time.sleep(0.2)  # now surely napping, for 60 s
        started = time.monotonic()
        with pytest.raises(QueryTimeout, match=r"0\.3 s"):
            eng.internal("SELECT count(*) FROM range(100000000000)", timeout_s=0.3)
        assert time.monotonic() - started < 5
        assert eng.fetch("SELECT 42", 1, 100).rows == [[42]]  # the finished deadline does not linger
    finally:
        eng.close()


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT age(DATE '2024-03-01', DATE '2023-01-01')", "1 year 2 months"),
        ("SELECT INTERVAL 1 MONTH", "1 month"),
        ("SELECT INTERVAL '1 day' * 1000000000", "1000000000 days"),  # past timedelta's range
        ("SELECT 'infinity'::TIMESTAMP", "infinity"),
        ("SELECT '-infinity'::TIMESTAMP", "-infinity"),
        ("SELECT 'infinity'::DATE", "infinity"),
        ("SELECT '-infinity'::TIMESTAMPTZ", "-infinity"),
        ("SELECT '2024-01-02 03:04:05.123456789'::TIMESTAMP_NS", "2024-01-02 03:04:05.123456789"),
        ("SELECT [INTERVAL 1 MONTH, INTERVAL 2 DAY]", "[1 month, 2 days]"),
        ("SELECT DATE '9999-12-31'", "9999-12-31"),  # a real last date stays itself
        ("SELECT TIMESTAMP '0001-01-01 00:00:00'", "0001-01-01 00:00:00"),  # at the limit: DuckDB's text
    ],
)
def test_values_python_cannot_hold_come_back_as_duckdb_text(engine: Engine, sql: str, expected: str) -> None:
    assert engine.fetch(sql, 10, 100_000).rows == [[expected]]


def test_a_text_column_keeps_row_order_names_and_the_other_columns(engine: Engine) -> None:
    sql = (
        "SELECT i AS a, INTERVAL (i) MONTH AS a, TIMESTAMP '2024-01-02 03:04:05' AS t, "
        "CASE WHEN i = 1 THEN 'infinity'::DATE ELSE DATE '2024-01-01' END AS d "
        "FROM range(3) r(i) ORDER BY i DESC;  "
    )
    got = engine.fetch(sql, 10, 100_000)
    assert got.columns == ["a", "a", "t", "d"] and got.types == ["BIGINT", "INTERVAL", "TIMESTAMP", "DATE"]
    assert got.rows == [
        [2, "2 months", "2024-01-02T03:04:05", "2024-01-01"],
        [1, "1 month", "2024-01-02T03:04:05", "infinity"],
        [0, "00:00:00", "2024-01-02T03:04:05", "2024-01-01"],
    ]
    with_comment = engine.fetch("SELECT INTERVAL 2 MONTH -- trailing comment", 10, 100_000)
    assert with_comment.rows == [["2 months"]]


def test_integers_past_2_pow_53_are_strings(engine: Engine) -> None:
    sql = (
        "SELECT 9007199254740991::BIGINT, 9007199254740992::BIGINT, -9007199254740993::BIGINT, "
        "18446744073709551615::UBIGINT, 170141183460469231731687303715884105727::HUGEINT, "
        "340282366920938463463374607431768211455::UHUGEINT, [9007199254740993, 1]::BIGINT[], "
        "{'n': 9007199254740993::HUGEINT}, 0.1::FLOAT, 16777216::FLOAT, 'inf'::FLOAT, 0.1::DOUBLE"
    )
    got = engine.fetch(sql, 10, 100_000)
    assert got.rows == [
        [
            9007199254740991,
            "9007199254740992",
            "-9007199254740993",
            "18446744073709551615",
            "170141183460469231731687303715884105727",
            "340282366920938463463374607431768211455",
            ["9007199254740993", 1],
            {"n": "9007199254740993"},
            0.10000000149011612,  # a FLOAT as DuckDB's Python client reads it, as jsonable keeps it
            16777216.0,
            "inf",
            0.1,
        ]
    ]
    from mcp_servers.sql.models import RunQueryOutput

    assert "2^53" in json.dumps(RunQueryOutput.model_json_schema())


def test_a_folder_as_database_and_a_file_as_data_folder_are_named_for_what_they_are(tmp_path: Path) -> None:
    from sleuth.errors import SleuthError

    with pytest.raises(SleuthError, match="is a folder, not a DuckDB file"):
        Engine(SqlSettings(db=tmp_path))
    data_file = tmp_path / "sales.csv"
    data_file.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(SleuthError, match="is a file, not a folder"):
        Engine(SqlSettings(data_dirs=[data_file]))
    with pytest.raises(SleuthError, match="does not exist"):
        Engine(SqlSettings(data_dirs=[tmp_path / "nope"]))


def test_a_bad_serve_flag_value_names_the_flag_that_exists(tmp_path: Path) -> None:
    import typer.main

    from sleuth import cli

    proc = serve_sql_refused(tmp_path, "--timeout", "0")
    assert proc.returncode != 0
    assert "command-line flag --timeout" in proc.stderr and "--sql-timeout-s" not in proc.stderr
    # Every flag the errors name is a real option of some command.
    options = {
        o
        for c in typer.main.get_command(cli.app).commands.values()
        for p in c.params
        for o in (*p.opts, *p.secondary_opts)
    }
    for how in cli.FLAGS.values():
        if how.startswith("flag "):
            assert set(how.removeprefix("flag ").split("/")) <= options, how
