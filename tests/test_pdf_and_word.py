"""PDF and Word documents: read through the format registry, their structure kept, refused with a reason when they
hold no text, and accepted everywhere a document comes in (PUT, `corpus add`, the folder, the editor page)."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from sample_files import (
    FOOTNOTED_SENTENCE,
    RUNNING_HEADER,
    commands_pdf,
    dose_table_pdf,
    faq_leaflet_pdf,
    footnoted_pdf,
    hyphenated_pdf,
    leaflet_pdf,
    numbered_manual_pdf,
    scanned_pdf,
    two_column_pdf,
    word_document,
    word_with_notes,
)

from qa_service import create_app, formats, pdf
from qa_service.answering import AnswerSettings, answer
from qa_service.document_analysis import analyse
from qa_service.documents import DocumentRejected, parse_document
from qa_service.index import Index
from qa_service.store import FolderStore

TOKEN = "correct-horse-battery-staple"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def sentence_places(document) -> dict[str, tuple[tuple[str, ...], int | None]]:
    analysed = analyse(document)
    return {analysed.sentence_text(i): (analysed.section_path(i), analysed.page(i))
            for i in range(len(analysed.sentences))}


# --- PDF ------------------------------------------------------------------------------------------------------


def test_a_pdf_reads_in_order_without_its_running_header_and_page_numbers():
    document = parse_document("handbook", two_column_pdf(), "pdf")

    assert document.title == "Lithium Handbook"
    assert RUNNING_HEADER not in document.text
    assert not any(line.strip().isdigit() for line in document.text.splitlines())
    order = [document.text.index(words) for words in ("Side effects", "Lithium can cause a fine tremor",
                                                       "The drug can cause a fine tremor", "Rare effects",
                                                       "Monitoring", "Dehydration raises the level quickly.")]
    assert order == sorted(order)


def test_a_word_hyphenated_at_a_line_end_is_joined_again():
    document = parse_document("dose", hyphenated_pdf(), "pdf")

    assert document.text == ("The dose is raised slowly and the treatment is reviewed after a fortnight, when the "
                              "level is measured again.")


def test_pdf_headings_come_from_its_outline_and_each_sentence_knows_its_section_and_page():
    places = sentence_places(parse_document("handbook", two_column_pdf(), "pdf"))

    assert places["Lithium can cause a fine tremor of the hands in the first weeks of treatment, which often "
                  "settles without any change of dose."] == (("Side effects",), 1)
    assert places["Kidney function is checked at the same visits, because a falling clearance raises the level "
                  "of lithium in the blood."] == (("Side effects", "Rare effects"), 2)
    assert places["Dehydration raises the level quickly."] == (("Monitoring",), 3)


def test_a_scanned_pdf_without_a_text_layer_is_refused_with_what_to_do_about_it():
    with pytest.raises(DocumentRejected) as refused:
        parse_document("scan", scanned_pdf(), "pdf")

    assert refused.value.reason == "no_text_layer"
    assert "no text layer" in str(refused.value) and "OCR" in str(refused.value)


@pytest.mark.parametrize(("raw", "fmt"), [
    (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj", "pdf"),
    (two_column_pdf()[:500], "pdf"),
    (b"PK\x03\x04 truncated", "docx"),
    (word_document()[:1000], "docx"),
    (b"Lithium is a soft metal.", "docx"),
])
def test_a_damaged_pdf_or_word_file_is_refused_as_unreadable_not_a_crash(raw, fmt):
    with pytest.raises(DocumentRejected) as refused:
        parse_document("broken", raw, fmt)

    assert refused.value.reason == "unreadable"


# --- Word -----------------------------------------------------------------------------------------------------


def test_word_heading_styles_become_sections_and_a_table_is_read_row_by_row():
    document = parse_document("guide", word_document(), "docx")
    places = sentence_places(document)

    assert document.title == "Sodium Guide"
    assert places["Sodium valproate treats epilepsy and prevents migraine."] == (("Uses",), None)
    assert places["Adults start low and the dose is raised every week."] == (("Dosing", "Adults"), None)
    assert "\n\nDose | When\n250 mg | morning\n500 mg | evening\n\n" in document.text  # a table: a paragraph
    assert places["250 mg | morning"] == (("Dosing", "Adults"), None)
    assert [document.text[s:e] for s, e in document.rows] == ["Dose | When", "250 mg | morning", "500 mg | evening"]


def test_word_footnotes_and_endnotes_follow_the_paragraph_or_table_that_refers_to_them():
    # python-docx reads the body alone: a note's text, in its own part, was never read.
    document = parse_document("leaflet", word_with_notes(), "docx")
    assert document.text.split("\n\n") == [
        "Taking it", "Take one tablet with water.", "A full glass, at least 200 ml.", "Swallow it whole.",
        "Dose | When\n250 mg | morning", "Children take half a tablet.", "Storing it", "Keep it below 25 degrees.",
        "A bathroom cabinet is too warm and damp."]
    leaflet = Index.build([analyse(document)])
    given = answer(leaflet, "Is a bathroom cabinet too warm for storing it?")
    assert given.quotes[0].text == "A bathroom cabinet is too warm and damp."
    assert given.quotes[0].section == ("Storing it",)


def test_a_pdfs_title_line_list_items_and_the_paragraph_after_them_are_blocks_of_their_own():
    # pypdf gives lines; only their lengths and marks say where a block ends.
    document = parse_document("leaflet", leaflet_pdf(), "pdf")
    assert document.text.split("\n\n")[0] == "Taking your tablets"
    assert [(document.text[s:e], depth) for s, e, depth in document.items] == [
        ("- a rash or blisters on your skin", 1), ("- yellowing of your skin or eyes", 1),
        ("- unusual bruising or bleeding", 1)]
    assert document.text.endswith("bleeding\n\nKeep the tablets in their box, below 25 degrees, where children "
                                  "cannot see or reach them. Do not use them after the expiry date.")
    leaflet = Index.build([analyse(document)])
    quote = answer(leaflet, "When should I tell my doctor straight away?", settings=AnswerSettings(min_confidence=0))
    assert quote.quotes[0].text == (
        "Tell your doctor straight away if you notice:\n\n- a rash or blisters on your skin\n\n- yellowing of your "
        "skin or eyes\n\n- unusual bruising or bleeding")


def test_a_pdf_tables_heading_row_after_a_full_line_that_ends_a_sentence_starts_a_block_of_its_own():
    document = parse_document("doses", dose_table_pdf(), "pdf")
    assert document.text == ("How much to take\n\nThe usual dose depends on your age and weight. Your doctor will tell "
                             "you how many tablets to take.\n\nAge Dose How often\n\nAdults 500 mg Twice a day\n\n"
                             "Children over 6 10 mg per kg Twice a day\n\nSwallow the tablets whole with water.")


def test_pdf_lines_in_a_fixed_width_font_are_code_a_run_of_them_one_block_a_line_each():
    document = parse_document("install", commands_pdf(), "pdf")
    # A word set in a fixed-width font inside a sentence is prose.
    assert [document.text[s:e] for s, e in document.code] == ["pip install quotes-cli\nquotes --version"]
    assert document.text.endswith("\n\nThen type quotes to start it.")
    tool = Index.build([analyse(document)])
    quote = answer(tool, "How do I install the tool?", settings=AnswerSettings(min_confidence=0))
    assert quote.quotes[0].text == ("To install the tool, run these two commands in a terminal window, one after the "
                                    "other:\n\npip install quotes-cli\nquotes --version")


def test_a_pdf_paragraph_runs_on_across_the_page_break_past_the_footnote_at_the_foot_of_the_page():
    document = parse_document("levels", footnoted_pdf(), "pdf")
    assert sentence_places(document)[FOOTNOTED_SENTENCE] == ((), 1)
    levels = Index.build([analyse(document)])
    quote = answer(levels, "How often are blood levels checked?", settings=AnswerSettings(min_confidence=0))
    assert quote.quotes[0].text == FOOTNOTED_SENTENCE


def test_a_pdf_footnote_follows_the_paragraph_whose_raised_mark_names_it():
    text = parse_document("levels", footnoted_pdf(), "pdf").text
    assert f"{FOOTNOTED_SENTENCE}\n\n1 A blood test taken twelve hours after the last dose gives the level that is " \
           "compared with the range.\n\nSome painkillers" in text
    assert text.endswith("buy any.\n\n* Ibuprofen and naproxen among them.\n\nTo unpack the tables of levels, "
                         "run:\n\n7z x lithium-levels.7z")


def test_a_line_of_code_set_small_at_the_foot_of_a_pdf_page_stays_code_though_it_opens_with_a_digit():
    document = parse_document("levels", footnoted_pdf(), "pdf")
    assert [document.text[s:e] for s, e in document.code] == ["7z x lithium-levels.7z"]


def small_print(lines: list[str], small: set[str]) -> pdf._LineStyles:
    """A page's styles: the `small` lines in 8-point type, the others in 11."""
    return pdf._LineStyles(set(), set(), {line: 8.0 if line in small else 11.0 for line in lines}, {})


