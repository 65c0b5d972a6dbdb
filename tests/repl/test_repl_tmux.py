"""`sleuth chat` as a person uses it: a real terminal (tmux), the three real servers, the scripted model.

Each test starts the real command in a 110x40 tmux pane, types, and polls the screen.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from repl_term import PASS, PROMPT, SLEUTH, Term, chat, clean_env, plan, thread_id, write_script

FOOTER = r"thread [0-9a-f]{16}"  # the answer footer ends with the thread id; it is drawn last
SEARCH_RETURN_WINDOW = {"tool_calls": [{"name": "search_docs", "args": {"query": "return window days", "k": 3}}]}


def test_prompt_shows_at_once_and_ctrl_d_exits(term: Term, workspace: Path) -> None:
    term.start([SLEUTH, "chat", "-w", str(workspace)], clean_env(), workspace)
    term.wait_for(PROMPT, timeout=30)
    prompt_s = time.monotonic() - term.started
    term.wait_until(lambda: term.toolbar().startswith(" servers: ready ·"), "servers ready", timeout=90)
    ready_s = time.monotonic() - term.started
    print(f"\nsleuth chat: prompt after {prompt_s:.2f}s, servers+agent ready after {ready_s:.2f}s (shared machine)")
    start = term.ask("/help")
    term.wait_for("/approve", after=start)
    term.quit()
    assert "Traceback" not in term.screen()


def test_without_a_model_tools_work_and_a_question_says_how_to_connect(
    term: Term, workspace: Path, tmp_path: Path, return_window_id: str
) -> None:
    chat(term, workspace)  # clean environment: no ANTHROPIC_API_KEY, default anthropic model
    start = term.ask("How many stores does Kestrel have?")
    screen = term.wait_for("still work", after=start)
    assert "No model connected" in screen and "ANTHROPIC_API_KEY" in screen
    assert "SLEUTH_AGENT__BASE_URL=http://localhost:11434/v1" in screen  # the OpenAI-compatible way
    start = term.ask("/sql SELECT count(*) AS n FROM stores")
    screen = term.wait_for("sql.run_query(SELECT count(*) AS n FROM stores)", after=start)
    assert "1 rows" in screen[start:]
    start = term.ask("/search return window")
    term.wait_for("docs/policies/returns-and-refunds.md", after=start)
    start = term.ask("/read files/notes/todo.md")
    term.wait_for("files.read_file(files/notes/todo.md)", after=start)
    start = term.ask("/tools")
    term.wait_for("files.read_file", after=start)
    start = term.ask("/read files/config/.env")  # denied by the sandbox: one error line, no traceback
    term.wait_for("error:", after=start)
    start = term.ask("/sql DROP TABLE stores")
    term.wait_for("error:", after=start)

    (workspace / "files" / "notes" / "zephyr-memo.md").write_text("# Zephyr memo\n\nThe zephyrine tent ships in May.\n")
    start = term.ask("/ingest files/notes/zephyr-memo.md")
    term.wait_for("(1 new, 0 changed, 0 removed)", after=start, timeout=60)
    start = term.ask("/search zephyrine")
    term.wait_for("files/notes/zephyr-memo.md", after=start)

    cid = return_window_id
    script = tmp_path / "script.yaml"
    write_script(script, [plan("docs"), SEARCH_RETURN_WINDOW, {"text": f"30 calendar days [{cid}]."}, PASS])
    start = term.ask(f"/model scripted:{script}")  # connect a model without leaving the REPL
    term.wait_for("switched to scripted:", after=start, timeout=90)
    start = term.ask("How long is the return window?")
    term.wait_for("30 calendar days [1].", after=start)
    assert "Traceback" not in term.screen()


def test_scripted_answer_streams_with_citations_and_commands_inspect_it(
    term: Term, workspace: Path, tmp_path: Path, return_window_id: str
) -> None:
    cid = return_window_id
    env = write_script(
        tmp_path / "script.yaml",
        [
            plan("docs"),
            SEARCH_RETURN_WINDOW,
            {
                "expect": cid,
                "text": f"Most items can be returned within **30 calendar days** of the order date [{cid}].",
            },
            PASS,
        ],
    )
    chat(term, workspace, env=env)
    start = term.ask("How long is the return window?")
    out = term.wait_for(FOOTER, after=start, regex=True)[start:]
    assert "✓ [1] docs.search_docs(query='return window days', k=3)" in out
    assert "✓ reflection" in out
    assert "Most items can be returned within 30 calendar days of the order date [1]." in out  # Markdown rendered
    [footnote] = [line for line in out.splitlines() if line.startswith("[1] docs/policies/returns-and-refunds.md ›")]
    assert footnote.endswith("Return window")
    tid = thread_id(out)

    start = term.ask("/expand 1")
    term.wait_for(cid, after=start)
    start = term.ask("/trace")
    screen = term.wait_for("correction(s)", after=start)
    assert "docs.search_docs" in screen[start:] and "reflect" in screen[start:] and "model calls" in screen[start:]
    start = term.ask("/cost")
    screen = term.wait_for("tokens_in", after=start)
    start = term.ask("/history")
    term.wait_for("user: How long is the return window?", after=start)
    start = term.ask("/threads")
    screen = term.wait_for(f"{tid} (current)", after=start)
    assert "How long is the return window?" in screen[start:]
    start = term.ask("/servers")
    screen = term.wait_for("files", after=start)
    assert "docs  stdio" in screen[start:] and "sql  stdio" in screen[start:]

    term.wait_prompt()
    start = term.mark()
    term.type("/thr")
    term.wait_for("the saved threads", after=start)  # the completion menu with each command's help
    term.send("Tab")
    term.send("Enter")
    term.send("Enter")
    term.wait_for("(current)", after=start)
    assert "Traceback" not in term.screen()


def test_ctrl_c_cancels_the_turn_and_the_thread_goes_on(
    term: Term, workspace: Path, tmp_path: Path, return_window_id: str
) -> None:
    cid = return_window_id
    env = write_script(
        tmp_path / "script.yaml",
        [
            plan("docs"),
            {"delay_s": 120, "text": "never shown"},  # the model "thinks" until cancelled
            plan("docs"),
            SEARCH_RETURN_WINDOW,
            {"text": f"Within 30 calendar days of the order date [{cid}]."},
            PASS,
        ],
    )
    chat(term, workspace, env=env)
    start = term.ask("How long is the return window?")
    term.wait_for("thinking…", after=start)
    term.send("C-c")
    term.wait_for("cancelled: the thread is kept", after=start)
    term.wait_for(PROMPT, after=start + len(PROMPT))
    # The toolbar is drawn a moment after the prompt line (later still on a loaded machine).
    term.wait_until(lambda: re.search(r"thread [0-9a-f]{16}", term.toolbar()) is not None, "the toolbar")
    first = thread_id(term.toolbar())  # the cancelled turn's thread stays the current one
    start = term.ask("And how long is it, in days?")
    screen = term.wait_for("Within 30 calendar days of the order date [1].", after=start)
    term.wait_for(f"thread {first}", after=start)
    assert "never shown" not in screen
    start = term.ask("/history")
    screen = term.wait_for("assistant: Within 30", after=start)
    assert "user: How long is the return window?" in screen[start:]
    assert "user: And how long is it, in days?" in screen[start:]


def test_resume_after_a_restart_continues_the_thread(
    term: Term, workspace: Path, tmp_path: Path, return_window_id: str
) -> None:
    cid = return_window_id
    env = write_script(
        tmp_path / "one.yaml", [plan("docs"), SEARCH_RETURN_WINDOW, {"text": f"30 calendar days [{cid}]."}, PASS]
    )
    chat(term, workspace, env=env)
    start = term.ask("How long is the return window?")
    term.wait_for("30 calendar days [1].", after=start)
    tid = thread_id(term.wait_for(FOOTER, after=start, regex=True)[start:])  # the footer follows the answer
    term.quit()
    term.wait_for(f"resume with: sleuth chat --resume {tid}")

    env = write_script(
        tmp_path / "two.yaml",
        [plan("docs"), SEARCH_RETURN_WINDOW, {"text": f"Still 30 days [{cid}]."}, PASS],
    )
    chat(term, workspace, "--resume", tid, env=env)
    term.wait_for(f"resumed thread {tid}")
    term.wait_prompt()
    start = term.mark()
    term.send("Up")  # input history survives the restart (<workspace>/.sleuth/history)
    term.wait_for(f"{PROMPT} How long is the return window?", after=start)
    term.send("C-u")
    start = term.ask("/history")
    term.wait_for("user: How long is the return window?", after=start)
    start = term.ask("Is that still true?")
    term.wait_for("Still 30 days [1].", after=start)
    assert thread_id(term.wait_for(FOOTER, after=start, regex=True)[start:]) == tid


def test_approval_waits_across_a_restart_and_approve_runs_the_write(
    term: Term, workspace: Path, tmp_path: Path
) -> None:
    toml = workspace / "sleuth.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[files]\n", "[files]\nallow_write = true\n"))
    target = workspace / "files" / "notes" / "summary.md"
    write = {"name": "write_file", "args": {"path": "files/notes/summary.md", "content": "Returns: 30 days\n"}}
    env = write_script(tmp_path / "one.yaml", [plan("files"), {"tool_calls": [write]}])
    chat(term, workspace, env=env)
    start = term.ask("Write a one-line returns summary to files/notes/summary.md")
    screen = term.wait_for("to run it with other arguments", after=start)
    assert "approval needed" in screen[start:] and "files.write_file" in screen[start:]
    tid = thread_id(screen[start:])
    assert not target.exists()
    term.quit()

    read = {"name": "read_file", "args": {"path": "files/notes/summary.md"}}
    env = write_script(
        tmp_path / "two.yaml",
        [
            {"tool_calls": [read]},
            {"text": "I wrote the summary: Returns: 30 days [file:files/notes/summary.md:1]."},
            PASS,
        ],
    )
    chat(term, workspace, "--resume", tid, env=env)
    term.wait_for("approval needed")
    # the notice and the prompt's toolbar are drawn one after the other: wait for both
    term.wait_until(
        lambda: "files.write_file" in term.screen() and "approval pending" in term.toolbar(),
        "the resumed thread shows its pending write and the toolbar says so",
    )
    start = term.ask("/approve")
    screen = term.wait_for("I wrote the summary", after=start)
    assert "files.write_file" in screen[start:] and "files.read_file" in screen[start:]
    assert target.read_text(encoding="utf-8") == "Returns: 30 days\n"


def test_reject_refuses_and_edit_runs_with_the_edited_arguments(term: Term, workspace: Path, tmp_path: Path) -> None:
    toml = workspace / "sleuth.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[files]\n", "[files]\nallow_write = true\n"))
    target = workspace / "files" / "notes" / "memo.md"
    write = {"name": "write_file", "args": {"path": "files/notes/memo.md", "content": "draft\n"}}
    no_tools = {"structured": {"sources": ["files"], "subquestions": [], "needs_tools": False, "remember": []}}
    env = write_script(
        tmp_path / "script.yaml",
        [
            no_tools,
            {"tool_calls": [write]},
            {"expect": "rejected", "text": "Understood, I did not write the memo."},
            no_tools,
            {"tool_calls": [write]},
            {"text": "Done, the memo is written."},
        ],
    )
    chat(term, workspace, env=env)
    start = term.ask("Write a memo")
    term.wait_for("approval needed", after=start)
    start = term.ask("/reject")
    term.wait_for("Understood, I did not write the memo.", after=start)
    assert not target.exists()
    start = term.ask("Write the memo after all")
    term.wait_for("approval needed", after=start)
    start = term.ask('/edit {"path": "files/notes/memo.md", "content": "final\\n"}')
    term.wait_for("Done, the memo is written.", after=start)
    assert target.read_text(encoding="utf-8") == "final\n"
