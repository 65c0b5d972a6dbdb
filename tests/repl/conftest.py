"""Fixtures for the REPL tests: a pre-indexed demo workspace copy per test and a tmux terminal."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from repl_term import DEMO, SLEUTH, Term


@pytest.fixture(scope="session")
def indexed_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace with its docs index built once for the whole session."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (scripts/ci_setup.sh installs it)")
    if not (DEMO / "sleuth.toml").is_file():
        pytest.skip("examples/demo is missing (scripts/make_demo.py builds it)")
    ws = tmp_path_factory.mktemp("demo") / "ws"
    shutil.copytree(DEMO, ws, ignore=shutil.ignore_patterns(".sleuth"))
    proc = subprocess.run([SLEUTH, "ingest", "-w", str(ws)], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    return ws


@pytest.fixture(scope="session")
def return_window_id(indexed_demo: Path) -> str:
    """The citation id of the "Return window" passage, read from the index the server will search."""
    import duckdb

    [db] = (indexed_demo / ".sleuth" / "index").glob("gen-*/chunks.duckdb")
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            "SELECT citation_id FROM chunks WHERE source = 'docs/policies/returns-and-refunds.md' "
            "AND list_contains(heading_path, 'Return window')"
        ).fetchone()
    assert row is not None, "the demo's returns policy has no 'Return window' section"
    return str(row[0])


@pytest.fixture
def workspace(indexed_demo: Path, tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(indexed_demo, ws, ignore=shutil.ignore_patterns("logs"))
    return ws


@pytest.fixture
def term(tmp_path: Path) -> Iterator[Term]:
    t = Term(tmp_path)
    try:
        yield t
    finally:
        t.close()
