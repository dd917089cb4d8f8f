"""The PDF reader's pieces on small made-up pages: one test per kind of damage it repairs."""

from __future__ import annotations

import pytest

from ingest.blocks import Block
from ingest.identifiers import split_ids
from ingest.milestones import parse_table
from ingest.pdf.furniture import Page, drop_furniture
from ingest.pdf.glyphs import Glyphs
from ingest.pdf.hyphens import Vocabulary, join_lines, learn_hyphenation
from ingest.pdf.paragraphs import Paragraphs
from ingest.pdf.tables import UnruledTable, cell_of, join_page_breaks
from ingest.pdf.words import Line, page_lines

SIZE = 10.0
ADVANCE = 5.0  # every glyph of the made-up font is this wide
HEIGHT = 9.0


class Ink:
    """Glyphs placed by hand: pieces of text at x positions on baselines."""

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.boxes: list[tuple[float, float, float, float]] = []
        self.styles: list[tuple[float, bool, bool]] = []

    def text(
        self,
        text: str,
        x: float,
        y: float,
        *,
        gap: float = 0.0,
        size: float = SIZE,
        bold: bool = False,
        italic: bool = False,
    ) -> float:
        """Set `text` glyph by glyph from x with `gap` between glyphs; returns the end x."""
        scale = size / SIZE
        for char in text:
            self.chars.append(char)
            self.boxes.append((x, x + ADVANCE * scale, y, y + HEIGHT * scale))
            self.styles.append((size, bold, italic))
            x += ADVANCE * scale + gap
        return x

    def glyphs(self) -> Glyphs:
        x0, x1, bottom, top = zip(*self.boxes, strict=True) if self.boxes else ([],) * 4
        return Glyphs(self.chars, x0, x1, bottom, top, self.styles)

    def lines(self, page: int = 1) -> list[Line]:
        return page_lines(self.glyphs(), page)


def texts(lines: list[Line]) -> list[str]:
    return [line.text for line in lines]


# --- words from glyph geometry ----------------------------------------------------------


def test_kerning_split_runs_stay_one_word():
    # "F" and "acility" drawn apart by a kerning pair: a gap far below a word space.
    ink = Ink()
    x = ink.text("F", 72, 700)
    x = ink.text("acility", x - 0.6, 700)
    ink.text("Super", x + 3.0, 700)
    ink.text("Task", 72 + 5 * 13 - 0.4, 700)
    assert texts(ink.lines()) == ["Facility SuperTask"]


def test_words_without_space_glyphs_split_at_wide_gaps():
    # As LaTeX sets a line: no space characters, words placed apart.
    ink = Ink()
    x = ink.text("glued", 72, 700)
    x = ink.text("words", x + 3.3, 700)
    ink.text("apart", x + 2.5, 700)
    assert texts(ink.lines()) == ["glued words apart"]


def test_word_gap_measured_from_the_origin_of_a_glyph_drawn_back_under_the_letter_before():
    # pdfTeX's italic "Scheduled for": the space before "f" is as wide as the line's
    # other spaces, but the "f" draws back under the "d" and PDFium's box for it starts
    # at its ink, 0.08 em after the "d"; from the "f"'s own origin the gap is 0.28 em.
    ink = Ink()
    x = ink.text("due.", 72, 700, italic=True)
    x = ink.text("Scheduled", x + 2.5, 700, italic=True)
    f_at = len(ink.chars)
    x = ink.text("for", x + 2.5, 700, italic=True)
    x = ink.text("completion", x + 2.5, 700, italic=True)
    ink.text("in", x + 2.5, 700, italic=True)
    origins = [box[0] for box in ink.boxes]
    left, right, bottom, top = ink.boxes[f_at]
    ink.boxes[f_at] = (left - 1.8, right, bottom, top)
    x0, x1, bottoms, tops = zip(*ink.boxes, strict=True)
    drawn = Glyphs(ink.chars, x0, x1, bottoms, tops, ink.styles)
    assert texts(page_lines(drawn, 1)) == ["due. Scheduledfor completion in"]
    glyphs = Glyphs(
        ink.chars, x0, x1, bottoms, tops, ink.styles, lambda ps: [origins[p] for p in ps]
    )
    assert texts(page_lines(glyphs, 1)) == ["due. Scheduled for completion in"]


