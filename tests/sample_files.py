"""Binary documents the tests make for themselves: a two-column PDF with headings and running furniture, a leaflet with
a list, a PDF with commands set in a fixed-width font, a leaflet with questions in bold, a manual with a table of
contents whose outline leaves out its headings' numbers, a leaflet with a table of doses, a PDF with footnotes at the
foot of its pages, a PDF with no text layer (as a scanner makes one), a Word file with headings and a table, and one
with footnotes and an endnote. All of it is our own text."""

from __future__ import annotations

import io

import docx
from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from fpdf import FPDF

RUNNING_HEADER = "Lithium Handbook - draft for review"
PDF_SECTIONS = (
    ("Side effects", 1, (
        "Lithium can cause a fine tremor of the hands in the first weeks of treatment, which often settles "
        "without any change of dose. Thirst and passing more urine are common and usually mild.",
    )),
    ("Rare effects", 2, (
        "Rarely, lithium affects the thyroid gland, so its function is checked before treatment starts and "
        "every six months after that. Kidney function is checked at the same visits, because a falling "
        "clearance raises the level of lithium in the blood.",
    )),
    ("Monitoring", 1, (
        "The blood level is measured twelve hours after the last dose, a week after every change of dose and "
        "every three months once the level is stable. Dehydration raises the level quickly.",
    )),
)


class _Handbook(FPDF):
    def header(self):
        self.set_font("Helvetica", size=8)
        self.cell(0, 6, RUNNING_HEADER, align="C")
        self.ln(10)

    def footer(self):
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 6, str(self.page_no()), align="C")


def two_column_pdf(title: str = "Lithium Handbook") -> bytes:
    """Three sections over three pages, each page set in two columns; a running header and page numbers."""
    pdf = _Handbook()
    pdf.set_title(title)
    pdf.set_auto_page_break(True, margin=20)
    for heading, level, paragraphs in PDF_SECTIONS:
        pdf.add_page()
        pdf.start_section(heading, level=level - 1)
        pdf.set_font("Helvetica", style="B", size=14)
        pdf.cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        with pdf.text_columns(ncols=2, gutter=8, text_align="LEFT") as columns:
            for paragraph in paragraphs:
                columns.write(paragraph + " " + paragraph.replace("Lithium", "The drug"))
                columns.ln()
    return bytes(pdf.output())


def hyphenated_pdf() -> bytes:
    """One paragraph whose lines break inside words, with a hyphen at each break, as typesetters do."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for line in ("The dose is raised slowly and the treat-", "ment is reviewed after a fortnight, when the",
                 "level is measured again."):
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def leaflet_pdf() -> bytes:
    """A leaflet without an outline: a title line, a sentence ending in a colon, a list of short items, a paragraph."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    line = {"new_x": "LMARGIN", "new_y": "NEXT"}
    pdf.multi_cell(0, 6, "Taking your tablets", **line)
    pdf.multi_cell(0, 6, "Swallow the tablets whole with a glass of water, at the same time every day if you can. "
                   "Tell your doctor straight away if you notice:", **line)
    for item in ("- a rash or blisters on your skin", "- yellowing of your skin or eyes",
                 "- unusual bruising or bleeding"):
        pdf.multi_cell(0, 6, item, **line)
    pdf.multi_cell(0, 6, "Keep the tablets in their box, below 25 degrees, where children cannot see or reach "
                   "them. Do not use them after the expiry date.", **line)
    return bytes(pdf.output())


def commands_pdf() -> bytes:
    """A paragraph ending in a colon, two commands set in Courier, and a sentence with one word in Courier."""
    pdf = FPDF()
    pdf.add_page()
    line = {"new_x": "LMARGIN", "new_y": "NEXT"}
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "To install the tool, run these two commands in a terminal window, one after the other:",
                   **line)
    pdf.set_font("Courier", size=10)
    for command in ("pip install quotes-cli", "quotes --version"):
        pdf.multi_cell(0, 5, command, **line)
    pdf.set_font("Helvetica", size=11)
    pdf.write(6, "Then type ")
    pdf.set_font("Courier", size=10)
    pdf.write(6, "quotes")
    pdf.set_font("Helvetica", size=11)
    pdf.write(6, " to start it.")
    return bytes(pdf.output())


