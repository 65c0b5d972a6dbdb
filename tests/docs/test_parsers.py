"""Parsers keep all the text a reader sees: loose HTML text, DOCX content controls and nested tables,
and a UTF-8 file with a stray bad byte."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docs_testkit import settings_for

from mcp_servers.docs.ingest import ingest
from mcp_servers.docs.parsers import parse_docx, parse_file, parse_html
from mcp_servers.docs.server import DocsService

RETURNS_HTML = (
    "<html><head><title>Returns page</title></head><body><nav>Home | Shop</nav><h1>Returns</h1>"
    "<div>Refunds are issued within 14 days, says the <b>dug</b>ong.</div>"
    "<ul><li>Exchanges manatee<ul><li>sub item</li></ul>and the axolotl tail</li></ul>"
    "<section><h2>Contact</h2>Write to <a href='#'>the desk</a><br>any weekday.<!-- a comment -->"
    "<p>Phone after noon.</p>loose tail<table><caption>Opening hours</caption><tr><td>Mon</td><td>9</td></tr>"
    "</table></section><script>var x = 'scriptword';</script></body></html>"
)


def test_html_keeps_loose_text_around_blocks_in_order_with_headings() -> None:
    doc = parse_html(RETURNS_HTML.encode(), "page")
    assert doc.text.split("\n\n") == [
        "Returns",
        "Refunds are issued within 14 days, says the dugong.",
        "Exchanges manatee",
        "sub item",
        "and the axolotl tail",
        "Contact",
        "Write to the desk any weekday.",
        "Phone after noon.",
        "loose tail",
        "Opening hours",
        "Mon | 9",
    ]
    assert [(b.kind, b.level) for b in doc.blocks][:2] == [("heading", 1), ("para", 0)]
    assert [doc.text[b.start : b.end] for b in doc.blocks if b.kind == "heading"] == ["Returns", "Contact"]
    assert doc.title == "Returns page"


def test_html_loose_text_is_searchable_under_its_heading(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.html").write_text(RETURNS_HTML, encoding="utf-8")
    assert ingest(settings_for(tmp_path)).ok
    service = DocsService(settings_for(tmp_path))
    for word in ("dugong", "manatee", "axolotl"):
        hit = service.search(word, 1, mode="bm25")["passages"][0]
        assert word in hit["text"] and hit["heading_path"] == ["Returns"], hit
    assert service.search("loose tail", 1, mode="bm25")["passages"][0]["heading_path"] == ["Returns", "Contact"]
    assert service.search("scriptword", 3, mode="bm25")["passages"] == []
    assert service.search("shop", 3, mode="bm25")["passages"] == []  # <nav> is still left out


def test_html_nested_deeper_than_the_recursion_limit_still_reads() -> None:
    inline = "<span>" + "<b>" * 3000 + "text" + "</b>" * 3000 + "</span>"
    html = "<div>" * 3000 + "<h2>Deep</h2>deep " + inline + "</div>" * 3000
    assert parse_html(html.encode(), "deep").text == "Deep\n\ndeep text"


def _content_control(element: Any) -> None:
    """Wrap an element (a paragraph, table row or run) in a content control, as Word saves it."""
    from docx.oxml import OxmlElement

    sdt, content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")
    sdt.append(OxmlElement("w:sdtPr"))
    sdt.append(content)
    element.addprevious(sdt)
    content.append(element)


def _policy_docx() -> bytes:
    import io

    import docx

    d = docx.Document()
    d.add_heading("Policy", level=1)
    _content_control(d.add_paragraph("The narwhal refund rule applies to opened boxes.")._p)
    d.add_paragraph("Plain paragraph: walrus.")
    outer = d.add_table(rows=2, cols=2)
    outer.cell(0, 0).text, outer.cell(0, 1).text = "outer", "kind"
    nested = outer.cell(1, 0).add_table(rows=1, cols=2)
    nested.cell(0, 0).text, nested.cell(0, 1).text = "beluga", "pod"
    outer.cell(1, 1).text = "cell before"
    _content_control(outer.cell(1, 1).add_paragraph("orca in a cell control")._p)
    extra = outer.add_row()
    extra.cells[0].text, extra.cells[1].text = "repeated row", "of seals"
    _content_control(extra._tr)  # a repeating-section row
    signed = d.add_paragraph("Signed by ")
    _content_control(signed.add_run("the puffin")._r)  # an inline (plain-text) control
    d.add_paragraph("Closing words.")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_reads_content_controls_and_nested_tables_in_order() -> None:
    doc = parse_docx(_policy_docx(), "policy")
    assert doc.text.split("\n\n") == [
        "Policy",
        "The narwhal refund rule applies to opened boxes.",
        "Plain paragraph: walrus.",
        "outer | kind\nbeluga | pod | cell before\norca in a cell control\nrepeated row | of seals",
        "Signed by the puffin",
        "Closing words.",
    ]
    assert [b.kind for b in doc.blocks] == ["heading", "para", "para", "table", "para", "para"]


def test_utf8_with_a_stray_bad_byte_stays_utf8_but_legacy_latin1_still_reads() -> None:
    data = "# Café menu\n\nThe café serves crème brûlée every Tuesday.\n\nPrice list \xff end.\n"
    mixed = data.replace("\xff", "").encode().replace(b"list  end", b"list \xff end")
    doc = parse_file(Path("menu.md"), mixed)
    assert doc.title == "Café menu"
    assert doc.text == data.replace("\xff", "\ufffd")  # only the bad byte is replaced

    legacy = "# Crème brûlée\n\nCafé à la carte, déjà vu, naïve façade.\n".encode("latin-1")
    doc = parse_file(Path("legacy.txt"), legacy)
    assert doc.text == "# Crème brûlée\n\nCafé à la carte, déjà vu, naïve façade.\n"
    assert parse_file(Path("one.md"), b"# Caf\xe9\n").title == "Caf\xe9"  # no UTF-8 evidence: latin-1
    bom = parse_file(Path("bom.md"), b"\xef\xbb\xbf# Cr\xc3\xa8me \xff\n")
    assert bom.title == "Crème \ufffd"  # the BOM is dropped, as a clean UTF-8 file's is
