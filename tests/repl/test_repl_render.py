"""The REPL's renderer fed with the agent's typed events, recorded on a fixed-size rich console."""

from __future__ import annotations

from rich.console import Console

from agent import events as ev
from sleuth.repl.render import TurnView, compact_args, tool_line
from sleuth.repl.state import ReplState

T, R = "t-1", "r-1"


def console() -> Console:
    return Console(record=True, width=100, height=30, force_terminal=False, color_system=None)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def text_of(con: Console) -> str:
    return con.export_text()


def test_full_turn_renders_tools_answer_footnotes_and_usage() -> None:
    con, state = console(), ReplState()
    sql = "SELECT region, sum(amount) AS revenue FROM orders GROUP BY region ORDER BY revenue DESC"
    with TurnView(con, state) as view:
        view.handle(ev.NodeStarted(T, R, "plan"))
        view.handle(ev.ToolCallStarted(T, R, "c1", "sql", "run_query", {"sql": sql}))
        view.handle(ev.ToolCallFinished(T, R, "c1", "sql", "run_query", False, "4 rows\nregion|revenue", None, 35.2))
        view.handle(ev.ToolCallStarted(T, R, "c2", "docs", "search_docs", {"query": "returns", "k": 3}))
        view.handle(ev.ToolCallFinished(T, R, "c2", "docs", "search_docs", True, "index missing", None, 3.0))
        for piece in ("The **West** ", "region leads [1]."):
            view.handle(ev.Token(T, R, piece))
        view.handle(ev.ReflectionVerdict(T, R, passed=True))
        citations = [
            ev.Citation(1, "sql", "q1", sql),
            ev.Citation(2, "doc", "d1", "docs/policies/returns.md › Refunds"),
        ]
        usage = {"tokens_in": 1200, "tokens_out": 80, "cost_usd": 0.0042, "corrections": 1}
        view.handle(
            ev.Answer(T, R, "The **West** region leads [1] and refunds take 14 days [2].", citations, True, usage)
        )
    out = text_of(con)
    assert "✓ [1] sql.run_query(SELECT region, sum(amount)" in out and "→ 4 rows · 35 ms" in out
    assert "✗ [2] docs.search_docs(query='returns', k=3) → index missing" in out
    assert "✓ reflection" in out
    assert "The West region leads [1]" in out  # Markdown rendered: no asterisks
    assert "[1] SQL SELECT region" in out and "[2] docs/policies/returns.md › Refunds" in out
    assert "1,200 in / 80 out tokens" in out and "$0.0042" in out and "1 correction(s)" in out and "thread t-1" in out
    assert state.thread_id == T and state.last_usage == usage and len(state.tool_log) == 2
    assert state.tool(1) is not None and state.tool(1).finished is not None


def test_status_line_names_node_tool_and_requery_with_elapsed_time() -> None:
    con, state, clock = console(), ReplState(), Clock()
    view = TurnView(con, state, clock=clock)
    view.handle(ev.NodeStarted(T, R, "plan"))
    clock.now += 1.25
    assert view.status() == "planning… 1.2s"
    view.handle(ev.ToolCallStarted(T, R, "c1", "sql", "run_query", {"sql": "SELECT 1"}))
    assert view.status().startswith("sql.run_query…")
    view.handle(ev.ToolCallFinished(T, R, "c1", "sql", "run_query", False, "1", None, 1.0))
    view.handle(ev.NodeStarted(T, R, "reflect"))
    assert view.status().startswith("reflecting…")
    view.handle(ev.NodeStarted(T, R, "requery", detail="refund window for online orders"))
    assert view.status().startswith("re-querying: refund window for online orders…")
    assert "↻ re-querying: refund window" in text_of(con)


def test_failed_reflection_error_and_approval_are_visible() -> None:
    con, state = console(), ReplState()
    with TurnView(con, state) as view:
        view.handle(ev.ReflectionVerdict(T, R, passed=False, problems=["number 42 not in any source"], correction=1))
        view.handle(ev.ApprovalRequested(T, R, "c9", "files", "write_file", {"path": "notes.md"}, "writes a file"))
        view.handle(ev.TurnError(T, R, "the sql server stopped", fix="restart sleuth chat"))
    out = text_of(con)
    assert "↻ reflection: number 42 not in any source" in out
    assert "approval needed" in out and "files.write_file" in out and '"path": "notes.md"' in out
    assert "/approve" in out and "/reject" in out
    assert "error: the sql server stopped" in out and "fix: restart sleuth chat" in out
    assert state.pending is not None and state.pending.call_id == "c9"


def test_cancelled_turn_keeps_the_partial_answer() -> None:
    con, state = console(), ReplState()
    with TurnView(con, state) as view:
        view.handle(ev.Token(T, R, "Partial *answer* so far"))
    assert "Partial answer so far" in text_of(con)
    assert state.last_usage == {}


def test_streamed_tail_fits_the_screen() -> None:
    con = Console(record=True, width=40, height=10, force_terminal=False)
    view = TurnView(con, ReplState())
    view.handle(ev.Token(T, R, "\n".join(f"line {i}" for i in range(50))))
    tail = view._tail(view._streamed)
    assert tail.endswith("line 49") and "line 40" not in tail and len(tail.splitlines()) == 7


def test_compact_args_and_tool_line_are_one_short_line() -> None:
    long_sql = "SELECT *\n  FROM orders\n  WHERE " + " AND ".join(f"c{i} = {i}" for i in range(40))
    assert "\n" not in compact_args({"sql": long_sql}) and len(compact_args({"sql": long_sql})) == 70
    call = ev.ToolCallStarted(T, R, "c", "files", "read_file", {"path": "README.md"})
    assert tool_line(7, call, None).plain == "  ✓ [7] files.read_file(README.md)"


def test_draft_tokens_show_live_and_the_checked_answer_replaces_them() -> None:
    con, state = console(), ReplState()
    with TurnView(con, state) as view:
        view.handle(ev.NodeStarted(T, R, "act"))
        view.handle(ev.DraftToken(T, R, "Most items within "))
        shown = Console(record=True, width=100, color_system=None)
        shown.print(view._renderable())
        assert "Most items within" in shown.export_text()  # on screen from the first token
        view.handle(ev.NodeStarted(T, R, "act"))  # a new model step starts a new draft
        assert view._draft == []
        view.handle(ev.DraftToken(T, R, "draft two"))
        view.handle(ev.Token(T, R, "Checked "))
        shown = Console(record=True, width=100, color_system=None)
        shown.print(view._renderable())
        assert "Checked" in shown.export_text() and "draft two" not in shown.export_text()
    assert "draft two" not in text_of(con)  # the live region was transient; nothing unchecked remains


def test_a_result_without_its_start_still_gets_a_numbered_line() -> None:
    con, state = console(), ReplState()
    with TurnView(con, state) as view:  # e.g. an approved call whose start was shown before a restart
        view.handle(ev.ToolCallFinished(T, R, "c7", "files", "write_file", False, "wrote 12 bytes", None, 4.0))
    assert "✓ [1] files.write_file() → wrote 12 bytes" in text_of(con) and state.tool(1) is not None
