"""PPTX read slide by slide (issue 12): speaker notes indexed on their slide, and a slide's
passages under its own title, never a later slide's. Presentations are made here with
python-pptx, parsed as the worker parses them and chunked as the pipeline chunks them; the
last test goes through the server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from docent.ingestion.chunking import chunk_elements
from docent.ingestion.parsing import parse_file, sniffing

from support.office import uploaded_chunks
from support.samples import make_pptx
from support.servers import DocentServer

#: Body lines that unstructured took for headings (short, capitalised, no full stop).
SHORT_BULLETS = ["Volumes", "Lead times", "Carriers"]

#: id -> slides (title, body paragraphs, notes)
DECKS: dict[str, list[tuple[str, list[str], str]]] = {
    "a fact only in the notes of slide 2": [
        ("Quarterly logistics review", SHORT_BULLETS, "Welcome everyone."),
        (
            "Carrier performance",
            ["On-time rate by carrier", "Claims"],
            "Bluefin Freight was worst.",
        ),
    ],
    "short bullets on every slide": [
        ("Agenda", ["Budget", "Hiring", "Offices"], ""),
        ("Budget", ["Capex", "Opex"], "Capex rises by a tenth."),
        ("Hiring", ["Engineers", "Sales"], ""),
        ("Offices", ["Lisbon", "Tallinn"], "Tallinn opens in May."),
    ],
    "notes on every slide, one slide's body empty": [
        ("Kick-off", [], "Introduce the team."),
        ("Scope", ["Phase one", "Phase two"], "Phase two is optional."),
        ("Risks", ["Suppliers"], "Two suppliers are late."),
    ],
}


def chunks_of(path: Path) -> list:
    parsed = parse_file(path, sniffing.PPTX)
    return chunk_elements(parsed.elements, document_id="deck")


@pytest.mark.parametrize("deck", list(DECKS))
def test_each_slide_is_its_own_section_with_its_notes(deck: str, tmp_path: Path) -> None:
    slides = DECKS[deck]
    chunks = chunks_of(make_pptx(tmp_path / "deck.pptx", slides))
    for number, (title, body, notes) in enumerate(slides, start=1):
        on_slide = [c for c in chunks if c.page == number]
        assert on_slide, (number, chunks)
        # every passage of the slide carries its title, never another slide's
        assert {c.section for c in on_slide} == {title}, (number, on_slide)
        text = "\n".join(c.text for c in on_slide)
        for line in [*body, notes]:
            assert line in text.split("\n"), (line, text)
    for chunk in chunks:
        assert chunk.page == chunk.page_end  # a chunk never spans two slides


def test_tables_groups_footers_and_slide_numbers(tmp_path: Path) -> None:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    for number in (1, 2):
        slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only
        slide.shapes.title.text = f"Results {number}"
        # a footer repeated on every slide is running text, not content
        footer = slide.shapes.add_textbox(Inches(1), Inches(7), Inches(4), Inches(0.4))
        footer.text_frame.text = "Acme Corp confidential"
        rows = slide.shapes.add_table(3, 3, Inches(1), Inches(2), Inches(6), Inches(2)).table
        for r, values in enumerate([["Region", "Product", "Units"], ["North", "Pumps", "80"],
                                    ["", "Valves", "95"]]):  # fmt: skip
            for c, value in enumerate(values):
                rows.cell(r, c).text = value
        rows.cell(1, 0).merge(rows.cell(2, 0))  # "North" spans both product rows
        group = slide.shapes.add_group_shape()
        box = group.shapes.add_textbox(Inches(1), Inches(5), Inches(3), Inches(0.5))
        box.text_frame.text = f"Grouped remark {number}"
    deck.save(str(tmp_path / "results.pptx"))
    parsed = parse_file(tmp_path / "results.pptx", sniffing.PPTX)
    texts = [(e.page, e.kind, e.text) for e in parsed.elements]
    table = "Region | Product | Units\nNorth | Pumps | 80\nNorth | Valves | 95"
    assert (1, "table", table) in texts and (2, "table", table) in texts
    assert (2, "text", "Grouped remark 2") in texts
    assert [t for t in texts if t[1] == "title"] == [
        (1, "title", "Results 1"),
        (2, "title", "Results 2"),
    ]
    # a text box that happens to repeat is kept: only footer placeholders are running text
    assert sum("Acme Corp confidential" in t[2] for t in texts) == 2
    assert parsed.page_count == 2


def test_running_footers_and_slide_numbers_are_left_out(tmp_path: Path) -> None:
    from pptx import Presentation
    from pptx.enum.shapes import PP_PLACEHOLDER

    running = {PP_PLACEHOLDER.FOOTER: "Acme Corp confidential", PP_PLACEHOLDER.SLIDE_NUMBER: "7"}
    path = make_pptx(
        tmp_path / "deck.pptx", [("One", ["First body."], ""), ("Two", ["Second body."], "")]
    )
    deck = Presentation(str(path))
    for slide in deck.slides:
        # the layout's footer and slide number, put on the slide as PowerPoint does
        for placeholder in slide.slide_layout.placeholders:
            if placeholder.placeholder_format.type in running:
                slide.shapes.clone_placeholder(placeholder)
        for shape in slide.placeholders:
            if shape.placeholder_format.type in running:
                shape.text_frame.text = running[shape.placeholder_format.type]
    deck.save(str(path))
    texts = [e.text for e in parse_file(path, sniffing.PPTX).elements]
    assert sum(t.count("Acme Corp confidential") for t in texts) == 0, texts
    assert "7" not in texts
    assert "First body." in texts and "Second body." in texts


@pytest.mark.e2e
def test_speaker_notes_through_the_server(docent_server: DocentServer, tmp_path: Path) -> None:
    deck = make_pptx(tmp_path / "review.pptx", DECKS["a fact only in the notes of slide 2"])
    chunks = asyncio.run(uploaded_chunks(docent_server, "review.pptx", deck.read_bytes()))
    [notes] = [c for c in chunks if "Bluefin Freight was worst." in c["text"]]
    assert (notes["page"], notes["section"]) == (2, "Carrier performance")
    [volumes] = [c for c in chunks if "Volumes" in c["text"]]
    assert (volumes["page"], volumes["section"]) == (1, "Quarterly logistics review")