def test_a_footnote_that_runs_over_to_the_next_page_goes_on_there_under_its_own_name():
    first = ["Lithium is taken with food.", "1 A blood test taken twelve hours after the last"]
    lines, notes = pdf._page_notes(first, small_print(first, {first[1]}), 11.0, 1, None)
    assert lines == first[:1] and [note.name for note in notes] == ["1:1"]
    second = ["Drink water in hot weather.", "dose gives the level.", "2 Ibuprofen raises it too."]
    lines, notes = pdf._page_notes(second, small_print(second, set(second[1:])), 11.0, 2, notes[-1])
    assert lines == second[:1]
    assert notes == [pdf._Note("1:1", "dose gives the level."), pdf._Note("2:2", "2 Ibuprofen raises it too.")]


def test_small_print_at_a_pdf_pages_foot_is_no_footnote_unless_a_mark_opens_it_and_body_text_stands_above_it():
    page = ["Lithium is taken with food.", "Date of revision: May 2026"]
    assert pdf._page_notes(page, small_print(page, {page[1]}), 11.0, 1, None) == (page, [])
    references = ["1 Smith J. Lithium levels. 2020.", "2 Jones K. Thirst and lithium. 2021."]
    assert pdf._page_notes(references, small_print(references, set(references)), 11.0, 3, None) == (references, [])


