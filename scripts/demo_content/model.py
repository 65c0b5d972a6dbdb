"""A tiny document model and its four renderers (Markdown, HTML, PDF, DOCX).

Content is written once as a list of blocks, so every handbook page can be emitted in whichever
format the workspace needs, and binary formats are made byte-stable (fixed dates, fixed zip stamps).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

FIXED_DATE = dt.datetime(2026, 1, 15, 9, 0, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]


# A block is ("h2" | "h3" | "p", text), ("ul", [items]) or a Table.
Block = tuple[str, str] | tuple[str, list[str]] | Table


@dataclass
class Doc:
    """One handbook document: its relative path (the suffix picks the renderer), title and body."""

    path: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    meta: list[tuple[str, str]] = field(default_factory=list)


def h2(text: str) -> Block:
    return ("h2", text)


def h3(text: str) -> Block:
    return ("h3", text)


def p(text: str) -> Block:
    return ("p", text)


def ul(*items: str) -> Block:
    return ("ul", list(items))


def render(doc: Doc, out_dir: Path) -> Path:
    """Write `doc` under `out_dir` in the format its suffix names."""
    target = out_dir / doc.path
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = target.suffix
    if suffix == ".md":
        target.write_text(to_markdown(doc), encoding="utf-8")
    elif suffix == ".html":
        target.write_text(to_html(doc), encoding="utf-8")
    elif suffix == ".pdf":
        target.write_bytes(to_pdf(doc))
    elif suffix == ".docx":
        target.write_bytes(to_docx(doc))
    else:
        raise ValueError(f"no renderer for {doc.path}")
    return target


def to_markdown(doc: Doc) -> str:
    lines = [f"# {doc.title}", ""]
    if doc.meta:
        lines += [f"**{k}:** {v}  " for k, v in doc.meta] + [""]
    for block in doc.blocks:
        if isinstance(block, Table):
            lines.append("| " + " | ".join(block.header) + " |")
            lines.append("|" + "|".join("---" for _ in block.header) + "|")
            lines += ["| " + " | ".join(row) + " |" for row in block.rows]
        elif block[0] in ("h2", "h3"):
            lines.append(("## " if block[0] == "h2" else "### ") + block[1])
        elif block[0] == "ul":
            lines += [f"- {item}" for item in block[1]]
        else:
            lines.append(str(block[1]))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_html(doc: Doc) -> str:
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        f"<head><meta charset=\"utf-8\"><title>{e(doc.title)}</title></head>",
        "<body>",
        '<nav class="site-nav">Kestrel Outfitters Intranet &middot; Home &middot; Policies &middot; Help</nav>',
        "<main>",
        f"<h1>{e(doc.title)}</h1>",
    ]
    if doc.meta:
        out.append("<dl>" + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in doc.meta) + "</dl>")
    for block in doc.blocks:
        if isinstance(block, Table):
            out.append("<table>")
            out.append("<tr>" + "".join(f"<th>{e(c)}</th>" for c in block.header) + "</tr>")
            out += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in block.rows]
            out.append("</table>")
        elif block[0] in ("h2", "h3"):
            out.append(f"<{block[0]}>{e(str(block[1]))}</{block[0]}>")
        elif block[0] == "ul":
            out.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in block[1]) + "</ul>")
        else:
            out.append(f"<p>{e(str(block[1]))}</p>")
    out += ["</main>", "<footer>&copy; 2026 Kestrel Outfitters, Inc. Internal use only.</footer>", "</body>",
            "</html>"]
    return "\n".join(out) + "\n"


_LATIN1 = str.maketrans({"—": "-", "–": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "→": "->", "≥": ">=",
                         "≤": "<=", "…": "..."})


def _pdf_text(text: str) -> str:
    """Core PDF fonts are Latin-1 only; map the few typographic characters the content uses."""
    return text.translate(_LATIN1)


def to_pdf(doc: Doc) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="Letter")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(_pdf_text(doc.title))
    pdf.set_author("Kestrel Outfitters")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, _pdf_text(doc.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for k, v in doc.meta:
        pdf.multi_cell(0, 6, _pdf_text(f"{k}: {v}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for block in doc.blocks:
        if isinstance(block, Table):
            pdf.set_font("Helvetica", "", 9)
            with pdf.table(text_align="LEFT") as table:
                for row in [block.header, *block.rows]:
                    r = table.row()
                    for cell in row:
                        r.cell(_pdf_text(cell))
            pdf.ln(3)
        elif block[0] in ("h2", "h3"):
            pdf.set_font("Helvetica", "B", 14 if block[0] == "h2" else 12)
            pdf.ln(2)
            pdf.multi_cell(0, 8, _pdf_text(str(block[1])), new_x="LMARGIN", new_y="NEXT")
        elif block[0] == "ul":
            pdf.set_font("Helvetica", "", 11)
            for item in block[1]:
                pdf.multi_cell(0, 6, _pdf_text(f"  - {item}"), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        else:
            pdf.set_font("Helvetica", "", 11)
            pdf.multi_cell(0, 6, _pdf_text(str(block[1])), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    return bytes(pdf.output())


def to_docx(doc: Doc) -> bytes:
    import docx

    d = docx.Document()
    props = d.core_properties
    props.author = "Kestrel Outfitters"
    props.title = doc.title
    props.created = FIXED_DATE.replace(tzinfo=None)
    props.modified = FIXED_DATE.replace(tzinfo=None)
    props.last_modified_by = "Kestrel Outfitters"
    props.revision = 1
    d.add_heading(doc.title, level=0)
    for k, v in doc.meta:
        para = d.add_paragraph()
        para.add_run(f"{k}: ").bold = True
        para.add_run(v)
    for block in doc.blocks:
        if isinstance(block, Table):
            table = d.add_table(rows=1, cols=len(block.header))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, block.header, strict=True):
                cell.text = text
            for row in block.rows:
                cells = table.add_row().cells
                for cell, text in zip(cells, row, strict=True):
                    cell.text = text
        elif block[0] in ("h2", "h3"):
            d.add_heading(str(block[1]), level=1 if block[0] == "h2" else 2)
        elif block[0] == "ul":
            for item in block[1]:
                d.add_paragraph(item, style="List Bullet")
        else:
            d.add_paragraph(str(block[1]))
    buf = io.BytesIO()
    d.save(buf)
    return _stable_zip(buf.getvalue())


def _stable_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed member timestamps so regenerating gives identical bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 15, 9, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
