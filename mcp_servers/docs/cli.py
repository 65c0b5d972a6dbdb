"""`sleuth ingest`: the ingest with a rich progress bar and a summary, both on stderr."""

from __future__ import annotations

import time

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from mcp_servers.docs.ingest import IngestReport, ingest
from mcp_servers.docs.parsers import FORMATS
from sleuth.config import Settings

_LABELS = {"scan": "scan files", "parse": "read + chunk", "embed": "embed", "index": "BM25 index"}


class _Bar:
    """Adapts ingest's progress(stage, done, total) to one rich task per stage, with a rate."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}
        self.started: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(_LABELS.get(stage, stage), total=total, rate="")
            self.started[stage] = time.perf_counter()
        elapsed = time.perf_counter() - self.started[stage]
        rate = f"{done / elapsed:,.0f}/s" if elapsed > 0.05 else ""
        self.progress.update(self.tasks[stage], completed=done, total=total, rate=rate)


def _summary(console: Console, report: IngestReport) -> None:
    if report.up_to_date:
        console.print(f"index {report.generation} is up to date: {report.sources} files, {report.chunks} chunks")
    elif report.ok:
        rate = report.bytes_read / max(report.seconds, 1e-6) / 1e6
        console.print(
            f"index {report.generation}: {report.sources} files, {report.chunks} chunks "
            f"({len(report.new)} new, {len(report.changed)} changed, {report.unchanged} unchanged, "
            f"{len(report.deleted)} removed) in {report.seconds:.1f}s ({rate:.1f} MB/s read)"
        )
        if report.embedded or report.embeddings_reused:
            console.print(
                f"embeddings: {report.embedded} computed in {report.embed_seconds:.1f}s, "
                f"{report.embeddings_reused} reused"
            )
    for path, why in report.failed:
        console.print(f"[yellow]skipped[/] {escape(path)}: {escape(why)}")


def run_ingest(settings: Settings) -> int:
    """Ingest `settings.docs.paths`; 0 on success (even with skipped files), 1 if nothing was indexed."""
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description:<13}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>9}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        report = ingest(settings, progress=_Bar(progress))
    _summary(console, report)
    if not report.ok:
        reason = "no supported files found" if not report.failed else "every file failed"
        console.print(f"error: nothing could be indexed ({reason}); the previous index, if any, is unchanged")
        console.print(f"  fix: point docs.paths or `sleuth ingest PATH` at {FORMATS} files")
        return 1
    return 0
