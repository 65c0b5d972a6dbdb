"""Turns survive what happens to processes: a killed turn process, a restart while an approval is
pending, a cancelled task, a killed MCP server. Real servers, real SQLite checkpoints, real SIGKILL."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from scripting import PASS, answer_of, call, collect, of, plan

from agent import events

pytestmark = pytest.mark.asyncio(loop_scope="module")
HERE = Path(__file__).parent


def runner(ws: Path, steps: list[dict], thread: str, *args: str, env: dict[str, str] | None = None):
    script = ws / f"script-{thread}-{args[0]}.json"
    script.write_text(json.dumps(steps))
    return subprocess.Popen(
        [sys.executable, str(HERE / "turn_runner.py"), str(ws), str(script), thread, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
    )


def read_until(proc: subprocess.Popen, stop: callable, timeout_s: float = 60) -> list[dict]:
    """Events printed by the child until `stop(event)` (reading blocks; the child is bounded by its script)."""
    seen: list[dict] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        ev = json.loads(line)
        seen.append(ev)
        if stop(ev):
            break
    return seen


async def test_killed_turn_process_resumes_from_its_checkpoint(start, workspace: Path) -> None:
    first = [
        plan("sql"),
        {"tool_calls": [call("run_query", sql="SELECT count(*) AS n FROM customers")]},
        {"delay_s": 120, "text": "never reached"},  # the process is killed while the model 'thinks'
    ]
    proc = runner(workspace, first, "t-kill", "ask", "How many customers are there?")
    acts = 0

    def second_act(ev: dict) -> bool:
        nonlocal acts
        acts += ev["type"] == "NodeStarted" and ev["node"] == "act"
        return acts == 2  # the tools step (with its result) is checkpointed before act starts again

    seen = await asyncio.to_thread(read_until, proc, second_act)
    assert [e["tool"] for e in seen if e["type"] == "ToolCallFinished"] == ["run_query"]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    sleuth = await start([{"expect": "query_id", "text": "There are 900 customers [sql:{q1}]."}, PASS])
    assert (await sleuth.pending_approval("t-kill")) is None
    evs = await collect(sleuth.resume("t-kill"))
    assert not of(evs, events.ToolCallStarted)  # the query from before the kill was not run again
    ans = answer_of(evs)
    assert ans.grounded and ans.text == "There are 900 customers [1]."
    assert "FROM customers" in ans.citations[0].label
    assert await sleuth.history("t-kill") == [
        ("user", "How many customers are there?"),
        ("assistant", ans.text + "\n\nSources:\n[1] " + ans.citations[0].label),
    ]


async def test_pending_approval_survives_a_restart(start, workspace: Path) -> None:
    first = [plan("files"), {"tool_calls": [call("write_file", path="files/notes/approved.txt", content="ok\n")]}]
    proc = runner(workspace, first, "t-appr", "ask", "Write ok to approved.txt", env={"SLEUTH_FILES__ALLOW_WRITE": "1"})
    seen = await asyncio.to_thread(read_until, proc, lambda ev: False)  # runs to the interrupt and exits
    assert proc.wait(timeout=30) == 0
    [req] = [e for e in seen if e["type"] == "ApprovalRequested"]
    assert (req["server"], req["tool"]) == ("files", "write_file") and "destructive" in req["reason"]
    assert not (workspace / "files" / "notes" / "approved.txt").exists()

    sleuth = await start(
        [
            {"expect": "approved.txt", "tool_calls": [call("read_file", path="files/notes/approved.txt")]},
            {"text": "I wrote the file; it now reads ok [file:files/notes/approved.txt:1]."},
            PASS,
        ]
    )
    pending = await sleuth.pending_approval("t-appr")
    assert pending is not None and pending.args == {"path": "files/notes/approved.txt", "content": "ok\n"}
    assert [t.pending_approval for t in await sleuth.threads() if t.thread_id == "t-appr"] == [True]
    evs = await collect(sleuth.decide("t-appr", "approve"))
    assert [e.tool for e in of(evs, events.ToolCallFinished)] == ["write_file", "read_file"]
    assert (workspace / "files" / "notes" / "approved.txt").read_text() == "ok\n"
    assert answer_of(evs).grounded
    assert await sleuth.pending_approval("t-appr") is None


async def test_edited_approval_runs_the_edited_call(start) -> None:
    sleuth = await start(
        [
            plan("sql"),
            {"tool_calls": [call("run_query", sql="SELECT count(*) AS n FROM orders")]},
            {"expect": "query_id", "text": "There are 5 stores [sql:{q1}]."},
            PASS,
        ],
        approve_tools=["run_query"],
    )
    evs = await collect(sleuth.stream("How many orders?", "t-edit"))
    [req] = of(evs, events.ApprovalRequested)
    assert "approve_tools" in req.reason
    evs = await collect(sleuth.decide("t-edit", "edit", {"sql": "SELECT count(*) AS n FROM stores"}))
    [started] = of(evs, events.ToolCallStarted)
    assert started.args == {"sql": "SELECT count(*) AS n FROM stores"}
    assert answer_of(evs).grounded


async def test_cancelled_turn_leaves_the_thread_usable(start) -> None:
    sleuth = await start(
        [
            plan("sql"),
            {"tool_calls": [call("run_query", sql="SELECT count(*) AS n FROM products")]},
            {"delay_s": 60, "text": "cancelled before this"},
            plan("sql"),
            {"tool_calls": [call("run_query", sql="SELECT count(*) AS n FROM suppliers")]},
            {"text": "There are 8 suppliers [sql:{q1}]."},
            PASS,
        ]
    )
    acts = asyncio.Event()
    count = 0

    async def consume() -> None:
        nonlocal count
        async for ev in sleuth.stream("How many products?", "t-cancel"):
            if isinstance(ev, events.NodeStarted) and ev.node == "act":
                count += 1
                if count == 2:
                    acts.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(acts.wait(), 60)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    ans = answer_of(await collect(sleuth.stream("How many suppliers?", "t-cancel")))
    assert ans.grounded and ans.text == "There are 8 suppliers [1]."
    history = await sleuth.history("t-cancel")
    assert [r for r, _ in history] == ["user", "user", "assistant"]
    assert history[1][1] == "How many suppliers?"


def _server_pids(name: str) -> list[int]:
    """PIDs of `sleuth serve NAME` processes that are children of this test process."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and b"serve" in cmd and name.encode() in cmd:
            pids.append(int(entry.name))
    return pids


async def test_killed_server_is_restarted_and_the_turn_completes(start, bridge) -> None:
    sleuth = await start(
        [
            plan("sql"),
            {"tool_calls": [call("run_query", sql="SELECT count(*) AS n FROM regions")]},
            {"delay_s": 1.0, "tool_calls": [call("run_query", sql="SELECT count(*) AS n FROM employees")]},
            {"text": "There are 5 regions [sql:{q1}] and 69 employees [sql:{q2}]."},
            PASS,
        ]
    )
    restarts = bridge.servers["sql"].restarts
    evs: list[events.Event] = []
    async for ev in sleuth.stream("How many regions and employees?", "t-crash"):
        evs.append(ev)
        if isinstance(ev, events.ToolCallFinished) and len(of(evs, events.ToolCallFinished)) == 1:
            [pid] = _server_pids("sql")
            os.kill(pid, signal.SIGKILL)
    assert [f.is_error for f in of(evs, events.ToolCallFinished)] == [False, False]
    assert bridge.servers["sql"].restarts == restarts + 1
    ans = answer_of(evs)
    assert ans.grounded and len(ans.citations) == 2
