"""The committed demo workspace is exactly what the generator produces, and its docs agree with its data.

Regenerates into a temp folder (never into examples/), then compares: text and binary docs byte for
byte, the DuckDB file table by table (its bytes are not stable), QBR numbers against independent SQL.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pypdf
import pytest

from sleuth.config import check_paths, load_settings

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
from demo_content.database import content_digest  # noqa: E402
from demo_content.metrics import SQL_FACTS, run_fact  # noqa: E402
from make_demo import KEPT  # noqa: E402

DEMO = REPO / "examples" / "demo"
DB = Path("data") / "kestrel.duckdb"
TABLES = [
    "regions",
    "suppliers",
    "stores",
    "employees",
    "products",
    "customers",
    "orders",
    "order_items",
    "returns",
    "support_tickets",
]

pytestmark = pytest.mark.skipif(not (DEMO / DB).is_file(), reason="examples/demo has not been generated")


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("regen") / "demo"
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_demo.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return out


def _workspace_files(root: Path) -> set[str]:
    return {
        rel
        for p in root.rglob("*")
        if p.is_file() and p.suffix != ".duckdb" and (rel := p.relative_to(root).as_posix()).split("/")[0] not in KEPT
    }


def test_regeneration_is_byte_identical(regenerated: Path) -> None:
    committed, fresh = _workspace_files(DEMO), _workspace_files(regenerated)
    assert committed == fresh
    differing = [rel for rel in sorted(fresh) if (DEMO / rel).read_bytes() != (regenerated / rel).read_bytes()]
    assert differing == [], f"regenerate with scripts/make_demo.py; stale: {differing}"


def test_regenerated_tables_are_identical(regenerated: Path) -> None:
    committed = content_digest(DEMO / DB)
    assert committed == content_digest(regenerated / DB)
    assert [row[0] for row in committed[: len(TABLES)]] == TABLES


def test_schema_has_keys_and_comments() -> None:
    con = duckdb.connect(str(DEMO / DB), read_only=True)
    try:
        tables = {r[0]: r[1] for r in con.execute("SELECT table_name, comment FROM duckdb_tables()").fetchall()}
        assert sorted(tables) == sorted(TABLES)
        assert all(tables.values()), "every table has a COMMENT"
        kinds = {r[0] for r in con.execute("SELECT constraint_type FROM duckdb_constraints()").fetchall()}
        assert {"PRIMARY KEY", "FOREIGN KEY"} <= kinds
        total = sum(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES)
        assert 2000 <= total <= 20000
    finally:
        con.close()


# Independent re-statement of the QBR definitions (see the workspace README), not the generator's SQL.
QBR_CHECKS = {
    "Completed orders": (
        "SELECT count(*) FROM orders WHERE status = 'completed' AND order_date BETWEEN ? AND ?",
        "{:d}",
    ),
    "Net sales": (
        "SELECT sum(i.quantity * i.unit_price) FROM orders o JOIN order_items i USING (order_id) "
        "WHERE o.status = 'completed' AND o.order_date BETWEEN ? AND ?",
        "${:,.2f}",
    ),
    "Gross margin": (
        "SELECT round(100 * sum(i.quantity * (i.unit_price - p.unit_cost)) / "
        "sum(i.quantity * i.unit_price), 1) FROM orders o JOIN order_items i USING (order_id) "
        "JOIN products p USING (product_id) WHERE o.status = 'completed' "
        "AND o.order_date BETWEEN ? AND ?",
        "{:.1f}%",
    ),
    "Returns filed": ("SELECT count(*) FROM returns WHERE return_date BETWEEN ? AND ?", "{:d}"),
    "Support tickets opened": (
        "SELECT count(*) FROM support_tickets WHERE CAST(opened_at AS DATE) BETWEEN ? AND ?",
        "{:d}",
    ),
}
QUARTER_BOUNDS = {1: ("01-01", "03-31"), 2: ("04-01", "06-30"), 3: ("07-01", "09-30"), 4: ("10-01", "12-31")}


@pytest.mark.parametrize("year", [2024, 2025])
@pytest.mark.parametrize("quarter", [1, 2, 3, 4])
def test_qbr_numbers_match_sql(year: int, quarter: int) -> None:
    text = (DEMO / "docs" / "finance" / f"qbr-fy{year}-q{quarter}.md").read_text(encoding="utf-8")
    start, end = (f"{year}-{d}" for d in QUARTER_BOUNDS[quarter])
    con = duckdb.connect(str(DEMO / DB), read_only=True)
    try:
        for label, (sql, fmt) in QBR_CHECKS.items():
            value = con.execute(sql, [start, end]).fetchall()[0][0]
            expected = fmt.format(float(value) if "f}" in fmt else value)
            found = re.search(rf"^\| {re.escape(label)} \| (.+?) \|$", text, re.MULTILINE)
            assert found, f"{label} missing from QBR {year} Q{quarter}"
            assert found.group(1) == expected, f"{label} {year} Q{quarter}: doc {found.group(1)} != SQL {expected}"
    finally:
        con.close()


def test_readme_sql_facts_match_database() -> None:
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    con = duckdb.connect(str(DEMO / DB), read_only=True)
    try:
        for fact in SQL_FACTS:
            row = re.search(rf"^\| S\d+ \| `{fact.key}` \| .+? \| (.+?) \|$", readme, re.MULTILINE)
            assert row, fact.key
            assert row.group(1) == run_fact(con, fact), fact.key
    finally:
        con.close()
    assert len(re.findall(r"^\| [DFS]\d+ \|", readme, re.MULTILINE)) >= 40


def test_settings_load_and_paths_exist() -> None:
    settings = load_settings(DEMO, environ={})
    assert settings.docs.paths == [DEMO / "docs"]
    assert settings.sql.db == DEMO / DB
    assert settings.sql.data_dirs == [DEMO / "files" / "exports"]
    assert settings.files.roots == [DEMO / "files", DEMO / "docs"]
    assert check_paths(settings) == []
    assert (DEMO / ".gitignore").read_text() == ".sleuth/\n"


def test_document_mix() -> None:
    docs = [p for p in (DEMO / "docs").rglob("*") if p.is_file()]
    by_suffix: dict[str, list[Path]] = {}
    for doc in docs:
        by_suffix.setdefault(doc.suffix, []).append(doc)
    assert 24 <= len(docs) <= 36
    assert set(by_suffix) == {".md", ".html", ".pdf", ".docx"}
    assert len(by_suffix[".md"]) > len(docs) // 2
    assert len(by_suffix[".html"]) >= 3 and len(by_suffix[".pdf"]) >= 2 and len(by_suffix[".docx"]) >= 2
    pages = {p.name: pypdf.PdfReader(p).pages for p in by_suffix[".pdf"]}
    assert max(len(pg) for pg in pages.values()) >= 3
    security = pages["information-security-policy.pdf"]
    assert "at least 14 characters" in " ".join(pg.extract_text() for pg in security)


def test_injection_docs_and_fake_secret_are_present() -> None:
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Prompt-injection documents", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^- `docs/(.+?)`", section, re.MULTILINE)
    assert len(listed) == 2
    texts = [(DEMO / "docs" / rel).read_text(encoding="utf-8") for rel in listed]
    assert "write_file" in texts[0] and "APPROVED" in texts[1]
    env = (DEMO / "files" / "config" / ".env").read_text(encoding="utf-8")
    assert "PAYMENT_API_KEY=sk_test_FAKE" in env
