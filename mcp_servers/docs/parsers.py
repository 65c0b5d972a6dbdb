"""Turn one file into plain text plus its structure (headings, paragraphs, tables, pages).

Every block is a `[start, end)` span into `Extracted.text`, so a chunk's citation is a span of a
text the server can show back verbatim (the source resource). For Markdown and plain text that
text *is* the file; for HTML, PDF, DOCX, PPTX and XLSX it is the extracted text, blocks joined by
blank lines.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

# pypdf logs every damaged-file oddity as a warning; the ingest report already names the file.
logging.getLogger("pypdf").setLevel(logging.ERROR)

BlockKind = Literal["heading", "para", "table", "code"]

SUFFIX_TYPES = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".rst": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
    ".pptx": "pptx",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
FORMATS = "Markdown, text, HTML, PDF, DOCX, PPTX or XLSX"  # for messages that say what can be indexed


class ParseError(Exception):
    """A file that cannot be read as its type; the message says why, for the ingest report."""


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    start: int
    end: int
    level: int = 0  # heading level (1 = top); 0 for non-headings
    page: int | None = None  # 1-based: a PDF page or a PPTX slide


@dataclass
class Extracted:
    text: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    page_starts: list[int] | None = None  # char offset where each PDF page (PPTX slide) starts


def file_type(path: Path) -> str | None:
    """The supported type of a file by suffix, or None."""
    return SUFFIX_TYPES.get(path.suffix.lower())


def parse_file(path: Path, data: bytes) -> Extracted:
    """Extract text and structure from `data` (the bytes of `path`). Raises ParseError."""
    kind = file_type(path)
    try:
        if kind == "markdown":
            return parse_markdown(_decode(data), path.stem)
        if kind == "text":
            return parse_text(_decode(data), path.stem)
        if kind == "html":
            return parse_html(data, path.stem)
        if kind == "pdf":
            return parse_pdf(data, path.stem)
        if kind == "docx":
            return parse_docx(data, path.stem)
        if kind == "pptx":
            return parse_pptx(data, path.stem)
        if kind == "xlsx":
            return parse_xlsx(data, path.stem)
    except ParseError:
        raise
    except Exception as exc:  # third-party parsers raise many types on damaged input
        raise ParseError(f"cannot read {kind or 'file'}: {type(exc).__name__}: {exc}") from exc
    raise ParseError(f"unsupported file type {path.suffix or '(none)'}")


_BAD_UTF8 = re.compile("[\udc80-\udcff]")  # an invalid byte, as decoded by "surrogateescape"
_UTF8_MULTIBYTE = re.compile("[^\x00-\x7f\udc80-\udcff]")  # a valid multi-byte sequence


def _decode(data: bytes) -> str:
    """UTF-8 (BOM dropped) unless the bytes look like a legacy single-byte file, then latin-1.

    The rule for bytes that are not valid UTF-8: if valid multi-byte UTF-8 sequences are at least
    as many as the invalid bytes, it is a UTF-8 file with a few bad bytes, each of which becomes
    U+FFFD; otherwise it is latin-1, whose accented letters almost never form valid UTF-8
    sequences. One stray byte then no longer garbles every accent in the file.
    """
    if b"\x00" in data[:4096]:
        raise ParseError("looks binary (NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        escaped = data.decode("utf-8-sig", errors="surrogateescape")
        bad = len(_BAD_UTF8.findall(escaped))
        valid = len(_UTF8_MULTIBYTE.findall(escaped))
        text = _BAD_UTF8.sub("\ufffd", escaped) if valid >= bad else data.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n")


_ATX = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_FENCE = re.compile(r"^(```|~~~)")
_SETEXT = re.compile(r"^(=+|-+)[ \t]*$")


def parse_markdown(text: str, stem: str) -> Extracted:
    """Headings (ATX and setext), fenced code and pipe tables as whole blocks, paragraphs."""
    lines = text.split("\n")
    offsets = []
    pos = 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    blocks: list[Block] = []
    title = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        start = offsets[i]
        if not line.strip():
            i += 1
            continue
        m = _ATX.match(line)
        if m:
            level = len(m.group(1))
            blocks.append(Block("heading", start, start + len(line), level))
            title = title or (m.group(2).strip() if level == 1 else "")
            i += 1
            continue
        if _FENCE.match(line.lstrip()):
            fence = line.lstrip()[:3]
            j = i + 1
            while j < len(lines) and not lines[j].lstrip().startswith(fence):
                j += 1
            j = min(j, len(lines) - 1)
            blocks.append(Block("code", start, offsets[j] + len(lines[j])))
            i = j + 1
            continue
        if line.lstrip().startswith("|"):
            j = i
            while j + 1 < len(lines) and lines[j + 1].lstrip().startswith("|"):
                j += 1
            blocks.append(Block("table", start, offsets[j] + len(lines[j])))
            i = j + 1
            continue
        j = i
        while j + 1 < len(lines):
            nxt = lines[j + 1]
            if not nxt.strip() or _ATX.match(nxt) or _FENCE.match(nxt.lstrip()) or nxt.lstrip().startswith("|"):
                break
            if _SETEXT.match(nxt) and j == i:
                break
            j += 1
        if j + 1 < len(lines) and j == i and _SETEXT.match(lines[j + 1]) and lines[j + 1].strip():
            level = 1 if lines[j + 1].strip().startswith("=") else 2
            blocks.append(Block("heading", start, offsets[j + 1] + len(lines[j + 1]), level))
            title = title or (line.strip() if level == 1 else "")
            i = j + 2
            continue
        blocks.append(Block("para", start, offsets[j] + len(lines[j])))
        i = j + 1
    return Extracted(text=text, title=title or stem, blocks=blocks)


def parse_text(text: str, stem: str) -> Extracted:
    """Paragraphs separated by blank lines; the title is the file name."""
    blocks = [Block("para", m.start(), m.end()) for m in re.finditer(r"\S(?:.*\S)?(?:\n[ \t]*\S.*)*", text)]
    return Extracted(text=text, title=stem, blocks=blocks)


class _Builder:
    """Appends blocks to one text, blank line between blocks, recording spans."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.blocks: list[Block] = []

    def add(self, kind: BlockKind, text: str, level: int = 0, page: int | None = None) -> None:
        text = text.strip()
        if not text:
            return
        if self.parts:
            self.parts.append("\n\n")
            self.pos += 2
        self.blocks.append(Block(kind, self.pos, self.pos + len(text), level, page))
        self.parts.append(text)
        self.pos += len(text)

    def text(self) -> str:
        return "".join(self.parts)


