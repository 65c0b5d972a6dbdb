"""PowerPoint and Excel files: generated here with python-pptx and openpyxl, ingested, searched, cited."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from docs_testkit import settings_for

from mcp_servers.docs import parsers
from mcp_servers.docs.ingest import ingest
from mcp_servers.docs.parsers import XLSX_BLOCK_ROWS, ParseError, parse_pptx, parse_xlsx
from mcp_servers.docs.server import DocsService


def write_deck(path: Path) -> None:
    from pptx import Presentation
    from pptx.enum.shapes import PP_PLACEHOLDER
    from pptx.util import Inches

    deck = Presentation()
    deck.core_properties.title = "Quarterly Business Review"
    cover = deck.slides.add_slide(deck.slide_layouts[0])
    cover.shapes.title.text = "Q3 review"
    cover.placeholders[1].text = "Prepared by the finance team"

    slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    slide.shapes.title.text = "Churn by region"
    box = slide.shapes.add_textbox(Inches(1), Inches(1.5), Inches(8), Inches(1))
    box.text_frame.text = "Churn fell in every region after the loyalty programme."
    table = slide.shapes.add_table(3, 2, Inches(1), Inches(3), Inches(6), Inches(1.5)).table
    for r, (region, churn) in enumerate([("Region", "Churn"), ("EMEA", "4.2%"), ("APAC", "3.9%")]):
        table.cell(r, 0).text, table.cell(r, 1).text = region, churn
    footer = next(p for p in slide.slide_layout.placeholders if p.placeholder_format.type == PP_PLACEHOLDER.FOOTER)
    slide.shapes.clone_placeholder(footer)
    next(s for s in slide.placeholders if s.placeholder_format.type == PP_PLACEHOLDER.FOOTER).text = "Marmalade"
    slide.notes_slide.notes_text_frame.text = "Mention the walrus pilot in Norway."

    deck.slides.add_slide(deck.slide_layouts[6])  # blank: a slide with no text still counts as a page
    last = deck.slides.add_slide(deck.slide_layouts[1])
    last.shapes.title.text = "Next steps"
    last.placeholders[1].text = "Hire two analysts\nAudit the pricing model"
    deck.save(str(path))


def write_book(path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.properties.title = "Order log"
    orders = book.active
    orders.title = "Orders"
    orders.append(["order_id", "customer", "amount", "shipped", "paid"])
    for i in range(1, 61):
        customer = "Okonkwo Textiles" if i == 55 else f"Customer {i}"
        orders.append([i, customer, 12.0 if i == 55 else i * 1.5, dt.datetime(2024, 3, i % 28 + 1), i % 2 == 0])
    notes = book.create_sheet("Notes")
    notes.append(["Amounts are in euros, VAT included."])
    book.create_sheet("Empty")
    book.save(str(path))


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    write_deck(tmp_path / "docs" / "review.pptx")
    write_book(tmp_path / "docs" / "orders.xlsx")
    return tmp_path


def test_slides_are_pages_with_titles_tables_and_notes_but_no_footers(ws: Path) -> None:
    report = ingest(settings_for(ws))
    assert report.ok and not report.failed and sorted(report.new) == ["docs/orders.xlsx", "docs/review.pptx"]
    service = DocsService(settings_for(ws))
    hit = service.search("EMEA churn", 1, mode="bm25")["passages"][0]
    assert hit["source"] == "docs/review.pptx" and hit["title"] == "Quarterly Business Review"
    assert hit["heading_path"] == ["Slide 2: Churn by region"] and (hit["page_start"], hit["page_end"]) == (2, 2)
    assert "EMEA | 4.2%" in hit["text"] and "loyalty programme" in hit["text"]
    assert "Speaker notes: Mention the walrus pilot" in hit["text"]
    full = service.source_text(hit["uri"].rsplit("/", 1)[1])
    assert full[hit["char_start"] : hit["char_end"]] == hit["text"]  # the citation is checkable
    last = service.search("pricing analysts", 1, mode="bm25")["passages"][0]
    assert last["heading_path"] == ["Slide 4: Next steps"] and last["page_start"] == 4  # the blank slide counted
    assert service.search("marmalade", 3, mode="bm25")["passages"] == []  # footer placeholders are furniture


def test_sheet_rows_are_cited_with_their_header_and_read_as_shown(ws: Path) -> None:
    ingest(settings_for(ws))
    service = DocsService(settings_for(ws))
    hit = service.search("Okonkwo Textiles", 1, mode="bm25")["passages"][0]
    assert hit["source"] == "docs/orders.xlsx" and hit["heading_path"] == ["Sheet Orders"]
    lines = hit["text"].split("\n")  # (it may open with the overlap from the table before)
    row = lines.index("55 | Okonkwo Textiles | 12 | 2024-03-28 | FALSE")
    assert "order_id | customer | amount | shipped | paid" in lines[:row]  # a deep row keeps its header
    note = service.search("VAT euros", 1, mode="bm25")["passages"][0]
    assert note["heading_path"] == ["Sheet Notes"]
    full = service.source_text(hit["uri"].rsplit("/", 1)[1])
    assert "Sheet Empty" not in full  # an empty sheet adds nothing


def test_sheets_are_cut_into_header_led_tables_and_long_ones_say_where_they_stop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["k", "v"])
    for i in range(2 * XLSX_BLOCK_ROWS + 1):
        sheet.append([i, "a|b"])
    buf = BytesIO()
    book.save(buf)
    doc = parse_xlsx(buf.getvalue(), "t")
    tables = [doc.text[b.start : b.end].split("\n") for b in doc.blocks if b.kind == "table"]
    assert [len(t) - 1 for t in tables] == [XLSX_BLOCK_ROWS, XLSX_BLOCK_ROWS, 1]
    assert all(t[0] == "k | v" for t in tables) and tables[0][1] == "0 | a/b"
    assert "only the first" not in doc.text

    monkeypatch.setattr(parsers, "XLSX_MAX_ROWS", 10)
    doc = parse_xlsx(buf.getvalue(), "t")
    rows = [line for b in doc.blocks if b.kind == "table" for line in doc.text[b.start : b.end].split("\n")[1:]]
    assert rows[-1] == "8 | a/b" and doc.text.endswith("(sheet Sheet: only the first 10 rows are indexed)")


def test_office_files_without_text_or_damaged_are_reported_not_indexed(tmp_path: Path) -> None:
    from io import BytesIO

    from openpyxl import Workbook
    from pptx import Presentation

    deck, book = BytesIO(), BytesIO()
    images_only = Presentation()
    images_only.slides.add_slide(images_only.slide_layouts[6])
    images_only.save(deck)
    Workbook().save(book)
    with pytest.raises(ParseError, match="no text"):
        parse_pptx(deck.getvalue(), "d")
    with pytest.raises(ParseError, match="no cell values"):
        parse_xlsx(book.getvalue(), "b")

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "fake.pptx").write_bytes(b"PK\x03\x04 not a deck")
    (docs / "fake.xlsx").write_bytes(b"not a zip at all")
    (docs / "ok.md").write_text("# Fine\n\nA readable note.\n", encoding="utf-8")
    report = ingest(settings_for(tmp_path))
    failed = dict(report.failed)
    assert set(failed) == {"docs/fake.pptx", "docs/fake.xlsx"} and report.new == ["docs/ok.md"]
    assert failed["docs/fake.pptx"].startswith("cannot read pptx") and failed["docs/fake.xlsx"].startswith(
        "cannot read xlsx"
    )