def test_a_pdfs_table_of_contents_is_not_its_text():
    document = parse_document("manual", numbered_manual_pdf(), "pdf")
    assert document.text.startswith("2 Dosing\n\nThe dose depends on the weight of the patient.")


def test_a_pdf_heading_printed_with_its_number_is_the_outline_entry_named_without_it():
    document = parse_document("manual", numbered_manual_pdf(), "pdf")
    assert [(document.text[h.start:h.end], h.level) for h in document.headings] == [
        ("2 Dosing", 1), ("2.1 Starting", 2), ("2.2 Stopping", 2)]
    places = sentence_places(document)
    assert places["Treatment starts with a quarter of the usual dose for a week."][0] == ("2 Dosing", "2.1 Starting")


def test_a_pdf_question_in_bold_on_lines_of_its_own_is_a_faq_entry_and_heading_lines_stay_headings():
    document = analyse(parse_document("leaflet", faq_leaflet_pdf(), "pdf"))
    places = {document.sentence_text(i): (document.sentences[i].question, document.section_path(i))
              for i in range(len(document.sentences))}
    assert document.document.title == "Questions about your tablets"
    asked = ("What should I do if I forget to take a dose of my tablets at the usual time of the day, or if I take a "
             "dose too many?")
    assert places["Avoid alcohol in the first two weeks, as it can make the drowsiness worse."] == (
        False, ("Can I drink alcohol while taking these tablets?",))
    assert places[asked] == (True, (asked,))  # wrapped over two lines, one question
    # A heading line that asks nothing opens a section as in a leaflet without questions.
    assert places["Keep them in the box they came in, away from children."] == (False, ("Storing your tablets",))
    leaflet = Index.build([document])
    reply = answer(leaflet, "Can I drink alcohol while taking these tablets?",
                   settings=AnswerSettings(min_confidence=0))
    assert reply.quotes[0].text == "Avoid alcohol in the first two weeks, as it can make the drowsiness worse."