def test_letter_spaced_line_keeps_its_words():
    # Every glyph 1.5 pt apart (tracking): only the wider gaps are word spaces.
    ink = Ink()
    x = ink.text("tracked", 72, 700, gap=1.5)
    ink.text("heading", x + 1.5 + 3.5, 700, gap=1.5)
    assert texts(ink.lines()) == ["tracked heading"]


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        # Ligature glyphs, words apart.
        ([("e\ufb03ciency", 0), ("\ufb02ow", 3.0), ("o\ufb00", 3.0)], "efficiency flow off"),
        # "e", "ff", "iciency": a ligature drawn as a run of its own, glyphs touching.
        ([("e", 0), ("ff", -0.3), ("iciency", 0.1)], "efficiency"),
    ],
)
def test_ligatures_expanded(pieces, expected):
    ink = Ink()
    x = 72.0
    for text, gap in pieces:
        x = ink.text(text, x + gap, 700)
    assert texts(ink.lines()) == [expected]


def test_space_glyphs_end_words_and_lines_are_read_top_down():
    ink = Ink()
    ink.text("second line", 72, 680)
    ink.text("first line", 72, 700)
    assert texts(ink.lines()) == ["first line", "second line"]


def test_word_style_from_its_glyphs():
    ink = Ink()
    x = ink.text("equipment", 72, 700)
    ink.text("Delayed", x + 3.0, 700, italic=True)
    (line,) = ink.lines()
    assert [(w.text, w.italic) for w in line.words] == [("equipment", False), ("Delayed", True)]


# --- line-end hyphens --------------------------------------------------------------------


def _joined(document: list[str], lines: list[str]) -> str:
    vocabulary = Vocabulary([*document, *lines])
    learn_hyphenation(vocabulary, [lines])
    return join_lines(lines, vocabulary)


def test_real_hyphens_kept_when_the_document_never_hyphenates():
    # A browser breaks lines only at real hyphens.
    lines = ["a well-", "defined, third-", "party, end-", "of-cycle plan"]
    assert _joined(["It is well-known."], lines) == "a well-defined, third-party, end-of-cycle plan"


def test_automatic_hyphenation_with_its_own_character_rejoined():
    # U+2010 at line ends only, "-" inside lines: the U+2010 breaks are the layout's.
    lines = ["the collabora\u2010", "tion with Super\u2010", "Task and a third-", "party tool"]
    assert _joined(["A third-party library."], lines) == (
        "the collaboration with SuperTask and a third-party tool"
    )


def test_automatic_hyphenation_rejoined_from_the_documents_words():
    # pdfLaTeX hyphenates with "-": the document writes "prototype" whole elsewhere, and
    # "proof-of-concept" and "content-addressed" are compounds of words it writes.
    document = [
        "A prototype was built.",
        "The proof of the pudding and a concept.",
        "Storage by content, addressed by hash.",
    ]
    lines = ["a pro-", "totype, a proof-", "of-concept and content-", "addressed store"]
    assert _joined(document, lines) == (
        "a prototype, a proof-of-concept and content-addressed store"
    )


def test_capital_after_the_break_joined_where_the_document_writes_the_word_whole():
    # A cell broken at "Super-" / "Task": the document writes "SuperTask" elsewhere and
    # never "Super-Task"; without that word the hyphen stays (a compound going on with a
    # capital, as "Face-" / "To-Face").
    lines = ["held up by Super-", "Task status"]
    assert _joined(["The SuperTask framework, well-known."], lines) == (
        "held up by SuperTask status"
    )
    assert _joined(["The framework, well-known."], lines) == "held up by Super-Task status"