def numbered_manual_pdf() -> bytes:
    """A manual with a table of contents, whose pages print each heading with its number ("2.1 Starting") and whose
    outline names it without."""
    pdf = FPDF()
    pdf.set_title("Medicine Manual")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 8, "Table of Contents", new_x="LMARGIN", new_y="NEXT")
    for entry in ("2 Dosing . . . . . . . . . . . . . . . . 2", "2.1 Starting . . . . . . . . . . . . . . 2",
                  "2.2 Stopping . . . . . . . . . . . . . . 2"):
        pdf.cell(0, 6, entry, new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    for number, name, level, text in (
            ("2", "Dosing", 0, "The dose depends on the weight of the patient."),
            ("2.1", "Starting", 1, "Treatment starts with a quarter of the usual dose for a week."),
            ("2.2", "Stopping", 1, "The dose is lowered over four weeks before treatment ends.")):
        pdf.start_section(name, level=level)
        pdf.set_font("Helvetica", style="B", size=13)
        pdf.cell(0, 8, f"{number} {name}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def faq_leaflet_pdf() -> bytes:
    """A leaflet without an outline: a title in bold, questions in bold each above its reply (one wraps over two
    lines), and a heading line in bold over a last paragraph."""
    pdf = FPDF()
    pdf.add_page()
    line = {"new_x": "LMARGIN", "new_y": "NEXT"}
    pdf.set_font("Helvetica", style="B", size=14)
    pdf.multi_cell(0, 8, "Questions about your tablets", **line)
    for question, reply in (
            ("Can I drink alcohol while taking these tablets?",
             "Avoid alcohol in the first two weeks, as it can make the drowsiness worse."),
            ("What should I do if I forget to take a dose of my tablets at the usual time of the day, or if I "
             "take a dose too many?",
             "Take it as soon as you remember, unless the next dose is due within four hours.")):
        pdf.set_font("Helvetica", style="B", size=11)
        pdf.multi_cell(0, 6, question, **line)
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, reply, **line)
    pdf.set_font("Helvetica", style="B", size=11)
    pdf.multi_cell(0, 6, "Storing your tablets", **line)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "Keep them in the box they came in, away from children.", **line)
    return bytes(pdf.output())


