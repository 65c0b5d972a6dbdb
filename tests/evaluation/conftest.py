"""Fixtures for tests/evaluation (see evaltestkit.py)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from evaltestkit import build_index, copy_demo


@pytest.fixture(scope="session")
def indexed_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace with its docs index built once per session (read-only for tests)."""
    ws = copy_demo(tmp_path_factory.mktemp("eval-demo") / "ws")
    build_index(ws)
    return ws


@pytest.fixture
def demo_copy(indexed_demo: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the indexed demo for one test."""
    return Path(shutil.copytree(indexed_demo, tmp_path / "ws"))


# Two cases that must FAIL the replay: proof that the oracle can tell a drifted set from a good one.
SENTINELS = [
    {
        "id": "sentinel-drifted-fact",
        "question": "How long is the return window?",
        "tags": ["docs"],
        "facts": [{"value": 45}],
        "gold_calls": [
            {
                "server": "docs",
                "tool": "search_docs",
                "args": {"query": "return window days", "k": 5},
                "expect": [{"value": "45 calendar days"}],
            },
        ],
    },
    {
        "id": "sentinel-broken-call",
        "question": "How many widgets?",
        "tags": ["sql"],
        "facts": [{"value": 1}],
        "gold_calls": [
            {
                "server": "sql",
                "tool": "run_query",
                "args": {"sql": "SELECT count(*) FROM no_such_table"},
                "expect": [{"value": 1}],
            },
        ],
    },
]


@pytest.fixture(scope="session")
def offline_run(indexed_demo: Path):
    """The golden set (plus SENTINELS) replayed once over one bridge to the real stdio servers."""
    import asyncio

    from sleuth.config import load_settings
    from sleuth.evaluation.cases import Case, load_cases
    from sleuth.evaluation.offline import open_bridge, run_offline

    cases = load_cases(indexed_demo / "golden.yaml") + [Case.model_validate(s) for s in SENTINELS]

    async def replay():
        async with open_bridge(load_settings(indexed_demo, environ={})) as bridge:
            return await run_offline(bridge, cases)

    return asyncio.run(replay())
