"""langgraph.json points at a factory that builds a working graph from $SLEUTH_WORKSPACE."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import yaml

from agent.state import new_turn

REPO = Path(__file__).resolve().parents[2]


async def test_langgraph_json_factory_runs_a_turn(workspace: Path, monkeypatch) -> None:
    spec = json.loads((REPO / "langgraph.json").read_text())["graphs"]["sleuth"]
    path, attr = spec.split(":")
    module = importlib.util.spec_from_file_location("sleuth_graph_entry", REPO / path)
    assert module is not None and module.loader is not None
    mod = importlib.util.module_from_spec(module)
    module.loader.exec_module(mod)
    factory = getattr(mod, attr)

    script = workspace / "server-entry.yaml"
    script.write_text(
        yaml.safe_dump(
            [
                {"structured": {"sources": [], "subquestions": [], "needs_tools": False, "remember": []}},
                {"text": "Hello from the LangGraph server entry."},
            ]
        )
    )
    monkeypatch.setenv("SLEUTH_WORKSPACE", str(workspace))
    monkeypatch.setenv("SLEUTH_AGENT__MODEL", f"scripted:{script}")
    monkeypatch.setenv("SLEUTH_AGENT__GRADER_MODEL", f"scripted:{script}")
    async with factory({"configurable": {}}) as graph:
        assert {"plan", "act", "tools", "reflect", "requery", "answer", "summarize"} <= set(graph.nodes)
        out = await graph.ainvoke(new_turn("hi"))
    assert out["answer"]["text"] == "Hello from the LangGraph server entry."