def test_piece_of_words_joined_and_a_word_of_the_document_kept():
    # A document that writes "-" inside its lines and never hyphenates its body: "tion"
    # is no word of it but ends many of its words, so "Orchestra-" / "tion" is one word;
    # "view" ends words too but the document writes "views", so "tr-" / "view" stays.
    document = [
        "A well-known application of integration and validation.",
        "Two views, a review and an interview.",
        # A table row whose description cell breaks a word inside the page's line: the
        # pieces on either side of the break are not words of the document.
        "DLP-579 held up by Orchestra- 2016-08-31",
        "tion and Supertask framework.",
    ]
    assert _joined(document, ["held up by Orchestra-", "tion and a tr-", "view chart"]) == (
        "held up by Orchestration and a tr-view chart"
    )


def test_word_whose_stem_stands_inside_a_longer_word_joined():
    # "as" and "signed" are words of the document, and it writes "as-contracted", but
    # "assign", the stem of "assigned", stands inside its "reassignments"; "as-" / "is"
    # stays ("asis" is too short to be told from "basis").
    document = [
        "Work as-contracted, as planned, signed and designed.",
        "After reassignments the basis held.",
    ]
    lines = ["Gaponenko as-", "signed the work as-", "is."]
    assert _joined(document, lines) == "Gaponenko assigned the work as-is."


def test_url_broken_at_a_dot_is_whole_again():
    assert _joined([], ["(draft https://github.", "com/lstt-dm/adass27/ and more)"]) == (
        "(draft https://github.com/lstt-dm/adass27/ and more)"
    )


def test_soft_hyphen_always_goes():
    assert _joined([], ["inter\u00ad", "national"]) == "international"


def test_identifier_and_date_broken_after_a_hyphen_stay_whole():
    assert _joined([], ["see LDM-503-", "2 and DMTC-", "7400-2420 due 2017-", "05-31"]) == (
        "see LDM-503-2 and DMTC-7400-2420 due 2017-05-31"
    )


# --- bullets and nesting -----------------------------------------------------------------


def _blocks(ink: Ink, height: float = 792) -> list[Block]:
    lines = ink.lines()
    page = Page(1, height, 612, lines)
    vocabulary = Vocabulary(line.text for line in lines)
    return Paragraphs([page], vocabulary).assemble()


def test_bullet_glyphs_become_nested_list_items():
    ink = Ink()
    ink.text("Intro text here.", 72, 700)
    for y, x, bullet, text in [
        (686, 72, "\u2022", "Travel:"),
        (672, 90, "\u25e6", "Eric spent weeks"),
        (658, 90, "\u25e6", "Work went on"),
        (644, 72, "\u2022", "Other"),
    ]:
        ink.text(bullet, x, y)
        ink.text(text, x + 12, y)
    blocks = _blocks(ink)
    assert [(b.level, b.text) for b in blocks] == [
        (0, "Intro text here."),
        (1, "Travel:"),
        (2, "Eric spent weeks"),
        (2, "Work went on"),
        (1, "Other"),
    ]


def _levels(*placed: tuple[str, float, float]) -> list[tuple[int, str]]:
    """(level, text) of the blocks read from texts placed at (x, y) on one page."""
    ink = Ink()
    for text, x, y in placed:
        ink.text(text, x, y)
    return [(b.level, b.text) for b in _blocks(ink)]


def test_dash_bullet_and_wrapped_item():
    assert _levels(
        ("-", 72, 700),
        ("an item that wraps onto", 84, 700),
        ("a second line", 84, 686),
        ("-", 72, 672),
        ("next item", 84, 672),
    ) == [
        (1, "an item that wraps onto a second line"),
        (1, "next item"),
    ]