def test_word_list_paragraphs_are_list_items():
    document = docx.Document()
    document.add_paragraph("To change your plan:")
    for step in ("Open the billing page.", "Choose a plan."):
        document.add_paragraph(step, style="List Number")
    document.add_paragraph("Yearly plans are paid at once.", style="List Bullet 2")
    document.add_paragraph("The new price applies next month.")
    buffer = io.BytesIO()
    document.save(buffer)
    parsed = parse_document("plan", buffer.getvalue(), "docx")
    assert [(parsed.text[s:e], depth) for s, e, depth in parsed.items] == [
        ("Open the billing page.", 1), ("Choose a plan.", 1), ("Yearly plans are paid at once.", 2)]


def test_word_code_is_code_by_its_style_or_its_fixed_width_font_and_keeps_its_lines():
    document = docx.Document()
    document.add_heading("Installing", level=1)
    document.add_paragraph("To install the tool, run:")
    command = document.add_paragraph()
    command.add_run("pip install quotes-cli").font.name = "Courier New"
    command.add_run().add_break()
    command.add_run("quotes --version").font.name = "Courier New"
    document.styles.add_style("Code", WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("make all", style="Code")
    inline = document.add_paragraph("Then type ")
    inline.add_run("quotes").font.name = "Consolas"
    inline.add_run(" to start it.")
    buffer = io.BytesIO()
    document.save(buffer)
    parsed = parse_document("install", buffer.getvalue(), "docx")
    # A word set in a fixed-width font inside a sentence is prose.
    assert [parsed.text[s:e] for s, e in parsed.code] == ["pip install quotes-cli\nquotes --version", "make all"]
    analysed = analyse(parsed)
    code = [analysed.sentence_text(i) for i, s in enumerate(analysed.sentences) if s.code]
    assert code == ["pip install quotes-cli\nquotes --version", "make all"]
    assert not any(analysed.sentences[i].heading for i, s in enumerate(analysed.sentences) if s.code)


def in_content_control(paragraph, gallery: str | None = None) -> None:
    """Move a paragraph into a content control (w:sdt), of this building-block gallery when given."""
    control, properties, content = OxmlElement("w:sdt"), OxmlElement("w:sdtPr"), OxmlElement("w:sdtContent")
    if gallery:
        part, kind = OxmlElement("w:docPartObj"), OxmlElement("w:docPartGallery")
        kind.set(qn("w:val"), gallery)
        part.append(kind)
        properties.append(part)
    paragraph._p.addprevious(control)
    control.append(properties)
    control.append(content)
    content.append(paragraph._p)


def test_a_word_content_controls_text_is_read_and_a_table_of_contents_is_not():
    document = docx.Document()
    in_content_control(document.add_paragraph("Dosing\t2"), gallery="Table of Contents")  # as Word makes one
    document.styles.add_style("TOC 1", WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("Storage\t3", style="TOC 1")  # as older files and LibreOffice write one
    document.add_heading("Dosing", level=1)
    in_content_control(document.add_paragraph("Take one tablet each morning."))  # a template's field
    buffer = io.BytesIO()
    document.save(buffer)
    assert parse_document("leaflet", buffer.getvalue(), "docx").text == "Dosing\n\nTake one tablet each morning."


# --- everywhere a document comes in ---------------------------------------------------------------------------


@pytest.fixture
def app(corpus_dir: Path):
    return create_app({"QA_CORPUS": str(corpus_dir), "QA_RELOAD_SECONDS": 0, "QA_ADMIN_TOKEN": TOKEN,
                       "QA_SEMANTIC": "off"})


@pytest.mark.parametrize(("doc_id", "raw", "media_type", "title"), [
    ("handbook", two_column_pdf(), "application/pdf", "Lithium Handbook"),
    ("guide", word_document(), formats.DOCX_MEDIA_TYPE, "Sodium Guide"),
])
def test_put_takes_a_pdf_or_word_file_as_its_bytes_and_keeps_them(client, corpus_dir, doc_id, raw, media_type,
                                                                   title):
    reply = client.put(f"/api/documents/{doc_id}", data=raw, content_type=media_type, headers=AUTH)

    assert reply.status_code == 201, reply.get_json()
    assert reply.get_json()["title"] == title
    assert (corpus_dir / f"{doc_id}{formats.of_media_type(media_type).extensions[0]}").read_bytes() == raw
    assert client.get(f"/api/documents/{doc_id}").get_json()["format"] == formats.of_media_type(media_type).name


def test_put_of_a_scanned_pdf_is_422_in_the_one_error_shape_and_changes_nothing(client, corpus_dir):
    before = sorted(p.name for p in corpus_dir.iterdir())

    reply = client.put("/api/documents/scan", data=scanned_pdf(), content_type="application/pdf", headers=AUTH)

    assert reply.status_code == 422
    assert reply.get_json()["error"]["code"] == "unusable_document"
    assert "no text layer" in reply.get_json()["error"]["message"]
    assert set(reply.get_json()) == {"error"}
    assert sorted(p.name for p in corpus_dir.iterdir()) == before


def test_a_pdf_sent_as_json_text_is_refused_with_how_to_send_it(client):
    reply = client.put("/api/documents/handbook", json={"text": "%PDF-1.7", "format": "pdf"}, headers=AUTH)

    assert reply.status_code == 400
    assert "application/pdf" in reply.get_json()["error"]["message"]


def test_corpus_add_takes_pdf_and_word_files(app, client, tmp_path):
    (tmp_path / "handbook.pdf").write_bytes(two_column_pdf())
    (tmp_path / "guide.docx").write_bytes(word_document())
    runner = app.test_cli_runner()

    for name in ("handbook.pdf", "guide.docx"):
        result = runner.invoke(args=["corpus", "add", str(tmp_path / name)])
        assert result.exit_code == 0, result.output

    ids = {d["id"]: d["format"] for d in client.get("/api/documents").get_json()["documents"]}
    assert ids["handbook"] == "pdf" and ids["guide"] == "docx"


def test_a_scanned_pdf_in_the_corpus_folder_is_skipped_with_its_reason(client, corpus_dir):
    (corpus_dir / "scan.pdf").write_bytes(scanned_pdf())

    listing = client.get("/api/documents").get_json()

    assert "scan" not in {d["id"] for d in listing["documents"]}
    (skipped,) = listing["skipped"]
    assert (skipped["name"], skipped["reason"]) == ("scan.pdf", "no_text_layer")


def test_a_folder_store_refuses_a_title_for_a_binary_file_it_keeps_byte_for_byte(tmp_path):
    store = FolderStore(tmp_path, 1_000_000)

    with pytest.raises(DocumentRejected) as refused:
        store.put("handbook", two_column_pdf(), "pdf", title="Another title")

    assert refused.value.reason == "format"
    assert list(tmp_path.glob("handbook*")) == []


def test_a_quote_from_a_pdf_carries_its_section_and_page(client, corpus_dir):
    (corpus_dir / "handbook.pdf").write_bytes(two_column_pdf())

    reply = client.post("/api/ask", json={"question": "How often is thyroid function checked?",
                                          "documents": ["handbook"]}).get_json()

    quote = reply["quotes"][0]
    assert "thyroid" in quote["text"]
    assert (quote["section"], quote["page"]) == (["Side effects", "Rare effects"], 2)


def test_a_quote_from_a_text_without_headings_has_no_section_and_no_page(client):
    reply = client.post("/api/ask", json={"question": "What are the common side effects of Keppra?"}).get_json()

    assert (reply["quotes"][0]["section"], reply["quotes"][0]["page"]) == ([], None)


def test_the_editor_page_accepts_pdf_and_word_files(client):
    page = client.get("/admin").get_data(as_text=True)

    assert ".pdf" in page and ".docx" in page and "application/pdf" in page and formats.DOCX_MEDIA_TYPE in page
