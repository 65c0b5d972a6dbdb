"""Where logs go: tracebacks to the log file only, one line on the console, never stdout."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.test_cli import run


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60)


def test_used_as_a_library_sleuth_logs_nothing_to_stdout() -> None:
    """Before configure_logging, structlog's default would print to stdout: the host program's channel."""
    proc = _python(
        """
        from sleuth.logs import get_logger
        log = get_logger("lib")
        log.info("an info line")
        log.warning("a warning line")
        print("ANSWER")
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "ANSWER\n"
    assert "a warning line" in proc.stderr and "an info line" not in proc.stderr


def test_an_error_with_its_traceback_is_one_console_line_and_whole_in_the_file(tmp_path: Path) -> None:
    proc = _python(
        f"""
        from pathlib import Path
        from sleuth.logs import configure_logging, details_hint, get_logger
        configure_logging("warning", Path({str(tmp_path)!r}))
        try:
            {{}}["missing"]
        except KeyError as exc:
            get_logger("x").error("turn failed", exc_info=exc)
        print(details_hint())
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert "turn failed" in proc.stderr and "KeyError: 'missing'" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 2
    log = (tmp_path / "sleuth.jsonl").read_text()
    assert "Traceback" in log and "KeyError" in log
    assert proc.stdout.strip() == f"details: the traceback is in {tmp_path / 'sleuth.jsonl'}"


def test_a_state_folder_that_cannot_hold_logs_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / ".sleuth").write_text("not a folder")
    proc = run("ask", "hello", "--workspace", str(tmp_path))
    assert proc.returncode == 2
    assert "cannot write the log file" in proc.stderr and "fix:" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 2
