"""Logging setup: JSON lines to `<workspace>/.sleuth/logs/`, readable text to stderr.

Never stdout: a stdio MCP server owns stdout for protocol frames. `run_id` and `thread_id` are
bound with `bind_run()` (contextvars), so every record of a turn carries them.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import structlog

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


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
            processor=structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()), foreign_pre_chain=shared
        )
    )
    root.addHandler(console)

    log_file = None
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        log_file = log_dir / f"{name}.jsonl"
        fh = logging.FileHandler(log_file, encoding="utf-8")
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
    return log_file


def bind_run(run_id: str | None = None, thread_id: str | None = None) -> None:
    """Attach run/thread ids to every following log record in this context."""
    values = {k: v for k, v in {"run_id": run_id, "thread_id": thread_id}.items() if v}
    structlog.contextvars.bind_contextvars(**values)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)