def test_word_bullets_without_a_hanging_indent():
    # Word's "·" and "o" bullets as printed from its HTML: the wrapped line of an item
    # starts back at the bullet, in lower case, and goes on with the item.
    assert _levels(
        ("\u00b7", 72, 700),
        ("Completed a prototype of the decorrelation", 100, 700),
        ("of the difference image.", 72, 686),
        ("o", 120, 672),
        ("Variance explanations were written.", 150, 672),
        ("\u00b7", 72, 658),
        ("Ported the association code.", 100, 658),
    ) == [
        (1, "Completed a prototype of the decorrelation of the difference image."),
        (2, "Variance explanations were written."),
        (1, "Ported the association code."),
    ]


# --- page furniture ----------------------------------------------------------------------


def _furnished_pages(count: int) -> list[Page]:
    pages = []
    for number in range(1, count + 1):
        ink = Ink()
        # A running header that names each page's section, and a page counter.
        ink.text(f"Section {number * 7} running title", 200, 760, size=8)
        ink.text(f"Page {number} of {count}", 260, 30, size=8)
        ink.text(f"Body text of page {number}.", 72, 600)
        ink.text("continued on next page", 300, 500)
        pages.append(Page(number, 792, 612, ink.lines(number)))
    return pages


def test_running_headers_that_change_per_page_and_page_counters_go():
    pages = _furnished_pages(4)
    drop_furniture(pages)
    assert [texts(page.lines) for page in pages] == [
        [f"Body text of page {n}."] for n in range(1, 5)
    ]


def test_margin_line_on_one_page_only_is_kept():
    ink = Ink()
    ink.text("A title set high", 72, 760, size=8)
    ink.text("Body.", 72, 600)
    pages = [Page(1, 792, 612, ink.lines()), *_furnished_pages(3)[1:]]
    drop_furniture(pages)
    assert texts(pages[0].lines) == ["A title set high", "Body."]


# --- tables ------------------------------------------------------------------------------


def _row(ink: Ink, y: float, *cells: tuple[float, str, bool]) -> None:
    for x, text, italic in cells:
        ink.text(text, x, y, italic=italic)


def test_cell_keeps_title_and_italic_note_apart_and_rejoins_wrapped_ids():
    ink = Ink()
    ink.text("DMTC-7400-242", 72, 700)
    ink.text("0", 72, 688)
    ink.text("DWDM equipment", 200, 700)
    ink.text("Delayed due to vendor", 200, 688, italic=True)
    lines = ink.lines()
    vocabulary = Vocabulary(line.text for line in lines)
    ids = cell_of([[w for w in line.words if w.x0 < 150] for line in lines], vocabulary)
    description = cell_of([[w for w in line.words if w.x0 >= 150] for line in lines], vocabulary)
    assert ids.text == "DMTC-7400-2420"
    assert description.text == "DWDM equipment Delayed due to vendor"
    assert [s.italic for s in description.spans] == [False, True]


def _unruled_page(ink: Ink, rows, y: float = 700) -> None:
    _row(ink, y, (72, "ID", False), (200, "Description", False), (450, "Due Date", False))
    for offset, cells in enumerate(rows, start=1):
        _row(ink, y - 14 * offset, *cells)