_HTML_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Elements that end the running paragraph where they open and close. Anything else (a, b, span,
# em, code, custom elements…) is inline: its text runs on in the paragraph around it.
_HTML_BREAKS = {
    "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "hgroup", "hr",
    "html", "legend", "li", "main", "menu", "ol", "p", "search", "section", "summary", "ul",
}  # fmt: skip
_HtmlPiece = str | tuple[BlockKind, str, int]


def parse_html(data: bytes, stem: str) -> Extracted:
    """All visible text in document order: headings, tables (row by row, ` | ` between cells) and
    `pre` as their own blocks; any other text, loose in a div or around a child block, as paragraphs
    cut where block-level elements open and close."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "nav", "svg"]):
        tag.decompose()
    b = _Builder()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    inline: list[str] = []
    for piece in _html_pieces(soup.body or soup):
        if isinstance(piece, str):
            inline.append(piece)
            continue
        b.add("para", _one_line("".join(inline)))
        inline.clear()
        kind, text, level = piece
        b.add(kind, text, level)
        if level == 1 and not title:
            title = text
    b.add("para", _one_line("".join(inline)))
    return Extracted(text=b.text(), title=title or stem, blocks=b.blocks)


def _html_pieces(node: Any) -> Iterator[_HtmlPiece]:
    """Inline text as strings and whole blocks as (kind, text, level), in document order; a
    ("para", "", 0) marker ends the running paragraph at the edges of block-level elements.
    Walks with its own stack, not recursion, so deeply nested pages read too."""
    from bs4 import Tag
    from bs4.element import PreformattedString

    end_para: _HtmlPiece = ("para", "", 0)
    todo: list[Any] = list(reversed(node.contents))
    while todo:
        child = todo.pop()
        if isinstance(child, tuple):
            yield child
        elif not isinstance(child, Tag):
            if not isinstance(child, PreformattedString):  # comments, doctypes, CDATA
                yield str(child)
        elif child.name in _HTML_HEADINGS:
            heading = "".join(p for p in _html_pieces(child) if isinstance(p, str))
            yield ("heading", _one_line(heading), int(child.name[1]))
        elif child.name == "table":
            if child.caption is not None:
                yield ("para", _one_line(child.caption.get_text(" ")), 0)
            rows = []
            for tr in child.find_all("tr"):
                cells = [c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])]
                rows.append(" | ".join(cells))
            yield ("table", "\n".join(r for r in rows if r.strip(" |")), 0)
        elif child.name == "pre":
            yield ("code", child.get_text(), 0)
        elif child.name == "br":
            yield " "
        elif child.name != "title":  # the title is metadata (Extracted.title), even without <head>
            if child.name in _HTML_BREAKS:
                yield end_para
                todo.append(end_para)
            todo.extend(reversed(child.contents))


def parse_pdf(data: bytes, stem: str) -> Extracted:
    """Text per page (pypdf); paragraphs at blank lines; every block remembers its page."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        try:
            if not reader.decrypt(""):
                raise ParseError("PDF is encrypted with a password")
        except ParseError:
            raise
        except Exception as exc:
            raise ParseError(f"PDF is encrypted: {exc}") from exc
    b = _Builder()
    page_starts: list[int] = []
    for number, page in enumerate(reader.pages, start=1):
        page_starts.append(b.pos + (2 if b.parts else 0))
        raw = (page.extract_text() or "").replace("\r\n", "\n").replace("\r", "\n")
        for para in re.split(r"\n\s*\n", raw):
            b.add("para", para, page=number)
    if not b.blocks:
        raise ParseError("PDF has no extractable text (scanned images need OCR first)")
    meta_title = ""
    try:
        meta_title = (reader.metadata.title or "") if reader.metadata else ""
    except Exception:
        meta_title = ""
    return Extracted(text=b.text(), title=meta_title.strip() or stem, blocks=b.blocks, page_starts=page_starts)


def parse_docx(data: bytes, stem: str) -> Extracted:
    """Paragraphs and tables in body order; `Heading N` and `Title` styles become headings. Content
    controls are opened and nested tables read inside their cell, so no text hides in either."""
    import io

    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(data))
    b = _Builder()
    title = (document.core_properties.title or "").strip()
    body = document.element.body
    _unwrap_content_controls(body)
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            style = (para.style.name if para.style is not None else "") or ""
            text = para.text
            m = re.match(r"Heading (\d)", style)
            if style == "Title":
                b.add("heading", text, level=1)
                title = title or text.strip()
            elif m:
                b.add("heading", text, level=int(m.group(1)))
                title = title or (text.strip() if m.group(1) == "1" else "")
            else:
                b.add("para", text)
        elif tag == "tbl":
            b.add("table", _docx_table(Table(child, document)))
    return Extracted(text=b.text(), title=title or stem, blocks=b.blocks)


