"""Small real corpora (Markdown, text, HTML, PDF via fpdf2, DOCX via python-docx) and server helpers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from mcp import StdioServerParameters

from sleuth.config import Settings, load_settings

SLEUTH = str(Path(sys.executable).with_name("sleuth"))

GUIDE_MD = """# Widget Guide

The widget is a small frobnicator for teams.

## Installation

Install the widget with pip. It needs Python 3.11 or newer.

| OS | Supported | Notes |
|----|-----------|-------|
| Linux | yes | tested on Debian |
| Windows | no | planned |

## Usage

Call widget.run() to start the frobnicator. The zebra mode prints stripes.
"""


def write_pdf(path: Path, pages: list[str], title: str = "Quarterly Report") -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        for para in text.split("\n\n"):
            pdf.multi_cell(0, 8, para)
            pdf.ln(6)
    pdf.output(str(path))


def write_docx(path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_heading("Travel Policy", level=1)
    d.add_paragraph("Employees book travel through the portal.")
    d.add_heading("Per diem", level=2)
    d.add_paragraph("The per diem for meals is 45 euros per day.")
    table = d.add_table(rows=3, cols=2)
    for r, (city, rate) in enumerate([("City", "Hotel cap"), ("Paris", "180"), ("Berlin", "150")]):
        table.rows[r].cells[0].text = city
        table.rows[r].cells[1].text = rate
    d.save(str(path))


def make_corpus(folder: Path) -> Path:
    """Five documents, one per supported format, each with a distinctive word to search for."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "guide.md").write_text(GUIDE_MD, encoding="utf-8")
    (folder / "notes.txt").write_text(
        "Meeting notes.\n\nThe refund window is 30 days for unopened kayaks.\n", encoding="utf-8"
    )
    (folder / "sub").mkdir(exist_ok=True)
    (folder / "sub" / "page.html").write_text(
        "<html><head><title>Pricing Page</title><script>var hidden='scriptword';</script></head><body>"
        "<h1>Pricing</h1><p>The lighthouse plan costs 12 dollars.</p>"
        "<table><tr><th>Plan</th><th>Price</th></tr><tr><td>Basic</td><td>5</td></tr></table></body></html>",
        encoding="utf-8",
    )
    write_pdf(
        folder / "report.pdf",
        ["Revenue grew in the first quarter.", "The second page mentions the glacier project budget."],
    )
    write_docx(folder / "policy.docx")
    return folder


def settings_for(ws: Path, **docs: Any) -> Settings:
    over = {"docs": {"paths": [str(ws / "docs")], **docs}}
    return load_settings(ws, over, environ={})


def stdio_params(ws: Path) -> StdioServerParameters:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLEUTH_")}
    return StdioServerParameters(command=SLEUTH, args=["serve", "docs", "--workspace", str(ws)], env=env)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_http(ws: Path, port: int) -> subprocess.Popen[bytes]:
    """`sleuth serve docs --transport http` as a subprocess; returns once the port accepts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLEUTH_")}
    proc = subprocess.Popen(
        [SLEUTH, "serve", "docs", "--workspace", str(ws), "--transport", "http", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("HTTP server did not start in 60 s")