def test_unruled_table_across_a_page_break_keeps_every_row():
    # Page 1 ends inside DLP-802's note; page 2 repeats the header, goes on with the
    # note (no ID: the row above's), then a group row and its milestone.
    first, second = Ink(), Ink()
    _unruled_page(
        first,
        [
            [(72, "Data Facility", False)],
            [
                (72, "DLP-802", False),
                (200, "Database Design", False),
                (280, "Prototype delivered;", True),
                (450, "2016-11-30", False),
            ],
        ],
    )
    _unruled_page(
        second,
        [
            [(200, "tests pending.", True)],
            [(72, "Base Site", False)],
            [(72, "DLP-538,", False), (200, "Assorted ICDs", False), (450, "2017-", False)],
            [(72, "DLP-539", False), (450, "05-31", False)],
        ],
    )
    pages = []
    for number, ink in enumerate([first, second], start=1):
        pages.append(Page(number, 792, 612, ink.lines(number)))
    vocabulary = Vocabulary(line.text for page in pages for line in page.lines)
    blocks = Paragraphs(pages, vocabulary).assemble()
    assert [b.kind for b in blocks] == ["table"]
    found = parse_table(blocks[0], "Delayed Milestones")
    assert [(m.id, m.title, m.note, m.due, m.group) for m in found] == [
        (
            "DLP-802",
            "Database Design",
            "Prototype delivered; tests pending.",
            "2016-11-30",
            "Data Facility",
        ),
        ("DLP-538", "Assorted ICDs", "", "2017-05-31", "Base Site"),
        ("DLP-539", "Assorted ICDs", "", "2017-05-31", "Base Site"),
    ]


def test_ruled_table_parts_joined_and_repeated_header_dropped():
    def table(page: int, *rows: tuple[str, ...]) -> Block:
        ink = Ink()
        lines = []
        for offset, row in enumerate(rows):
            for column, text in enumerate(row):
                ink.text(text, 72 + 150 * column, 700 - 14 * offset)
        lines = ink.lines(page)
        vocabulary = Vocabulary(line.text for line in lines)
        return Block(
            "table",
            page,
            rows=tuple(
                tuple(
                    cell_of(
                        [[w for w in line.words if 72 + 150 * c <= w.x0 < 222 + 150 * c]],
                        vocabulary,
                    )
                    for c in range(3)
                )
                for line in lines
            ),
        )

    header = ("ID", "Description", "Due")
    blocks = join_page_breaks(
        [
            table(1, header, ("DLP-1", "One", "2017-01-31")),
            table(2, header, ("DLP-2", "Two", "2017-02-28")),
        ]
    )
    assert len(blocks) == 1
    assert [[c.text for c in row] for row in blocks[0].rows] == [
        list(header),
        ["DLP-1", "One", "2017-01-31"],
        ["DLP-2", "Two", "2017-02-28"],
    ]
    assert blocks[0].page == 1


def test_unruled_table_ends_at_text_after_it():
    ink = Ink()
    _unruled_page(ink, [[(72, "DLP-1", False), (200, "One", False), (450, "2017-01-31", False)]])
    ink.text("Detailed Project Progress", 72, 640, size=14, bold=True)
    lines = ink.lines()
    table = UnruledTable(lines[0], Vocabulary([]))
    table.add(lines[1])
    assert not table.takes(lines[2])


def _wrapped_header_table(due_at: tuple[float, float], other_at: float) -> Ink:
    """An unruled table whose "Due Date" header wraps onto two lines in its narrow
    column; the other header cells stand on one line at ``other_at`` (top, middle or
    bottom of the header's band, as the cells are aligned)."""
    ink = Ink()
    ink.text("Delayed Milestones", 72, 730, size=12, bold=True)
    _row(ink, other_at, (72, "ID", False), (200, "Description", False))
    ink.text("Due", 450, due_at[0])
    ink.text("Date", 450, due_at[1])
    _row(ink, 672, (72, "DLP-1", False), (200, "One", False), (450, "2017-01-31", False))
    _row(ink, 658, (72, "Base Site", False))
    _row(ink, 644, (72, "DLP-2", False), (200, "Two", False), (450, "2017-02-28", False))
    return ink


@pytest.mark.parametrize(
    "other_at", [700, 693, 686], ids=["top-aligned", "middle-aligned", "bottom-aligned"]
)
def test_unruled_table_with_a_wrapped_header_keeps_its_column(other_at):
    blocks = _blocks(_wrapped_header_table((700, 686), other_at))
    assert [b.kind for b in blocks] == ["text", "table"]
    table = blocks[1]
    assert [c.text for c in table.rows[0]] == ["ID", "Description", "Due Date"]
    found = parse_table(table, blocks[0].text)
    assert [(m.id, m.title, m.due, m.group, m.status) for m in found] == [
        ("DLP-1", "One", "2017-01-31", None, "delayed"),
        ("DLP-2", "Two", "2017-02-28", "Base Site", "delayed"),
    ]


