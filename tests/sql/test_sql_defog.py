"""Correctness on real data: the defog sql-eval databases and gold queries, and Chinook.

Every gold query DuckDB can run must give the same result through run_query (in-process MCP
client over the real server) as on a plain DuckDB connection, and none may be refused by the
safety checks. The full set of 210 questions takes about 10-20 s here, so it is in the default run.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import duckdb
import pytest
from mcp import Client

from mcp_servers.sql.server import build_server
from sleuth.config import Settings, SqlSettings

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
DEFOG = SHARED / "defog"
CHINOOK = SHARED / "chinook" / "Chinook_Sqlite.sqlite"
KNOWN_REASONS = {
    "runs, same result",
    "PostgreSQL-only function (to_char)",
    "PostgreSQL-only function (to_date)",
    "GROUP BY rule stricter than PostgreSQL",
}

pytestmark = pytest.mark.skipif(not DEFOG.is_dir(), reason=f"shared defog data not found at {DEFOG}")


def _loader() -> ModuleType:
    spec = importlib.util.spec_from_file_location("load_defog", REPO / "scripts" / "load_defog.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["load_defog"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def loader() -> ModuleType:
    return _loader()


def test_brace_alternatives_expand_to_all_columns(loader: ModuleType) -> None:
    q = "SELECT {a.id, a.name}, count(*) FROM a GROUP BY {}"
    assert loader.expand_braces(q) == "SELECT a.id, a.name, count(*) FROM a GROUP BY a.id, a.name"
    golds = loader.gold_queries(DEFOG / "questions_gen_postgres.csv")
    assert len(golds) == 210 and all(g.alternatives for g in golds)
    assert not any("{" in a for g in golds for a in g.alternatives)


@pytest.mark.timeout(240)
def test_gold_queries_match_direct_duckdb(loader: ModuleType, tmp_path: Path) -> None:
    for dump in sorted(DEFOG.glob("*.sql")):
        report = loader.load_dump(dump, tmp_path)
        assert not report.failed, f"{dump.name}: {report.failed}"
    golds = loader.gold_queries(DEFOG / "questions_gen_postgres.csv")
    report = asyncio.run(loader.check_gold(tmp_path, golds))
    assert report["mismatches"] == []
    assert report["questions"] == 210
    assert report["questions_run"] >= 200, report["not_run"]
    outcomes = report["alternative_outcomes"]
    assert set(outcomes) <= KNOWN_REASONS, outcomes
    assert "refused by the server's safety checks" not in outcomes
    assert sum(outcomes.values()) == report["alternatives"]


@pytest.mark.skipif(not CHINOOK.is_file(), reason=f"Chinook not found at {CHINOOK}")
async def test_chinook_copied_from_sqlite_answers_through_run_query(loader: ModuleType, tmp_path: Path) -> None:
    db = loader.load_chinook(CHINOOK, tmp_path)
    sql = (
        'SELECT g."Name" AS genre, round(sum(il."UnitPrice" * il."Quantity"), 2) AS revenue '
        'FROM "InvoiceLine" il JOIN "Track" t USING ("TrackId") JOIN "Genre" g USING ("GenreId") '
        "GROUP BY ALL ORDER BY revenue DESC LIMIT 3"
    )
    con = duckdb.connect(str(db), read_only=True)
    want = [[name, float(v)] for name, v in con.execute(sql).fetchall()]
    tables = con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()[0]
    con.close()
    assert tables == 11
    async with Client(build_server(Settings(sql=SqlSettings(db=db)))) as client:
        r = await client.call_tool("run_query", {"sql": sql})
        assert not r.is_error
        assert r.structured_content["rows"] == want
        assert want[0][0] == "Rock"