def _unwrap_content_controls(element: Any) -> None:
    """Replace every content control (`w:sdt`, around paragraphs, table rows, cells or runs) by
    what it shows, its `w:sdtContent`, so python-docx's paragraphs, rows and cells include it."""
    from docx.oxml.ns import qn

    for sdt in list(element.iter(qn("w:sdt"))):  # document order: outer controls before inner ones
        content = sdt.find(qn("w:sdtContent"))
        for child in list(content) if content is not None else []:
            sdt.addprevious(child)
        sdt.getparent().remove(sdt)


def _docx_table(table: Any) -> str:
    """Rows as lines, ` | ` between cells; a cell's paragraphs and nested tables on lines of their own."""
    from docx.table import Table

    rows = []
    for row in table.rows:
        cells = []
        for cell in row.cells:
            parts = (_docx_table(x) if isinstance(x, Table) else x.text for x in cell.iter_inner_content())
            cells.append("\n".join(part.strip() for part in parts if part.strip()))
        rows.append(" | ".join(cells))
    return "\n".join(rows)


def parse_pptx(data: bytes, stem: str) -> Extracted:
    """One page per slide: its title as a heading, then text boxes and tables in shape order, then
    the speaker notes. Citations then name the slide like a PDF page."""
    import io

    from pptx import Presentation

    deck = Presentation(io.BytesIO(data))
    b = _Builder()
    page_starts: list[int] = []
    title = (deck.core_properties.title or "").strip()
    has_text = False
    for number, slide in enumerate(deck.slides, start=1):
        page_starts.append(b.pos + (2 if b.parts else 0))
        heading_shape = slide.shapes.title
        heading = " ".join(heading_shape.text_frame.text.split()) if heading_shape is not None else ""
        b.add("heading", f"Slide {number}: {heading}" if heading else f"Slide {number}", level=1, page=number)
        title = title or heading
        has_text = has_text or bool(heading)
        for shape in _slide_shapes(slide.shapes):
            if heading_shape is not None and shape.shape_id == heading_shape.shape_id:
                continue
            if shape.has_text_frame and shape.text_frame.text.strip():
                b.add("para", shape.text_frame.text.replace("\v", "\n"), page=number)
                has_text = True
            elif getattr(shape, "has_table", False):
                rows = [" | ".join(_one_line(c.text) for c in row.cells) for row in shape.table.rows]
                b.add("table", "\n".join(r for r in rows if r.strip(" |")), page=number)
                has_text = True
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            notes = slide.notes_slide.notes_text_frame.text.strip()
            if notes:
                b.add("para", f"Speaker notes: {notes}", page=number)
                has_text = True
    if not has_text:
        raise ParseError("the presentation has no text (slides of images only?)")
    return Extracted(text=b.text(), title=title or stem, blocks=b.blocks, page_starts=page_starts)