def test_wrapped_header_repeated_on_the_next_page_is_dropped():
    # Page 2 repeats the middle-aligned header: its "Due" line first reads as a row of
    # the table going on from page 1, and is taken back when the header line comes.
    pages = []
    for number in (1, 2):
        ink = Ink()
        _row(ink, 713, (72, "ID", False), (200, "Description", False))
        ink.text("Due", 450, 720)
        ink.text("Date", 450, 706)
        _row(
            ink, 686, (72, f"DLP-{number}", False), (200, "One", False), (450, "2017-01-31", False)
        )
        pages.append(Page(number, 792, 612, ink.lines(number)))
    vocabulary = Vocabulary(line.text for page in pages for line in page.lines)
    blocks = Paragraphs(pages, vocabulary).assemble()
    assert [[c.text for c in row] for b in blocks for row in b.rows] == [
        ["ID", "Description", "Due Date"],
        ["DLP-1", "One", "2017-01-31"],
        ["DLP-2", "One", "2017-01-31"],
    ]


def test_unruled_cells_wrapped_lines_are_joined_like_a_ruled_cell():
    # A description hyphenated at its cell's line end; the ID list cut after a hyphen.
    ink = Ink()
    ink.text("Further work went on.", 72, 730)
    _row(ink, 700, (72, "ID", False), (200, "Description", False), (450, "Due Date", False))
    _row(ink, 686, (72, "DLP-538, DLP-", False), (200, "Tests pending fur-", False))
    _row(ink, 675, (72, "539", False), (200, "ther review.", False), (450, "2017-05-31", False))
    _row(ink, 658, (72, "Base Site", False))
    blocks = _blocks(ink)
    assert [[c.text for c in row] for row in blocks[1].rows] == [
        ["ID", "Description", "Due Date"],
        ["DLP-538, DLP-539", "Tests pending further review.", "2017-05-31"],
        ["Base Site", "", ""],
    ]


def test_several_ids_in_one_cell_and_ids_wrapped_inside_it():
    assert split_ids("DLP-538, DLP-539 and DLP-541; DLP-544") == [
        "DLP-538",
        "DLP-539",
        "DLP-541",
        "DLP-544",
    ]
    assert split_ids("DM-NCSA-5 DM-DRP-1") == ["DM-NCSA-5", "DM-DRP-1"]
    assert split_ids("DMTC-7400-242 0") == ["DMTC-7400-2420"]
    assert split_ids("DMTC- 7400-2090") == ["DMTC-7400-2090"]


def test_back_to_top_links_and_a_table_of_contents_go():
    ink = Ink()
    ink.text("Contents", 72, 700)
    for offset, (title, page) in enumerate(
        [("Risk Management", 2), ("Milestone Summary", 2), ("Detailed Project Progress", 3)]
    ):
        ink.text(title, 72, 686 - 14 * offset)
        ink.text(". . . . . .", 300, 686 - 14 * offset)
        ink.text(str(page), 400, 686 - 14 * offset)
    first = Page(1, 792, 612, ink.lines(1))
    body = Ink()
    for offset, text in enumerate(
        [
            "Risk Management",
            "Text.",
            "Back to top",
            "Milestone Summary",
            "Detailed Project Progress",
        ]
    ):
        body.text(text, 72, 700 - 20 * offset)
    pages = [first, Page(2, 792, 612, body.lines(2)), Page(3, 792, 612, [])]
    drop_furniture(pages)
    assert texts(pages[0].lines) == []
    assert texts(pages[1].lines) == [
        "Risk Management",
        "Text.",
        "Milestone Summary",
        "Detailed Project Progress",
    ]
