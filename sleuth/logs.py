"""Logging setup: JSON lines to `<workspace>/.sleuth/logs/`, readable text to stderr.

Never stdout: a stdio MCP server owns stdout for protocol frames. `run_id` and `thread_id` are
bound with `bind_run()` (contextvars), so every record of a turn carries them.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any, TextIO

import structlog

from sleuth.errors import SleuthError

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
_log_file: Path | None = None


def _one_line_exception(sio: TextIO, exc_info: Any) -> None:
    """The console gets an exception's last line; its traceback (with locals) goes to the log file."""
    sio.write(f"\n{exc_info[0].__name__}: {exc_info[1]}")


def details_hint() -> str:
    """Where the traceback of an error shown as one line went, for the "details:" hint under it."""
    if _log_file is not None:
        return f"details: the traceback is in {_log_file}"
    return "details: the traceback went to logging (configure_logging(log_dir=...) keeps it in a file)"


def configure_logging(level: str = "warning", log_dir: Path | None = None, name: str = "sleuth") -> Path | None:
    """Route structlog and stdlib logging to stderr (at `level`) and, if given, a JSON file (debug+).

    Returns the JSON log file path, if any.
    """
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.setLevel(logging.DEBUG)

    console = logging.StreamHandler(sys.stderr)
    console.setLevel(_LEVELS.get(level, logging.WARNING))
    console.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processor=structlog.dev.ConsoleRenderer(
                colors=sys.stderr.isatty(), exception_formatter=_one_line_exception
            ),
            foreign_pre_chain=shared,
        )
    )
    root.addHandler(console)

    global _log_file
    _log_file = None
    if log_dir is not None:
        path = log_dir / f"{name}.jsonl"
        try:
            log_dir.mkdir(parents=True, exist_ok=True)
            fh = logging.FileHandler(path, encoding="utf-8")
        except OSError as exc:
            raise SleuthError(
                f"cannot write the log file {path}: {exc.strerror or exc}",
                fix=f"make {log_dir.parent} a folder you can write, or use a workspace you own",
            ) from None
        _log_file = path
        fh.setLevel(logging.DEBUG)
        fh.setFormatter(
            structlog.stdlib.ProcessorFormatter(
                processors=[
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    structlog.processors.JSONRenderer(),
                ],
                foreign_pre_chain=shared,
            )
        )
        root.addHandler(fh)
    # Chatty libraries stay at warning in the console; the file still gets them at their own level.
    for noisy in ("httpx", "httpcore", "mcp", "anyio", "asyncio", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.INFO)
    return _log_file


def bind_run(run_id: str | None = None, thread_id: str | None = None) -> None:
    """Attach run/thread ids to every following log record in this context."""
    values = {k: v for k, v in {"run_id": run_id, "thread_id": thread_id}.items() if v}
    structlog.contextvars.bind_contextvars(**values)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)


if not structlog.is_configured():
    # Used as a library, before (or without) configure_logging: structlog's default prints to
    # stdout, which may be the host program's protocol channel. Route records through stdlib
    # logging instead, so the host's logging setup decides (by default: warnings to stderr).
    structlog.configure(
        processors=[structlog.processors.format_exc_info, structlog.dev.ConsoleRenderer(colors=False)],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