def _slide_shapes(shapes: Any) -> Iterator[Any]:
    """Content shapes in reading order (top to bottom, then left to right), groups opened; the
    footer, date and slide-number placeholders repeat on every slide and are left out."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE, PP_PLACEHOLDER

    furniture = {PP_PLACEHOLDER.FOOTER, PP_PLACEHOLDER.DATE, PP_PLACEHOLDER.SLIDE_NUMBER}

    def position(shape: Any) -> tuple[int, int]:
        return (shape.top or 0, shape.left or 0)

    for shape in sorted(shapes, key=position):
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _slide_shapes(shape.shapes)
        elif not (shape.is_placeholder and shape.placeholder_format.type in furniture):
            yield shape


# A sheet is indexed as tables of a few rows, each led by the header row, so a chunk of row 900
# still says what its columns are. Sheets are for the SQL server past this many rows.
XLSX_BLOCK_ROWS = 25
XLSX_BLOCK_CHARS = 1000
XLSX_MAX_ROWS = 20_000


def parse_xlsx(data: bytes, stem: str) -> Extracted:
    """Each sheet: a heading, then its non-empty rows (cached formula values, not formulas) as
    tables of up to XLSX_BLOCK_ROWS rows that repeat the header row."""
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    b = _Builder()
    try:
        title = (book.properties.title or "").strip()
        for sheet in book.worksheets:
            rows: list[str] = []
            for values in sheet.iter_rows(values_only=True):
                cells = [_cell_text(v) for v in values]
                while cells and not cells[-1]:
                    cells.pop()
                if cells:
                    rows.append(" | ".join(cells))
                if len(rows) > XLSX_MAX_ROWS:
                    break
            if not rows:
                continue
            b.add("heading", f"Sheet {sheet.title}", level=1)
            header, body = rows[0], rows[1:XLSX_MAX_ROWS]
            group: list[str] = []
            size = 0
            for row in body:
                if group and (len(group) >= XLSX_BLOCK_ROWS or size + len(row) > XLSX_BLOCK_CHARS):
                    b.add("table", "\n".join([header, *group]))
                    group, size = [], 0
                group.append(row)
                size += len(row)
            b.add("table", "\n".join([header, *group]))
            if len(rows) > XLSX_MAX_ROWS:
                b.add("para", f"(sheet {sheet.title}: only the first {XLSX_MAX_ROWS:,} rows are indexed)")
    finally:
        book.close()
    if not b.blocks:
        raise ParseError("the workbook has no cell values")
    return Extracted(text=b.text(), title=title or stem, blocks=b.blocks)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _cell_text(value: object) -> str:
    """A cell as it reads: dates without a midnight time, no trailing .0 on whole numbers; a `|`
    in the text becomes `/` so the row's columns stay apart."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return _one_line(str(value)).replace("|", "/")