def dose_table_pdf() -> bytes:
    """A leaflet's paragraph, its last line full, then a table of doses without an outline or a blank line between."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    line = {"new_x": "LMARGIN", "new_y": "NEXT"}
    pdf.multi_cell(0, 6, "How much to take", **line)
    pdf.multi_cell(0, 6, "The usual dose depends on your age and weight. Your doctor will tell you how many tablets "
                         "to take.", **line)
    with pdf.table() as table:
        for cells in (("Age", "Dose", "How often"), ("Adults", "500 mg", "Twice a day"),
                      ("Children over 6", "10 mg per kg", "Twice a day")):
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.multi_cell(0, 6, "Swallow the tablets whole with water.", **line)
    return bytes(pdf.output())


class _Footnoted(FPDF):
    """Footnotes as a typesetter sets them: a raised mark in the text, the note in smaller type at the foot of the
    page, above the page number."""

    def __init__(self):
        super().__init__(format=(148, 210))
        self.notes: list[str] = []

    def mark(self, mark: str, note: str) -> None:
        self.char_vpos = "SUP"
        self.write(6, mark)
        self.char_vpos = "LINE"
        self.notes.append(f"{mark} {note}")

    def footer(self):
        self.set_font("Helvetica", size=8)
        self.set_y(-14 - 4 * len(self.notes))
        for note in self.notes:
            self.multi_cell(0, 4, note, new_x="LMARGIN", new_y="NEXT")
        self.notes = []
        self.set_y(-12)
        self.cell(0, 6, str(self.page_no()), align="C")


FOOTNOTED_SENTENCE = ("Blood levels are checked every three months1 and more often at the start of treatment, when the "
                      "dose is still being found by your doctor and the clinic nurse over several weeks of careful "
                      "testing and review of every result.")


def footnoted_pdf() -> bytes:
    """Two pages: a paragraph holding note 1's mark runs on from the first page to the second, past the note at the
    foot of the first; on the second, a paragraph marked "*" and a command set small in Courier, opening with a
    digit, just above that page's note."""
    pdf = _Footnoted()
    pdf.set_auto_page_break(True, margin=40)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for k in range(8):
        pdf.multi_cell(0, 6, f"Lithium is taken once or twice a day with food. Keep to the same times every day. "
                             f"This is paragraph {k + 1} of the leaflet.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(49)  # room for a figure, which puts the page break inside the next paragraph
    before, after = FOOTNOTED_SENTENCE.split("months1")
    pdf.write(6, before + "months")
    pdf.mark("1", "A blood test taken twelve hours after the last dose gives the level that is compared with the "
                  "range.")
    pdf.write(6, after)
    pdf.ln(8)
    pdf.write(6, "Some painkillers raise the level too")
    pdf.mark("*", "Ibuprofen and naproxen among them.")
    pdf.write(6, ", so ask a pharmacist before you buy any.")
    pdf.ln(8)
    pdf.write(6, "To unpack the tables of levels, run:")
    pdf.ln(8)
    pdf.set_font("Courier", size=8)
    pdf.cell(0, 5, "7z x lithium-levels.7z", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """Two pages that are pictures only: a scan, with no text layer."""
    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.rect(20, 20, 170, 250, style="F")
    return bytes(pdf.output())


WORD_TABLE = (("Dose", "When"), ("250 mg", "morning"), ("500 mg", "evening"))


def word_document() -> bytes:
    """A title, two levels of headings, paragraphs and a dosing table."""
    document = docx.Document()
    document.core_properties.title = "Sodium Guide"
    document.add_heading("Sodium Guide", level=0)
    document.add_heading("Uses", level=1)
    document.add_paragraph("Sodium valproate treats epilepsy and prevents migraine.")
    document.add_heading("Dosing", level=1)
    document.add_heading("Adults", level=2)
    document.add_paragraph("Adults start low and the dose is raised every week.")
    table = document.add_table(rows=len(WORD_TABLE), cols=2)
    for row, cells in zip(table.rows, WORD_TABLE, strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.add_paragraph("The table gives the usual doses.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


_WORD_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _notes_part(document, kind: str, notes: dict[int, str]) -> None:
    """A footnotes or endnotes part as Word writes one: its two separators, then each note (its mark, then text)."""
    separators = "".join(f'<w:{kind} w:type="{t}" w:id="{i}"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
                         for i, t in ((-1, "separator"), (0, "continuationSeparator")))
    bodies = "".join(f'<w:{kind} w:id="{i}"><w:p><w:pPr><w:pStyle w:val="{kind.title()}Text"/></w:pPr>'
                     f'<w:r><w:{kind}Ref/></w:r><w:r><w:t xml:space="preserve"> {text}</w:t></w:r></w:p></w:{kind}>'
                     for i, text in notes.items())
    blob = f'<w:{kind}s {_WORD_NS}>{separators}{bodies}</w:{kind}s>'.encode()
    content_type, relationship = ((CONTENT_TYPE.WML_FOOTNOTES, RELATIONSHIP_TYPE.FOOTNOTES) if kind == "footnote"
                                  else (CONTENT_TYPE.WML_ENDNOTES, RELATIONSHIP_TYPE.ENDNOTES))
    part = Part(PackURI(f"/word/{kind}s.xml"), content_type, blob, document.part.package)
    document.part.relate_to(part, relationship)


def _refer(paragraph, kind: str, note: int) -> None:
    """A note's mark at the end of the paragraph, as Word inserts one."""
    reference = OxmlElement(f"w:{kind}Reference")
    reference.set(qn("w:id"), str(note))
    paragraph.add_run()._r.append(reference)


WORD_NOTES_TABLE = (("Dose", "When"), ("250 mg", "morning"))


def word_with_notes() -> bytes:
    """A leaflet whose footnotes and endnote say what its paragraphs and its table leave out."""
    document = docx.Document()
    document.add_heading("Taking it", level=1)
    _refer(document.add_paragraph("Take one tablet with water."), "footnote", 1)
    document.add_paragraph("Swallow it whole.")
    table = document.add_table(rows=len(WORD_NOTES_TABLE), cols=2)
    for row, cells in zip(table.rows, WORD_NOTES_TABLE, strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    _refer(table.rows[1].cells[0].paragraphs[0], "footnote", 2)
    document.add_heading("Storing it", level=1)
    _refer(document.add_paragraph("Keep it below 25 degrees."), "endnote", 1)
    _notes_part(document, "footnote", {1: "A full glass, at least 200 ml.", 2: "Children take half a tablet."})
    _notes_part(document, "endnote", {1: "A bathroom cabinet is too warm and damp."})
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
